"""One atomic file write for the whole library: a crash leaves the old file or the new one,
never half of one.

NOTE [file permissions]: a file the library writes (an index file, an array copy, a report)
gets the permissions a plain ``open(path, "w")`` would give it: a new file ``0o666`` less the
process umask (``0o644`` under the usual umask 022), a replaced file keeps its own mode. None
of these files is a secret (an index file's integrity is guarded by its key, not by hiding it),
and they are shared between jobs and people; a user who wants them private sets the umask
(``umask 077``), the one switch every other program honours too. The temporary file is created
with ``os.open(..., 0o666)``, so the kernel applies the umask itself: the umask is never read
or changed (``os.umask`` is process-wide, and changing it races with other threads).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

__all__ = ["atomic_write"]

_CREATE = (
    os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
)


def _temporary(path: Path) -> tuple[int, Path]:
    """A new, empty file next to ``path``, created with the mode ``open(path, "w")`` gives."""
    while True:
        candidate = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
        try:
            return os.open(candidate, _CREATE, 0o666), candidate
        except FileExistsError:  # pragma: no cover - 48 random bits collided
            continue


def atomic_write(
    path: str | os.PathLike[str], write: Callable[[IO[Any]], None], *, binary: bool = True
) -> Path:
    """Write ``path`` atomically: ``write(handle)`` fills a temporary file in the same folder,
    which is flushed to disk (``fsync``) and renamed over ``path`` (``os.replace`` is atomic
    within a file system).

    The file's permissions follow NOTE [file permissions]: those of ``open(path, "w")``.

    Args:
        path: the file to write; its folder is created if missing.
        write: called once with the open temporary file.
        binary: a binary handle (default) or a text one (UTF-8, newlines written as given).

    Returns:
        ``path`` as a :class:`~pathlib.Path`.

    Raises:
        Whatever ``write`` or the file system raises; on any error, ``KeyboardInterrupt``
        included, the temporary file is removed and ``path`` is left as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = _temporary(path)
    try:
        options: dict[str, Any] = {} if binary else {"encoding": "utf-8", "newline": ""}
        with os.fdopen(handle, "wb" if binary else "w", **options) as out:
            try:  # open(path, "w") keeps a replaced file's mode
                os.chmod(temporary, os.stat(path).st_mode & 0o7777)
            except FileNotFoundError:
                pass
            write(out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return path
