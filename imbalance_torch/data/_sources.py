"""Feature sources larger than memory: a memory-mapped ``.npy`` array or a Parquet dataset.

NOTE [out-of-core features]: a :class:`FeatureSource` holds the ``(n, d)`` training features
on disk and hands out rows on request; nothing reads it whole. ``SMOTEDataset`` reads the rows
of the classes it over-samples into memory at fit (they are the small ones), streams every
row in chunks only where a method needs the class-vs-all search (Borderline-SMOTE, ADASYN;
see NOTE [streamed class-vs-all search]), and reads the real rows of each batch when the batch
is fetched: the batch's row indices are sorted, read in that order (one pass over the file,
forward), and put back in the order asked for.

A :class:`MemmapSource` reads a batch's rows through short-lived memory maps of windows of at
most ``max_map_bytes`` (128 MiB) of the file, one window at a time, and a chunk with one
``pread`` into its buffer. A mapped page counts in the process's resident memory while it is
mapped, and a page fault maps the whole page-cache folio around the row (measured here: 8,192
random rows of a 1.1 GiB file mapped all of it), so one long-lived mapping of the file would
make the resident memory of an epoch the file's size; windows bound it by ``max_map_bytes``.
Measured on a 1.1 GiB file (8,192 random rows a read): 1 MiB windows read 0.08 M rows/s, 16 MiB
0.3 M, 128 MiB 2.6 M with 126 MiB added at the peak, the whole file 3.3 M with 1,140 MiB.
The page cache still keeps recently read pages, which the kernel drops under memory
pressure. A file larger than the page cache can hold is read from disk at random, one row per
page: measured here with the file's pages evicted, 0.5-0.6 s per batch of 8,192 rows (the
kernel's readahead read 183 MiB a batch; with ``MADV_RANDOM`` 30 MiB, but twice as slow).
That is bound by the disk, not by this code; serving such files fast needs an epoch order
that reads blocks of consecutive rows (a block shuffle), which the sampler does not offer.

A :class:`ParquetSource` reads whole row groups (the unit Parquet can decode), only those a
read touches. A random batch touches most row groups of a table, so random access to Parquet
is slow: serve training from a ``.npy`` copy made once by :func:`to_npy`, and keep Parquet for
sequential passes (the fit's chunked search).

Both sources are picklable (open files and mappings are not carried), so DataLoader workers
read from the file themselves.
"""

from __future__ import annotations

import mmap
import os
import re
import warnings
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from imbalance_torch._files import atomic_write
from imbalance_torch._validation import check_int, describe
from imbalance_torch.data._parquet_files import (
    cast_to_schema,
    parquet_folder_files,
    parquet_folder_schema,
)
from imbalance_torch.neighbors._index_file import fingerprint_blocks

__all__ = ["FeatureSource", "MemmapSource", "ParquetSource", "as_source", "to_npy"]

#: numpy dtypes a source may hold: the ones torch computes on without conversion.
_SUPPORTED = {
    np.dtype(name): getattr(torch, name)
    for name in ("float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8")
}
#: Rows per chunk of a sequential pass, sized to about 32 MiB of features.
_CHUNK_BYTES = 32 * 2**20


def _torch_dtype(dtype: np.dtype, where: str) -> torch.dtype:
    dtype = np.dtype(dtype)
    if dtype.byteorder == ">" or dtype not in _SUPPORTED:
        raise TypeError(
            f"{where} holds {dtype}; out-of-core features must be one of "
            f"{sorted(str(d) for d in _SUPPORTED)} in native byte order. Convert the file once "
            f"(e.g. np.save(path, array.astype(np.float32)))."
        )
    return _SUPPORTED[dtype]


