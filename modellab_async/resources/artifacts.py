"""Artifact content: read it whole, stream it, or download it atomically to disk."""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncGenerator
from contextlib import aclosing
from pathlib import Path, PurePosixPath

import anyio

from .._params import build_query, positive_id, required_text
from .._protocol import Request
from ._base import Resource
from ._dialect import api_path

__all__ = ["Artifacts", "download_target"]


def download_target(dest: Path, artifact_path: str) -> Path:
    """Return the file `download` writes: `dest` itself, or the artifact's name inside it.

    Only the artifact's base name is ever joined to a folder, so a path such as
    `../../etc/passwd` lands as `passwd` inside `dest`, never outside it.
    """
    if not dest.is_dir():
        return dest
    name = PurePosixPath(artifact_path.replace("\\", "/")).name
    if name in ("", ".", ".."):
        raise ValueError(f"artifact_path {artifact_path!r} names no file to write into {dest}")
    return dest / name


class Artifacts(Resource):
    """The bytes behind artifact files (`GET /artifacts/content`)."""

    @staticmethod
    def _content(project_id: int | str, artifact_path: str) -> Request:
        params = build_query(
            ("project_id", positive_id(project_id, "project_id")),
            ("artifact_path", required_text(artifact_path, "artifact_path")),
        )
        return Request("GET", api_path("artifacts", "content"), params, accept="*/*")

    async def read(
        self, project_id: int | str, artifact_path: str, *, max_bytes: int | None = None
    ) -> bytes:
        """Return an artifact's content as bytes; for large files prefer `stream` or `download`.

        Example:
            >>> data = await client.artifacts.read(1, "runs/42/metrics.json")
        """
        request = self._content(project_id, artifact_path)
        response = await self._client._send(request, max_bytes=max_bytes or 2**62)
        return response.body

    def stream(self, project_id: int | str, artifact_path: str) -> AsyncGenerator[bytes, None]:
        """Yield an artifact's content in chunks as they arrive.

        The response stays open while you iterate: if you may stop early, close
        the iterator (`async with contextlib.aclosing(...)`).

        Example:
            >>> async for chunk in client.artifacts.stream(1, "runs/42/model/weights.pt"):
            ...     digest.update(chunk)
        """
        return self._client._iter_body(self._content(project_id, artifact_path))

    async def download(
        self, project_id: int | str, artifact_path: str, dest: str | os.PathLike[str]
    ) -> Path:
        """Stream an artifact to disk and return the path written.

        `dest` is a file path, or an existing folder into which the artifact's
        file name goes; missing parent folders are created. The content goes to
        a temporary file beside the target, renamed over it only once complete,
        so a failure leaves neither a partial file nor a damaged old one.
        """
        request = self._content(project_id, artifact_path)
        target = download_target(Path(dest), artifact_path)
        await anyio.Path(target.parent).mkdir(parents=True, exist_ok=True)
        partial = anyio.Path(target.with_name(f".{target.name}.{secrets.token_hex(6)}.part"))
        try:
            async with (
                await anyio.open_file(partial, "wb") as file,
                aclosing(self._client._iter_body(request)) as chunks,
            ):
                async for chunk in chunks:
                    await file.write(chunk)
            await partial.replace(target)
        except BaseException:
            with anyio.CancelScope(shield=True):
                await partial.unlink(missing_ok=True)
            raise
        return target
