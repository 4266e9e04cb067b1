"""A safe, versioned, self-checking file format for fitted neighbour indexes.

NOTE [index file format]: an index file is a plain ``.npz`` archive (read back with
``allow_pickle=False``, so loading never runs code) holding the fitted arrays and one
``__meta__`` array of UTF-8 JSON: format name and version, the oversampler's class and
parameters, the training data's row count, feature count and fingerprint, and a SHA-256 of
every array. Loading checks all of it and refuses a truncated, corrupted, wrong-version or
mismatched file with a message saying what differs; it is never silently used.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import torch

__all__ = ["FORMAT_NAME", "FORMAT_VERSION", "IndexFileError", "data_fingerprint", "read_index", "write_index"]

FORMAT_NAME = "imbalance-torch-index"
FORMAT_VERSION = 1


class IndexFileError(ValueError):
    """An index file that cannot be used: unreadable, corrupted, of another version or data."""


def data_fingerprint(X: torch.Tensor, y: torch.Tensor) -> str:
    """SHA-256 over the shape, dtype and contents of the training data (features and labels)."""
    digest = hashlib.sha256()
    digest.update(f"{tuple(X.shape)}|{X.dtype}|{tuple(y.shape)}".encode())
    for tensor in (X, y):
        raw = tensor.detach().contiguous().cpu()
        if raw.element_size() == 2:  # bfloat16/float16: hash the bits (numpy has no bfloat16)
            raw = raw.view(torch.int16)
        digest.update(memoryview(raw.numpy()).cast("B"))
    return digest.hexdigest()


def _array_digest(array: np.ndarray) -> str:
    return hashlib.sha256(
        f"{array.dtype.str}|{array.shape}".encode() + np.ascontiguousarray(array).tobytes()
    ).hexdigest()


def write_index(path: str | os.PathLike[str], meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> Path:
    """Write ``arrays`` and ``meta`` atomically (temp file + rename) to ``path``."""
    path = Path(path)
    if any(name.startswith("__") for name in arrays):
        raise ValueError("array names starting with '__' are reserved")
    full_meta = dict(meta)
    full_meta.update(
        format=FORMAT_NAME,
        version=FORMAT_VERSION,
        arrays={name: _array_digest(array) for name, array in arrays.items()},
    )
    payload = {name: np.ascontiguousarray(array) for name, array in arrays.items()}
    payload["__meta__"] = np.frombuffer(json.dumps(full_meta, sort_keys=True).encode(), dtype=np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            np.savez(handle, **payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def read_index(
    path: str | os.PathLike[str], *, expected: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Read and check an index file; ``expected`` holds meta fields that must match exactly."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"index file {str(path)!r} does not exist; fit and save it first.")
    if path.is_dir():
        raise IsADirectoryError(f"index file {str(path)!r} is a directory; pass the file's path.")
    try:
        with np.load(path, allow_pickle=False) as archive:
            if "__meta__" not in archive.files:
                raise IndexFileError(
                    f"{str(path)!r} is not an imbalance-torch index file (no metadata); refit "
                    f"and save it again."
                )
            meta = json.loads(archive["__meta__"].tobytes().decode())
            arrays = {name: archive[name] for name in archive.files if name != "__meta__"}
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, KeyError) as error:
        if isinstance(error, IndexFileError):
            raise
        raise IndexFileError(
            f"{str(path)!r} could not be read as an index file ({type(error).__name__}: "
            f"{error}); it is truncated or corrupted. Delete it and refit."
        ) from None
    if meta.get("format") != FORMAT_NAME:
        raise IndexFileError(f"{str(path)!r} is not an imbalance-torch index file; refit and save it again.")
    if meta.get("version") != FORMAT_VERSION:
        raise IndexFileError(
            f"{str(path)!r} has index format version {meta.get('version')!r}; this version of "
            f"imbalance-torch reads version {FORMAT_VERSION}. Refit and save it again."
        )
    digests = meta.get("arrays", {})
    if set(digests) != set(arrays):
        raise IndexFileError(f"{str(path)!r} has missing or unexpected arrays {sorted(set(digests) ^ set(arrays))}; it is corrupted. Refit.")
    for name, array in arrays.items():
        if _array_digest(array) != digests[name]:
            raise IndexFileError(
                f"{str(path)!r}: array {name!r} does not match its checksum; the file is "
                f"corrupted. Delete it and refit."
            )
    for key, value in expected.items():
        if meta.get(key) != value:
            raise IndexFileError(
                f"{str(path)!r} was built for {key}={meta.get(key)!r} but this data/oversampler "
                f"has {key}={value!r}; it belongs to other training data or settings. Refit on "
                f"this data (or pass the file that was built on it)."
            )
    return meta, arrays
