"""A safe, versioned, self-checking file format for fitted neighbour indexes.

NOTE [index file format]: an index file is a plain ``.npz`` archive (a zip of ``.npy``
members, never a pickle) holding the fitted arrays and one ``__meta__`` member of UTF-8 JSON:
format name and version, the oversampler's class and parameters, the training data's row
count, feature count and fingerprint, and a SHA-256 of every array. With ``key=`` a
``__signature__`` member holds an HMAC-SHA256 of the metadata (and so, through the digests,
of every array) under a key the user keeps outside the file.

Reading is bounded and refuses before it spends: the path must be a regular file (opened
non-blocking, so a FIFO or device is refused at once), no larger than the arrays the caller's
``layout`` allows; the metadata member (at most :data:`MAX_META_BYTES`) is read, signed-off
and compared with the caller's expectations (format, version, rows, features, fingerprint,
oversampler) before any array member is inflated; each array member's ``.npy`` header must
give the dtype and shape of its :class:`ArraySpec` and the zip directory must declare exactly
the bytes that header implies, before a byte of data is read; the data is then read and hashed
in chunks into one preallocated array. Every failure is an :class:`IndexFileError` naming the
file and what is wrong; a missing file is ``FileNotFoundError`` and a directory
``IsADirectoryError``, as for any file argument.

What the checksums protect against: accidents (a truncated copy, a flipped bit, another
version, another data set). Not against someone who can rewrite the file: they can recompute
every digest. The oversampler checks the arrays' content after reading
(``oversample/_index_checks.py``); only the keyed signature shows that the file is the one
saved by the key's holder.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import math
import os
import stat
import zipfile
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np
import numpy.lib.format as npy_format
import torch

from imbalance_torch._files import atomic_write
from imbalance_torch._validation import describe

__all__ = [
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "MAX_META_BYTES",
    "ArraySpec",
    "IndexFileError",
    "data_fingerprint",
    "read_index",
    "write_index",
]

FORMAT_NAME = "imbalance-torch-index"
FORMAT_VERSION = 1
#: Largest metadata member read (a real one is about 1 KB).
MAX_META_BYTES = 1 << 20
META = "__meta__"
SIGNATURE = "__signature__"
_SIGNATURE_BYTES = 64  # hex of an HMAC-SHA256
_CHUNK_BYTES = 1 << 20
_MEMBER_OVERHEAD = 1 << 17  # zip headers, name, extra field and .npy header of one member
_REFIT = "Delete it and refit (fit again, then save_index)."


class IndexFileError(ValueError):
    """An index file that cannot be used: unreadable, corrupted, edited, of another version or data."""


@dataclass(frozen=True)
class ArraySpec:
    """What one array of an index file must be, known before it is read.

    Attributes:
        dtype: its dtype (either byte order is accepted; arrays are returned in native order).
        shape: per dimension an exact length (int), or ``None``: any length up to ``max_length``.
        max_length: bound of the ``None`` dimensions.
    """

    dtype: np.dtype
    shape: tuple[int | None, ...]
    max_length: int = 0

    def max_bytes(self) -> int:
        return (
            math.prod(self.max_length if n is None else n for n in self.shape)
            * np.dtype(self.dtype).itemsize
        )

    def describe(self) -> str:
        dims = [f"<={self.max_length}" if n is None else str(n) for n in self.shape]
        return f"{np.dtype(self.dtype).name} of shape ({', '.join(dims)}{',' if len(dims) == 1 else ''})"

    def accepts(self, dtype: np.dtype, shape: tuple[int, ...]) -> bool:
        want = np.dtype(self.dtype)
        same_dtype = (
            dtype.kind == want.kind
            and dtype.itemsize == want.itemsize
            and dtype.fields is None
            and dtype.subdtype is None
        )
        same_rank = len(shape) == len(self.shape)
        return (
            same_dtype
            and same_rank
            and all(
                0 <= n <= self.max_length if s is None else n == s
                for n, s in zip(shape, self.shape)
            )
        )


_META_SPEC = ArraySpec(np.dtype(np.uint8), (None,), MAX_META_BYTES)
_SIGNATURE_SPEC = ArraySpec(np.dtype(np.uint8), (_SIGNATURE_BYTES,))


def data_fingerprint(X: torch.Tensor, y: torch.Tensor) -> str:
    """SHA-256 over the shape, dtype and contents of the training data (features and labels)."""
    return fingerprint_blocks(tuple(X.shape), X.dtype, [X], y)


def fingerprint_blocks(
    shape: tuple[int, ...], dtype: torch.dtype, blocks: Iterable[torch.Tensor], y: torch.Tensor
) -> str:
    """:func:`data_fingerprint` of features given as consecutive row blocks (an out-of-core
    source read chunk by chunk gives the digest of the same data in memory)."""
    digest = hashlib.sha256()
    digest.update(f"{tuple(shape)}|{dtype}|{tuple(y.shape)}".encode())
    for tensor in itertools.chain(blocks, (y,)):
        raw = tensor.detach().contiguous().cpu()
        if raw.element_size() == 2:  # bfloat16/float16: hash the bits (numpy has no bfloat16)
            raw = raw.view(torch.int16)
        digest.update(memoryview(raw.numpy()).cast("B"))
    return digest.hexdigest()


def _digest_start(dtype: np.dtype, shape: tuple[int, ...]) -> Any:
    return hashlib.sha256(f"{dtype.str}|{shape}".encode())


def _array_digest(array: np.ndarray) -> str:
    digest = _digest_start(array.dtype, array.shape)
    digest.update(memoryview(np.ascontiguousarray(array)).cast("B"))
    return digest.hexdigest()


def _check_key(key: Any) -> bytes | None:
    if key is None:
        return None
    if not isinstance(key, bytes):
        raise TypeError(
            f"key must be bytes (a secret kept outside the index file, e.g. os.urandom(32)); "
            f"got {describe(key)} of type {type(key).__name__}. Encode a passphrase with .encode()."
        )
    if not key:
        raise ValueError(
            "key is empty (b''); pass a secret such as os.urandom(32), kept outside the file."
        )
    return key


def _signature(key: bytes, meta_bytes: bytes) -> bytes:
    return hmac.new(key, meta_bytes, hashlib.sha256).hexdigest().encode()


def write_index(
    path: str | os.PathLike[str],
    meta: dict[str, Any],
    arrays: dict[str, np.ndarray],
    *,
    key: bytes | None = None,
) -> Path:
    """Write ``arrays`` and ``meta`` atomically (temp file + rename) to ``path``.

    With ``key`` the file is signed (HMAC-SHA256); :func:`read_index` with the same key
    refuses it if anyone without the key changed it.
    """
    path = Path(path)
    key = _check_key(key)
    if any(name.startswith("__") for name in arrays):
        raise ValueError("array names starting with '__' are reserved")
    full_meta = dict(meta)
    full_meta.update(
        format=FORMAT_NAME,
        version=FORMAT_VERSION,
        arrays={name: _array_digest(array) for name, array in arrays.items()},
    )
    meta_bytes = json.dumps(full_meta, sort_keys=True).encode()
    payload = {name: np.ascontiguousarray(array) for name, array in arrays.items()}
    payload[META] = np.frombuffer(meta_bytes, dtype=np.uint8)
    if key is not None:
        payload[SIGNATURE] = np.frombuffer(_signature(key, meta_bytes), dtype=np.uint8)
    # NOTE [file permissions]: the mode open(path, "w") gives, as for every file we write
    return atomic_write(path, lambda handle: np.savez(handle, **payload))


# -- reading -------------------------------------------------------------------------------
def read_index(
    path: str | os.PathLike[str],
    *,
    expected: Mapping[str, Any],
    layout: Mapping[str, ArraySpec],
    key: bytes | None = None,
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Read and check an index file, bounded (see NOTE [index file format]).

    Args:
        path: the file (symlinks are followed).
        expected: metadata fields that must match exactly (rows, features, fingerprint...).
        layout: every array the file must hold (no more, no fewer) and its dtype and shape.
        key: the key the file was signed with; ``None`` skips the signature.

    Returns:
        ``(meta, arrays)``, the arrays in native byte order.

    Raises:
        FileNotFoundError: no such file. IsADirectoryError: a directory.
        IndexFileError: anything else wrong with the file.
    """
    path = Path(path)
    key = _check_key(key)
    limit = (
        MAX_META_BYTES
        + sum(spec.max_bytes() + _MEMBER_OVERHEAD for spec in layout.values())
        + 3 * _MEMBER_OVERHEAD
    )
    with _open_regular_file(path, limit) as handle:
        try:
            with zipfile.ZipFile(handle) as archive:
                return _read_archive(path, archive, expected, layout, key)
        except IndexFileError:
            raise
        except (
            OSError,
            EOFError,
            ValueError,
            KeyError,
            RuntimeError,
            MemoryError,
            OverflowError,
            zipfile.BadZipFile,
        ) as error:
            # RuntimeError covers an encrypted member and JSON nested past the recursion limit.
            raise IndexFileError(
                f"{str(path)!r} could not be read as an index file ({type(error).__name__}: "
                f"{describe(str(error), 200)}); it is truncated or corrupted. {_REFIT}"
            ) from None


