"""PAI's error answers: the exception routes raise and the body the fake sends for it."""

from __future__ import annotations

from typing import Any


class PAIError(Exception):
    """An error answer: the fake sends `status` with PAI's error body for `code`."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


def error_body(code: str, message: str, request_id: str, host: str) -> dict[str, Any]:
    """Render an error body as Alibaba Cloud's gateway sends it."""
    return {
        "RequestId": request_id,
        "HostId": host,
        "Code": code,
        "Message": message,
        "Recommend": f"https://api.aliyun.com/troubleshoot?q={code}&product=AIWorkSpace",
    }