class FeatureSource(ABC):
    """``(n, d)`` features held outside memory (NOTE [out-of-core features]).

    It answers the parts of the tensor interface ``SMOTEDataset`` uses (``shape``, ``dtype``,
    ``device``, ``index_select(0, rows)``), so a batch of real rows reads only those rows.

    Attributes:
        shape: ``(n, d)``.
        dtype: the torch dtype of the rows read.
        device: always CPU (rows are read into CPU memory; move batches yourself).
    """

    shape: tuple[int, int]
    dtype: torch.dtype
    device = torch.device("cpu")

    def __len__(self) -> int:
        return self.shape[0]

    @property
    def num_features(self) -> int:
        return self.shape[1]

    def default_chunk_rows(self) -> int:
        """Rows per chunk of a sequential pass (about 32 MiB)."""
        row_bytes = self.shape[1] * torch.empty(0, dtype=self.dtype).element_size()
        return max(1024, _CHUNK_BYTES // max(row_bytes, 1))

    @abstractmethod
    def _read_sorted(self, rows: np.ndarray) -> np.ndarray:
        """``(len(rows), d)`` rows for ascending ``rows`` (repeats allowed)."""

    @abstractmethod
    def read_range(self, start: int, stop: int) -> torch.Tensor:
        """Rows ``start .. stop - 1`` as a ``(stop - start, d)`` tensor."""

    def read(self, rows: Any) -> torch.Tensor:
        """Rows ``rows`` (any order, repeats allowed) as a ``(len(rows), d)`` tensor, read in
        ascending order and returned in the order asked for.

        Raises:
            IndexError: a row outside ``[0, n)``.
        """
        index = torch.as_tensor(rows).to(torch.int64).flatten().cpu().numpy()
        if len(index) == 0:
            return torch.empty((0, self.shape[1]), dtype=self.dtype)
        low, high = int(index.min()), int(index.max())
        if low < 0 or high >= self.shape[0]:
            bad = low if low < 0 else high
            raise IndexError(f"row {bad} is out of range for {self!r} of {self.shape[0]} rows.")
        order = np.argsort(index, kind="stable")
        ordered = index[order]
        if np.array_equal(order, np.arange(len(index))):  # already ascending: no restore step
            return torch.from_numpy(self._read_sorted(ordered))
        values = self._read_sorted(ordered)
        out = np.empty_like(values)
        out[order] = values
        return torch.from_numpy(out)

    def index_select(self, dim: int, index: torch.Tensor) -> torch.Tensor:
        """``read(index)``: the tensor method ``SMOTEDataset`` calls for real rows."""
        if dim != 0:
            raise ValueError(f"a {type(self).__name__} reads whole rows (dim=0); got dim={dim}.")
        return self.read(index)

    def chunks(self, chunk_rows: int | None = None) -> Iterator[tuple[int, torch.Tensor]]:
        """``(start, rows)`` for consecutive blocks of ``chunk_rows`` rows (default about
        32 MiB each), in file order; one block is in memory at a time."""
        size = self.default_chunk_rows() if chunk_rows is None else check_int("chunk_rows", chunk_rows, minimum=1)
        for start in range(0, self.shape[0], size):
            yield start, self.read_range(start, min(start + size, self.shape[0]))

    def data_fingerprint(self, y: torch.Tensor, chunk_rows: int | None = None) -> str:
        """SHA-256 of the features and labels, read chunk by chunk: the same digest as
        :func:`imbalance_torch.neighbors.data_fingerprint` of the same data in memory, so an
        index file saved in memory loads out of core and back."""
        return fingerprint_blocks(self.shape, self.dtype, (b for _, b in self.chunks(chunk_rows)), y)


class MemmapSource(FeatureSource):
    """Features in a C-ordered 2-D ``.npy`` file (or a raw file with ``dtype`` and ``shape``),
    read through short-lived memory maps (NOTE [out-of-core features]).

    Args:
        path: the ``.npy`` file; or a raw binary file when ``dtype`` and ``shape`` are given.
        dtype: (raw files) the numpy dtype of the values.
        shape: (raw files) ``(rows, features)``.
        offset: (raw files) bytes before the first value.
        max_map_bytes: the largest window of the file mapped at once by a read (bounds the
            resident memory a batch adds; smaller windows mean more map calls per batch).

    Raises:
        FileNotFoundError: no such file.
        ValueError: an array that is not 2-D, is empty, Fortran-ordered, or a file shorter
            than the shape says.
        TypeError: a dtype other than float16/32/64, int8/16/32/64 or uint8.

    Example:
        >>> import numpy as np, tempfile, os
        >>> path = os.path.join(tempfile.mkdtemp(), "x.npy")
        >>> np.save(path, np.arange(12, dtype=np.float32).reshape(6, 2))
        >>> source = MemmapSource(path)
        >>> source.shape, source.read([4, 1]).tolist()
        ((6, 2), [[8.0, 9.0], [2.0, 3.0]])
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        dtype: Any = None,
        shape: Sequence[int] | None = None,
        offset: int = 0,
        max_map_bytes: int = 128 * 2**20,
    ) -> None:
        self.max_map_bytes = check_int("max_map_bytes", max_map_bytes, minimum=1)
        self.path = Path(path)
        if not self.path.is_file():
            raise FileNotFoundError(f"MemmapSource: no file at {str(self.path)!r}; pass the path of a .npy file.")
        if (dtype is None) != (shape is None):
            raise ValueError("MemmapSource: give both dtype and shape (a raw file) or neither (a .npy file).")
        if dtype is None:
            header = np.load(self.path, mmap_mode="r")
            if not isinstance(header, np.memmap):
                raise ValueError(f"MemmapSource: {str(self.path)!r} is not a single .npy array (an .npz archive?); save the features with np.save.")
            if header.ndim != 2 or not header.flags.c_contiguous:
                raise ValueError(
                    f"MemmapSource needs a C-ordered 2-D array (rows, features); {str(self.path)!r} "
                    f"holds shape {header.shape}"
                    f"{' in Fortran order' if header.ndim == 2 else ''}. Save it as "
                    f"np.save(path, np.ascontiguousarray(array.reshape(len(array), -1)))."
                )
            np_dtype, full_shape, offset = header.dtype, header.shape, int(header.offset)
            del header  # unmap: reads map their own spans
        else:
            np_dtype, full_shape = np.dtype(dtype), tuple(int(s) for s in shape)  # type: ignore[union-attr]
            if len(full_shape) != 2:
                raise ValueError(f"MemmapSource: shape must be (rows, features); got {shape!r}.")
        self.dtype = _torch_dtype(np_dtype, f"MemmapSource({str(self.path)!r})")
        self._np_dtype = np.dtype(np_dtype)
        self.shape = (int(full_shape[0]), int(full_shape[1]))
        self.offset = int(offset)
        if self.shape[0] == 0 or self.shape[1] == 0:
            raise ValueError(f"MemmapSource: {str(self.path)!r} is empty (shape {self.shape}); pass at least one row and column.")
        need = self.offset + self.shape[0] * self._row_bytes
        size = self.path.stat().st_size
        if size < need:
            raise ValueError(f"MemmapSource: {str(self.path)!r} has {size} bytes, fewer than the {need} that shape {self.shape} of {self._np_dtype} needs.")

    @classmethod
    def from_memmap(cls, array: np.memmap) -> MemmapSource:
        """The source behind an ``np.memmap`` (e.g. ``np.load(path, mmap_mode="r")``)."""
        if array.filename is None or array.ndim != 2 or not array.flags.c_contiguous:
            raise ValueError(
                f"an np.memmap of shape {array.shape} can be read out of core only when it maps a "
                f"file as a C-ordered 2-D array; open the .npy with np.load(path, mmap_mode='r')."
            )
        return cls(array.filename, dtype=array.dtype, shape=array.shape, offset=int(array.offset))

    @property
    def _row_bytes(self) -> int:
        return self.shape[1] * self._np_dtype.itemsize

    def _file(self) -> Any:
        handle = getattr(self, "_handle", None)
        if handle is None:
            handle = self._handle = open(self.path, "rb")  # noqa: SIM115 - kept for later reads
        return handle

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_handle", None)  # open files stay in their process
        return state

    def _read_window(self, rows: np.ndarray, out: np.ndarray) -> None:
        """``out[:] = rows`` for ascending rows inside one window, through one short map."""
        first, last = int(rows[0]), int(rows[-1]) + 1
        start = self.offset + first * self._row_bytes
        aligned = start - start % mmap.ALLOCATIONGRANULARITY
        length = self.offset + last * self._row_bytes - aligned
        with mmap.mmap(self._file().fileno(), length, access=mmap.ACCESS_READ, offset=aligned) as mapped:
            span = np.frombuffer(mapped, dtype=self._np_dtype, count=(last - first) * self.shape[1], offset=start - aligned)
            np.take(span.reshape(last - first, self.shape[1]), rows - first, axis=0, out=out)
            del span  # release the buffer before the map closes

    def _read_sorted(self, rows: np.ndarray) -> np.ndarray:
        out = np.empty((len(rows), self.shape[1]), dtype=self._np_dtype)
        window = rows * self._row_bytes // self.max_map_bytes
        cuts = np.flatnonzero(np.diff(window)) + 1
        for lo, hi in zip(np.r_[0, cuts].tolist(), np.r_[cuts, len(rows)].tolist()):  # one map per window touched
            self._read_window(rows[lo:hi], out[lo:hi])
        return out

    def read_range(self, start: int, stop: int) -> torch.Tensor:
        out = np.empty((stop - start, self.shape[1]), dtype=self._np_dtype)
        buffer = memoryview(out).cast("B")
        position, done = self.offset + start * self._row_bytes, 0
        handle = self._file()
        handle.seek(position)
        while done < len(buffer):  # a read may return less than asked
            got = handle.readinto(buffer[done:])
            if not got:
                raise ValueError(f"{self!r}: the file ended at byte {position + done}; it was truncated after it was opened.")
            done += got
        return torch.from_numpy(out)

    def __repr__(self) -> str:
        return f"MemmapSource({str(self.path)!r}, shape={self.shape}, dtype={self._np_dtype})"


class ParquetSource(FeatureSource):
    """Features in a Parquet file or a directory of Parquet files (read in sorted file-name
    order), one numeric column per feature, read by row group (NOTE [out-of-core features]).

    A directory is one table (NOTE [one schema per Parquet folder] in
    ``imbalance_torch/data/_parquet_files.py``): files under hidden folders (``.*``, ``_*``,
    e.g. ``.ipynb_checkpoints``) are skipped as pyarrow skips them, and a column that is int
    in one file and float in another is read as float (never truncated).

    Random access is slow (each batch reads every row group it touches): train from a
    ``.npy`` copy, ``to_npy(ParquetSource(path), "features.npy")``.

    Args:
        path: a ``.parquet`` file or a directory holding ``*.parquet`` files.
        columns: the feature columns, in order (default: every column but a stored pandas
            index: ``__index_level_N__`` or a column the file's pandas metadata lists as the
            index, left out with a warning). Labels usually live in a column too: read them
            with pyarrow and leave them out here.

    Raises:
        FileNotFoundError: no file or no Parquet file in the directory.
        ValueError: an unknown column, files with different columns, no rows.
        TypeError: a column that is not numeric.
    """

    def __init__(self, path: str | os.PathLike[str], *, columns: Sequence[str] | None = None) -> None:
        import pyarrow.parquet as pq

        self.path = Path(path)
        if self.path.is_dir():
            files = parquet_folder_files(self.path)
        elif self.path.is_file():
            files = [self.path]
        else:
            files = []
        if not files:
            raise FileNotFoundError(f"ParquetSource: no Parquet file at {str(self.path)!r}; pass a .parquet file or a directory of them.")
        self.files = files
        schema = parquet_folder_schema(files, f"ParquetSource({str(self.path)!r})")
        names = list(schema.names)
        if columns is None:
            # A stored pandas index is the row numbering, never a feature.
            metadata = pq.read_schema(files[0]).pandas_metadata or {}
            listed = {c for c in metadata.get("index_columns", []) if isinstance(c, str)}
            index = [n for n in names if n in listed or re.fullmatch(r"__index_level_\d+__", n)]
            columns = [n for n in names if n not in index]
            if index:
                warnings.warn(
                    f"ParquetSource: column(s) {index} of {files[0].name} hold the stored pandas "
                    "index (the row numbering), not features; they are left out. Pass columns=[...] "
                    "to choose the features yourself.",
                    UserWarning,
                    stacklevel=2,
                )
        elif isinstance(columns, str):
            raise TypeError(f"columns must be a list of column names; got the string {columns!r}. Use columns=[{columns!r}].")
        unknown = [c for c in columns if c not in names]
        if unknown:
            raise ValueError(f"ParquetSource: column(s) {unknown} are not in {files[0].name} (columns: {names[:30]}).")
        self.columns = list(columns)
        if not self.columns:
            raise ValueError("ParquetSource: columns is empty; name at least one feature column.")
        types = [schema.field(c).type for c in self.columns]
        try:
            np_types = [np.dtype(t.to_pandas_dtype()) for t in types]
        except (NotImplementedError, TypeError):
            np_types = [np.dtype(object)]
        bad = [(c, str(t)) for c, t, n in zip(self.columns, types, np_types) if n.kind not in "fiu"]
        if bad:
            raise TypeError(f"ParquetSource: column(s) {bad[:5]} are not numeric; encode them as numbers or leave them out of columns=.")
        self._schema = schema
        self._np_dtype = np.result_type(*np_types)
        self.dtype = _torch_dtype(self._np_dtype, f"ParquetSource({str(self.path)!r}) (common type of its columns)")
        groups: list[tuple[int, int]] = []
        sizes: list[int] = []
        for number, file in enumerate(files):
            meta = pq.ParquetFile(file).metadata
            for group in range(meta.num_row_groups):
                groups.append((number, group))
                sizes.append(meta.row_group(group).num_rows)
        self._groups = groups
        self._group_end = np.cumsum(np.asarray(sizes, dtype=np.int64))
        total = int(self._group_end[-1]) if len(sizes) else 0
        if total == 0:
            raise ValueError(f"ParquetSource: {str(self.path)!r} has no rows.")
        self.shape = (total, len(self.columns))
        self._open: dict[int, Any] = {}
        # The last row group decoded: a pass in chunks smaller than a row group (the default
        # chunk is ~32 MiB, a row group often more) reads each group once, not once per chunk.
        self._last: tuple[int, np.ndarray] | None = None

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_open"] = {}  # open files stay in their process
        state["_last"] = None
        return state

    def _group(self, position: int) -> np.ndarray:
        """Row group ``position`` decoded (read-only: callers copy out of it)."""
        if self._last is not None and self._last[0] == position:
            return self._last[1]
        out = self._decode(position)
        self._last = (position, out)
        return out

    def _decode(self, position: int) -> np.ndarray:
        import pyarrow.parquet as pq

        number, group = self._groups[position]
        handle = self._open.get(number)
        if handle is None:
            handle = self._open[number] = pq.ParquetFile(self.files[number])
        table = cast_to_schema(handle.read_row_group(group, columns=self.columns), self._schema, self.files[number])
        out = np.empty((table.num_rows, len(self.columns)), dtype=self._np_dtype)
        for j, name in enumerate(self.columns):
            column = table.column(name)
            if column.null_count:
                raise ValueError(
                    f"ParquetSource: column {name!r} has {column.null_count} null value(s) in row "
                    f"group {group} of {self.files[number].name}; impute or drop them first."
                )
            out[:, j] = column.to_numpy()
        return out

    def _start(self, position: int) -> int:
        return int(self._group_end[position - 1]) if position else 0

    def _read_sorted(self, rows: np.ndarray) -> np.ndarray:
        out = np.empty((len(rows), self.shape[1]), dtype=self._np_dtype)
        group_of = np.searchsorted(self._group_end, rows, side="right")
        cuts = np.flatnonzero(np.diff(group_of)) + 1
        for lo, hi in zip(np.r_[0, cuts], np.r_[cuts, len(rows)]):  # one step per row group touched
            position = int(group_of[lo])
            out[lo:hi] = self._group(position)[rows[lo:hi] - self._start(position)]
        return out

    def read_range(self, start: int, stop: int) -> torch.Tensor:
        first = int(np.searchsorted(self._group_end, start, side="right"))
        last = int(np.searchsorted(self._group_end, stop - 1, side="right"))
        out = np.empty((stop - start, self.shape[1]), dtype=self._np_dtype)
        for position in range(first, last + 1):
            lo, hi = self._start(position), int(self._group_end[position])
            take_lo, take_hi = max(lo, start), min(hi, stop)
            out[take_lo - start : take_hi - start] = self._group(position)[take_lo - lo : take_hi - lo]
        return torch.from_numpy(out)

    def __repr__(self) -> str:
        return f"ParquetSource({str(self.path)!r}, shape={self.shape}, dtype={self._np_dtype}, row_groups={len(self._groups)})"


def as_source(X: Any) -> FeatureSource | None:
    """``X`` as a :class:`FeatureSource` when it is one or is an ``np.memmap`` of a file;
    ``None`` for in-memory features."""
    if isinstance(X, FeatureSource):
        return X
    if isinstance(X, np.memmap) and X.filename is not None:
        return MemmapSource.from_memmap(X)
    return None


def to_npy(source: FeatureSource, path: str | os.PathLike[str], *, chunk_rows: int | None = None) -> MemmapSource:
    """Copy a source (e.g. a :class:`ParquetSource`) into a ``.npy`` file chunk by chunk, and
    open it: the one-call way to fast random access (NOTE [out-of-core features]).

    Args:
        source: the features to copy.
        path: the ``.npy`` file to write (replaced atomically).
        chunk_rows: rows per chunk (default about 32 MiB).

    Returns:
        A :class:`MemmapSource` of the new file.
    """
    if not isinstance(source, FeatureSource):
        raise TypeError(f"to_npy copies a FeatureSource (MemmapSource, ParquetSource); got {describe(source)} of type {type(source).__name__}.")
    path = Path(path)
    header = {"descr": np.lib.format.dtype_to_descr(np.dtype(str(source.dtype).removeprefix("torch."))), "fortran_order": False, "shape": tuple(source.shape)}

    def write(handle: Any) -> None:
        np.lib.format.write_array_header_2_0(handle, header)
        for _, block in source.chunks(chunk_rows):
            handle.write(memoryview(block.contiguous().numpy()).cast("B"))

    atomic_write(path, write)  # NOTE [file permissions]
    return MemmapSource(path)