@contextmanager
def _open_regular_file(path: Path, limit: int) -> Iterator[IO[bytes]]:
    """Open ``path`` for reading without blocking; only a regular file of at most ``limit`` bytes."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        raise FileNotFoundError(
            f"index file {str(path)!r} does not exist; fit and save it first."
        ) from None
    except IsADirectoryError:
        raise IsADirectoryError(
            f"index file {str(path)!r} is a directory; pass the file's path."
        ) from None
    except OSError as error:
        raise IndexFileError(
            f"index file {str(path)!r} cannot be opened ({type(error).__name__}: {error.strerror})."
        ) from None
    try:
        mode = os.fstat(fd)
        if stat.S_ISDIR(mode.st_mode):
            raise IsADirectoryError(
                f"index file {str(path)!r} is a directory; pass the file's path."
            )
        if not stat.S_ISREG(mode.st_mode):
            raise IndexFileError(
                f"index file {str(path)!r} is a {_file_kind(mode.st_mode)}, not a regular file; pass "
                f"the path of a file written by save_index."
            )
        if mode.st_size > limit:
            raise IndexFileError(
                f"{str(path)!r} is {mode.st_size} bytes, more than the {limit} bytes an index of this "
                f"data and oversampler can take; it is not an index for this data. {_REFIT}"
            )
    except BaseException:
        os.close(fd)
        raise
    with os.fdopen(fd, "rb") as handle:
        yield handle


def _file_kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISFIFO, "FIFO (named pipe)"),
        (stat.S_ISCHR, "character device"),
        (stat.S_ISBLK, "block device"),
        (stat.S_ISSOCK, "socket"),
    ):
        if test(mode):
            return name
    return "special file"


def _read_archive(
    path: Path,
    archive: zipfile.ZipFile,
    expected: Mapping[str, Any],
    layout: Mapping[str, ArraySpec],
    key: bytes | None,
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    members = _list_members(path, archive)
    if META not in members:
        raise IndexFileError(
            f"{str(path)!r} is not an imbalance-torch index file (no metadata); {_REFIT}"
        )
    meta_bytes = _read_member(path, archive, members[META], META, _META_SPEC).tobytes()
    if key is not None:
        _check_signature(path, archive, members, meta_bytes, key)
    meta = _parse_meta(path, meta_bytes)
    _compare_meta(path, meta, expected)
    digests = _check_array_names(path, meta, members, layout)
    arrays = {}
    for name, spec in layout.items():
        arrays[name] = _read_member(path, archive, members[name], name, spec, digests[name])
    return meta, arrays


def _list_members(path: Path, archive: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
    infos = archive.infolist()
    repeated = sorted(
        name for name, count in Counter(info.filename for info in infos).items() if count > 1
    )
    if repeated:
        raise IndexFileError(
            f"{str(path)!r} holds members {describe(repeated, 200)} more than once; it was edited. {_REFIT}"
        )
    members = {}
    for info in infos:
        if not info.filename.endswith(".npy"):
            raise IndexFileError(
                f"{str(path)!r} holds {describe(info.filename)}, which is not an array (.npy) member; it was edited. {_REFIT}"
            )
        if info.flag_bits & 0x1:
            raise IndexFileError(
                f"{str(path)!r}: member {describe(info.filename)} is encrypted; index files never are. {_REFIT}"
            )
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise IndexFileError(
                f"{str(path)!r}: member {describe(info.filename)} uses zip compression method "
                f"{info.compress_type}; index files are stored or deflated only. {_REFIT}"
            )
        members[info.filename[: -len(".npy")]] = info
    return members


def _check_signature(
    path: Path,
    archive: zipfile.ZipFile,
    members: dict[str, zipfile.ZipInfo],
    meta_bytes: bytes,
    key: bytes,
) -> None:
    if SIGNATURE not in members:
        raise IndexFileError(
            f"{str(path)!r} is not signed but a key was given: it was saved without key= or its "
            f"signature was removed. Do not use it; refit and save_index(path, key=...)."
        )
    signature = _read_member(
        path, archive, members[SIGNATURE], SIGNATURE, _SIGNATURE_SPEC
    ).tobytes()
    if not hmac.compare_digest(signature, _signature(key, meta_bytes)):
        raise IndexFileError(
            f"{str(path)!r}: the signature does not match the key: the file was changed by someone "
            f"without the key, or signed with another key. Do not use it; refit and "
            f"save_index(path, key=...)."
        )


def _parse_meta(path: Path, meta_bytes: bytes) -> dict[str, Any]:
    meta = json.loads(meta_bytes.decode("utf-8"))
    if not isinstance(meta, dict):
        raise IndexFileError(
            f"{str(path)!r}: the metadata is a JSON {type(meta).__name__} ({describe(meta)}), not an "
            f"object; it is not an imbalance-torch index file. {_REFIT}"
        )
    if meta.get("format") != FORMAT_NAME:
        raise IndexFileError(
            f"{str(path)!r} is not an imbalance-torch index file (format {describe(meta.get('format'))}); {_REFIT}"
        )
    if meta.get("version") != FORMAT_VERSION:
        raise IndexFileError(
            f"{str(path)!r} has index format version {describe(meta.get('version'))}; this version of "
            f"imbalance-torch reads version {FORMAT_VERSION}. Refit and save it again."
        )
    return meta


def _compare_meta(path: Path, meta: dict[str, Any], expected: Mapping[str, Any]) -> None:
    for key, value in expected.items():
        if meta.get(key) != value:
            raise IndexFileError(
                f"{str(path)!r} was built for {key}={describe(meta.get(key), 200)} but this data/oversampler "
                f"has {key}={describe(value, 200)}; it belongs to other training data or settings. Refit on "
                f"this data (or pass the file that was built on it)."
            )


def _check_array_names(
    path: Path,
    meta: dict[str, Any],
    members: dict[str, zipfile.ZipInfo],
    layout: Mapping[str, ArraySpec],
) -> dict[str, str]:
    digests = meta.get("arrays")
    if not isinstance(digests, dict) or not all(isinstance(d, str) for d in digests.values()):
        raise IndexFileError(
            f"{str(path)!r}: metadata field 'arrays' is {describe(digests)}, not a table of checksums; it was edited. {_REFIT}"
        )
    stored = set(members) - {META, SIGNATURE}
    for names in (set(digests), stored):
        missing, extra = sorted(set(layout) - names), sorted(names - set(layout))
        if missing:
            raise IndexFileError(
                f"{str(path)!r} lacks array(s) {missing} that this oversampler's index holds; it is incomplete or was edited. {_REFIT}"
            )
        if extra:
            raise IndexFileError(
                f"{str(path)!r} holds unexpected array(s) {describe(extra, 200)} that this oversampler's index never has; it was edited. {_REFIT}"
            )
    return digests


def _read_member(
    path: Path,
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    name: str,
    spec: ArraySpec,
    digest: str | None = None,
) -> np.ndarray:
    """One ``.npy`` member, checked against ``spec`` and the zip directory before its data is
    read, then read (and hashed) in chunks into one preallocated array."""
    with archive.open(info) as stream:
        version = npy_format.read_magic(stream)
        if version not in ((1, 0), (2, 0)):
            raise IndexFileError(
                f"{str(path)!r}: array {name!r} is in .npy format version {version}; index files use 1.0 or 2.0. {_REFIT}"
            )
        read_header = (
            npy_format.read_array_header_1_0
            if version == (1, 0)
            else npy_format.read_array_header_2_0
        )
        shape, fortran_order, dtype = read_header(stream)
        if not spec.accepts(dtype, shape) or fortran_order:
            order = ", Fortran order" if fortran_order else ""
            raise IndexFileError(
                f"{str(path)!r}: array {name!r} is {describe(dtype.str)} of shape {describe(shape)}{order}; "
                f"this index needs {spec.describe()}. It was edited or built with other settings. {_REFIT}"
            )
        data_bytes = math.prod(shape) * dtype.itemsize
        if info.file_size != stream.tell() + data_bytes:
            raise IndexFileError(
                f"{str(path)!r}: the zip directory declares {info.file_size} bytes for array {name!r}, "
                f"whose header implies {stream.tell() + data_bytes}; it was edited. {_REFIT}"
            )
        array = np.empty(shape, dtype=dtype)
        running = _digest_start(dtype, shape)
        buffer = memoryview(array.reshape(-1).view(np.uint8))
        done = 0
        while done < data_bytes:
            got = stream.readinto(buffer[done : done + _CHUNK_BYTES])
            if not got:
                raise IndexFileError(
                    f"{str(path)!r}: array {name!r} ends after {done} of {data_bytes} bytes; it is truncated. {_REFIT}"
                )
            running.update(buffer[done : done + got])
            done += got
    if digest is not None and not hmac.compare_digest(running.hexdigest(), digest):
        raise IndexFileError(
            f"{str(path)!r}: array {name!r} does not match its checksum; the file is corrupted. {_REFIT}"
        )
    return array if dtype.isnative else array.byteswap().view(dtype.newbyteorder("="))
