"""Artifact content: read it whole, stream it, or download it atomically to disk.

Content is the artifact's bytes as stored: `Accept-Encoding: identity` is asked
for, and a body the service sends with a `Content-Encoding` anyway (a stored
`.gz` served as `gzip`) is kept as it came, never decoded.
"""

from __future__ import annotations

import os
import re
import secrets
import stat
import time
from collections.abc import AsyncGenerator
from contextlib import aclosing, suppress
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

import anyio
import anyio.to_thread

from .._core._params import build_query, non_negative, positive_id, required_text
from .._core._protocol import Request
from ._base import Resource
from ._dialect import api_path

if TYPE_CHECKING:
    from .._core._client import BaseClient

__all__ = ["Artifacts", "download_target", "part_name", "remove_orphaned_parts"]

#: The longest file name, in encoded bytes, of every common file system.
NAME_MAX = 255
#: A temporary file not written for this long, whose process is gone, is an orphan.
ORPHAN_AGE = 600.0
_PART = re.compile(r"\..+\.([1-9][0-9]{0,9})\.[0-9a-f]{12}\.part", re.DOTALL)


def download_target(dest: str | os.PathLike[str], artifact_path: str) -> Path:
    """Return the file `download` writes: `dest` itself, or the artifact's name inside it.

    `dest` is a folder if it exists as one or if it ends with a path separator
    (`"downloads/"`), whether or not it exists yet. Only the artifact's base
    name is ever joined to a folder, so a path such as `../../etc/passwd`
    lands as `passwd` inside `dest`, never outside it.
    """
    separators = tuple(sep for sep in (os.sep, os.altsep, "/") if sep)
    folder = Path(dest)
    if not os.fspath(dest).endswith(separators) and not folder.is_dir():
        return folder
    name = PurePosixPath(artifact_path.replace("\\", "/")).name
    if name in ("", ".", ".."):
        raise ValueError(f"artifact_path {artifact_path!r} names no file to write into {folder}")
    return folder / name


def part_name(name: str) -> str:
    """Return a fresh temporary name for a download to `name`: `.NAME.PID.RANDOM.part`.

    `NAME` is cut short where needed so that the whole stays within `NAME_MAX`
    encoded bytes; the process id lets a later download tell an orphan.
    """
    suffix = f".{os.getpid()}.{secrets.token_hex(6)}.part"
    room = NAME_MAX - len(os.fsencode(f".{suffix}"))
    while len(os.fsencode(name)) > room:
        name = name[:-1]
    return f".{name}{suffix}"


def remove_orphaned_parts(folder: Path) -> None:
    """Remove the temporary files of downloads killed before they could clean up.

    Only files named by `part_name` are candidates, and only those of another
    process that no longer runs on this machine and that have not been written
    for `ORPHAN_AGE` seconds: a download still running anywhere is left alone.
    Process ids can only be probed safely on POSIX; elsewhere nothing is removed.
    """
    if os.name != "posix":
        return
    stale = time.time() - ORPHAN_AGE
    with suppress(OSError), os.scandir(folder) as entries:
        for entry in entries:
            match = _PART.fullmatch(entry.name)
            if match is None or int(match[1]) == os.getpid():
                continue
            with suppress(OSError):
                info = entry.stat(follow_symlinks=False)
                if (
                    stat.S_ISREG(info.st_mode)
                    and info.st_mtime < stale
                    and not _process_exists(int(match[1]))
                ):
                    os.unlink(entry.path)


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (OSError, OverflowError):  # someone else's process, or a number no pid can be
        return True
    return True


def _existing_mode(target: Path) -> int | None:
    """Return the permission bits of the regular file at `target`, `None` if there is none.

    Raises:
        ValueError: `target` (or what a symlink there leads to) is a special file,
            a FIFO or a device, that a download must not replace.
    """
    try:
        info = target.stat()
    except FileNotFoundError:
        return None
    if not stat.S_ISREG(info.st_mode):
        raise ValueError(f"refusing to replace {target}: it is not a regular file")
    return stat.S_IMODE(info.st_mode)


