"""Checking a path before anything opens it: a missing path, a dangling link, a symbolic-link
loop, a directory, a named pipe (FIFO), a device and a socket each get their own one-line
message. Shared by table paths (:func:`check_path`) and checkpoint paths
(:func:`~imbalance_torch.lightning.model.checkpoints.check_checkpoint_file`)."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from imbalance_torch.data._parquet_files import parquet_folder_files

__all__ = ["check_path", "path_mode", "special_file_kind"]


def path_mode(
    path: str | os.PathLike, text: str, *, argument: str, fix: str, what: str = "file"
) -> int:
    """``os.stat(path).st_mode`` (links followed); a path that cannot be stat'ed gets one line
    naming what it is. Shared by table paths (:func:`check_path`) and checkpoint paths
    (:func:`~imbalance_torch.lightning.model.checkpoints.check_checkpoint_file`).

    Args:
        path: the path.
        text: the path as the user gave it, for messages.
        argument: the argument that gave it (``data``, ``ckpt_path``), for messages.
        fix: what to do instead, ending the messages.
        what: what a missing path should have been (``file``, ``checkpoint file``).

    Returns:
        The mode bits.

    Raises:
        FileNotFoundError: no such path (a dangling symbolic link is named as one).
        PermissionError: a path that cannot be reached (permission denied).
        ValueError: a symbolic-link loop, or another reason the system gives.
    """
    try:
        return os.stat(path).st_mode
    except FileNotFoundError:
        if os.path.islink(path):
            raise FileNotFoundError(
                f"{argument}={text!r} is a symbolic link to {os.readlink(path)!r}, which does "
                f"not exist; {fix}."
            ) from None
        raise FileNotFoundError(
            f"{argument}={text!r}: no such {what} (relative paths start at {os.getcwd()}); {fix}."
        ) from None
    except PermissionError:
        raise PermissionError(
            f"{argument}={text!r} cannot be read (permission denied); {fix}."
        ) from None
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise ValueError(
                f"{argument}={text!r} is a symbolic link loop (a link that leads back to itself); "
                f"{fix}."
            ) from None
        raise ValueError(
            f"{argument}={text!r} cannot be opened ({error.strerror}); {fix}."
        ) from None


def special_file_kind(mode: int) -> str | None:
    """What a path of mode ``mode`` is when it is neither a regular file nor a directory
    (``a named pipe (FIFO)``, ``a character device``, ``a block device``, ``a socket``,
    ``not a regular file``); None for a regular file or a directory."""
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    kinds = {
        stat.S_ISFIFO: "a named pipe (FIFO)",
        stat.S_ISCHR: "a character device",
        stat.S_ISBLK: "a block device",
        stat.S_ISSOCK: "a socket",
    }
    return next((name for test, name in kinds.items() if test(mode)), "not a regular file")


def check_path(path: Path, text: str) -> list[Path] | None:
    """Check a table's path before anything opens it; each kind of bad path gets one line.

    Args:
        path: the path.
        text: the path as the user gave it, for messages.

    Returns:
        The files of a Parquet folder (NOTE [one schema per Parquet folder]), or None for a
        file.

    Raises:
        FileNotFoundError: no such path (a dangling symbolic link is named as one).
        IsADirectoryError: a directory that holds no Parquet file.
        ValueError: a named pipe (FIFO), a device, a socket, a symbolic-link loop, an empty
            file.
        PermissionError: a path that cannot be read.
    """
    fix = "pass the path of a .csv or .parquet file (or a folder of .parquet files)"
    mode = path_mode(path, text, argument="data", fix=fix)
    if stat.S_ISDIR(mode):
        files = parquet_folder_files(path)
        if files:
            return files
        raise IsADirectoryError(
            f"data={text!r} is a directory, not a file, and holds no .parquet file (hidden "
            f"folders such as .ipynb_checkpoints are skipped); {fix}."
        )
    kind = special_file_kind(mode)
    if kind is not None:
        raise ValueError(
            f"data={text!r} is {kind}, not a file that can be read "
            f"twice (the header is checked before the table is read); {fix}."
        )
    if os.stat(path).st_size == 0:
        raise ValueError(f"{path.name} is empty (0 bytes): no header and no rows.")
    return None