def _prepare(target: Path, sweep: bool) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    _existing_mode(target)
    if sweep:
        remove_orphaned_parts(target.parent)


def _move_into_place(partial: Path, target: Path) -> None:
    mode = _existing_mode(target)
    if mode is not None:
        partial.chmod(mode)
    partial.replace(target)


def _limit(max_bytes: int | None) -> int | None:
    return None if max_bytes is None else non_negative(max_bytes, "max_bytes")


class Artifacts(Resource):
    """The bytes behind artifact files (`GET /artifacts/content`), exactly as stored.

    A connection lost while content is read is tried again from where it
    stopped (an HTTP `Range` request; a service that ignores it sends the
    whole file again and the bytes already delivered are skipped). Reading is
    bounded by the client's connect and per-read timeouts, not its total one,
    so large files take the time they need while data flows. Closing the client
    ends every read in progress with `ClientStateError`.
    """

    def __init__(self, client: BaseClient) -> None:
        super().__init__(client)
        self._swept: set[Path] = set()

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

        `max_bytes` bounds the content (`None`: no bound); a larger one raises
        `DecodeError`.

        Example:
            >>> data = await client.artifacts.read(1, "runs/42/metrics.json")
        """
        chunks = self._client._iter_body(
            self._content(project_id, artifact_path), _limit(max_bytes)
        )
        async with aclosing(chunks):
            return b"".join([chunk async for chunk in chunks])

    def stream(
        self, project_id: int | str, artifact_path: str, *, max_bytes: int | None = None
    ) -> AsyncGenerator[bytes, None]:
        """Yield an artifact's content in chunks as they arrive.

        `max_bytes` bounds the bytes yielded (`None`: no bound): past it, the
        iteration raises `DecodeError`. The response stays open while you
        iterate: if you may stop early, close the iterator
        (`async with contextlib.aclosing(...)`).

        Example:
            >>> async for chunk in client.artifacts.stream(1, "runs/42/model/weights.pt"):
            ...     digest.update(chunk)
        """
        request = self._content(project_id, artifact_path)
        return self._client._iter_body(request, _limit(max_bytes))

    async def download(
        self,
        project_id: int | str,
        artifact_path: str,
        dest: str | os.PathLike[str],
        *,
        max_bytes: int | None = None,
    ) -> Path:
        """Stream an artifact to disk and return the path written.

        `dest` is a file path, or a folder into which the artifact's file name
        goes: one that exists, or any path ending with a separator
        (`"downloads/"`), created if missing. Missing parent folders are
        created. The content goes to a temporary file beside the target
        (`.NAME.PID.RANDOM.part`), renamed over it only once complete, so a
        failure leaves neither a partial file nor a damaged old one; a file
        replaced keeps its permission bits. A FIFO or device at `dest` (or a
        symlink to one) is refused with `ValueError` before anything is sent.
        A client's first download into a folder removes the temporary files
        that killed downloads left there (see `remove_orphaned_parts`).

        `max_bytes` bounds the content (`None`: no bound); a larger one raises
        `DecodeError` and leaves no file behind.
        """
        request = self._content(project_id, artifact_path)
        limit = _limit(max_bytes)
        target = download_target(dest, artifact_path)
        folder = target.parent.absolute()
        sweep = folder not in self._swept
        self._swept.add(folder)
        await anyio.to_thread.run_sync(_prepare, target, sweep)
        partial = target.with_name(part_name(target.name))
        try:
            async with (
                await anyio.open_file(partial, "xb") as file,
                aclosing(self._client._iter_body(request, limit)) as chunks,
            ):
                async for chunk in chunks:
                    await file.write(chunk)
            await anyio.to_thread.run_sync(_move_into_place, partial, target)
        except BaseException:
            with anyio.CancelScope(shield=True):
                await anyio.Path(partial).unlink(missing_ok=True)
            raise
        return target
