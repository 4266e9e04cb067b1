"""Reading a map-style ``Dataset`` once, in batches, into one tensor per field.

NOTE [reading a wrapped dataset]: ``SMOTEDataset`` reads the items of a wrapped dataset once,
at construction, in chunks of ``read_batch_size`` indices: through the dataset's own
``__getitems__`` when it has one (one call per chunk), else one ``__getitem__`` call per row,
which Python cannot avoid. torch's ``Subset`` and ``ConcatDataset`` (exactly those types; a
subclass may transform its items) are read through their parts, so each part that has a
``__getitems__`` is read in one call per chunk. Each field of the items then becomes one tensor with a leading row dimension (fields
that hold no numbers stay a numpy object array). Before the second chunk is read, the size of
the whole read is estimated from the first and refused beyond ``max_read_bytes``: there is no
out-of-core path for wrapped datasets yet.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch.utils.data import ConcatDataset, Subset

from imbalance_torch._validation import describe

__all__ = ["Columns", "available_memory", "read_columns"]


@dataclass
class Columns:
    """The items of a dataset, one entry per field.

    Attributes:
        kind: ``"dict"`` (items are mappings) or ``"tuple"`` (items are tuples or lists).
        keys: the field names (dict) or positions (tuple), in item order.
        values: ``{key: (n, *shape) tensor or (n,) numpy object array}``.
        source: the dataset's type name, for messages.
    """

    kind: str
    keys: list[Any]
    values: dict[Any, torch.Tensor | np.ndarray]
    source: str


def available_memory() -> int | None:
    """Bytes of physical memory available now (Linux, macOS), or ``None`` when unknown."""
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):  # pragma: no cover - platform without sysconf
        return None


def _gib(size: float) -> str:
    return f"{size / 2**30:.2f} GiB"


def _read_chunk(dataset: Any, indices: list[int], source: str) -> list[Any]:
    # torch's own containers (exactly these types: a subclass may transform items) are read
    # through their parts, so a Subset of a ConcatDataset still reads each part in one call
    if type(dataset) is Subset:
        return _read_chunk(dataset.dataset, [int(dataset.indices[i]) for i in indices], source)
    if type(dataset) is ConcatDataset:
        return _read_concat(dataset, indices, source)
    batched = getattr(dataset, "__getitems__", None)
    if callable(batched):
        items = batched(indices)
        if isinstance(items, (str, bytes, Mapping)) or not isinstance(items, Sequence) or len(items) != len(indices):
            raise TypeError(
                f"{source}.__getitems__ returned {describe(items)} for {len(indices)} indices; "
                f"expected a list of {len(indices)} items, as torch's DataLoader contract says."
            )
        return list(items)
    return [dataset[i] for i in indices]  # no batched read: one Python call per row


def _read_concat(dataset: ConcatDataset, indices: list[int], source: str) -> list[Any]:
    ends = np.asarray(dataset.cumulative_sizes)
    wanted = np.asarray(indices, dtype=np.int64)
    wanted = np.where(wanted < 0, wanted + int(ends[-1]), wanted)
    part = np.searchsorted(ends, wanted, side="right")
    items: list[Any] = [None] * len(indices)
    for p in np.unique(part).tolist():
        at = np.flatnonzero(part == p)
        local = wanted[at] - (int(ends[p - 1]) if p else 0)
        for position, item in zip(at.tolist(), _read_chunk(dataset.datasets[p], local.tolist(), source)):
            items[position] = item
    return items


def _item_layout(item: Any, source: str) -> tuple[str, list[Any]]:
    if isinstance(item, Mapping):
        return "dict", list(item.keys())
    if isinstance(item, (tuple, list)):
        return "tuple", list(range(len(item)))
    raise TypeError(
        f"the items of {source} are {type(item).__name__}; SMOTEDataset wraps datasets whose "
        f"items are (features, label) tuples or dicts of fields. Return one of those from "
        f"__getitem__, or pass arrays: SMOTEDataset(X, y)."
    )


def _check_structure(items: list[Any], kind: str, keys: list[Any], offset: int, source: str) -> None:
    if kind == "dict":
        expected = set(keys)
        for i, item in enumerate(items):
            if not isinstance(item, Mapping) or set(item.keys()) != expected:
                seen = sorted(map(str, item.keys())) if isinstance(item, Mapping) else type(item).__name__
                raise ValueError(
                    f"item {offset + i} of {source} has fields {seen}, item 0 has "
                    f"{sorted(map(str, keys))}; every item must have the same keys."
                )
        return
    for i, item in enumerate(items):
        if not isinstance(item, (tuple, list)) or len(item) != len(keys):
            seen = len(item) if isinstance(item, (tuple, list)) else type(item).__name__
            raise ValueError(
                f"item {offset + i} of {source} has {seen} fields, item 0 has {len(keys)}; "
                f"every item must have the same structure."
            )


def _field_name(kind: str, key: Any) -> str:
    return f"field {key!r}" if kind == "dict" else f"position {key}"


def _stack(values: list[Any], where: str, offset: int) -> torch.Tensor | np.ndarray:
    """One field of a chunk of items as a ``(rows, *shape)`` tensor (object array for text)."""
    first = values[0]
    if isinstance(first, torch.Tensor):
        try:
            return torch.stack(values)
        except (RuntimeError, TypeError):  # find the item that differs, for the message
            for i, v in enumerate(values):
                shape = tuple(v.shape) if isinstance(v, torch.Tensor) else type(v).__name__
                if shape != tuple(first.shape):
                    raise ValueError(
                        f"{where} is ragged: item {offset} has shape {tuple(first.shape)}, item "
                        f"{offset + i} has {shape}; every item must hold the same shape (pad "
                        f"or split the field)."
                    ) from None
            raise
    if isinstance(first, (np.ndarray, np.generic)) and np.asarray(first).dtype.kind in "biuf":
        shapes = {np.shape(v) for v in values}
        if len(shapes) > 1:
            i = next(i for i, v in enumerate(values) if np.shape(v) != np.shape(first))
            raise ValueError(
                f"{where} is ragged: item {offset} has shape {np.shape(first)}, item "
                f"{offset + i} has {np.shape(values[i])}; every item must hold the same shape."
            )
        return torch.from_numpy(np.ascontiguousarray(np.stack(values)))
    if isinstance(first, (bool, int, float)) and not isinstance(first, (np.generic,)):
        try:
            return torch.tensor(values)
        except (TypeError, ValueError, RuntimeError):
            pass  # mixed types: kept as objects and refused by the field's rule if it needs numbers
    column = np.empty(len(values), dtype=object)
    column[:] = values
    return column


def _allocate(first: torch.Tensor | np.ndarray, n: int) -> torch.Tensor | np.ndarray:
    """Room for ``n`` rows of a field shaped like its first chunk (so the read never holds
    the chunks and their concatenation at once)."""
    if len(first) == n:  # read in one chunk
        return first
    if isinstance(first, torch.Tensor):
        column = torch.empty((n, *first.shape[1:]), dtype=first.dtype, device=first.device)
    else:
        column = np.empty(n, dtype=object)
    column[: len(first)] = first
    return column


def _place(column: torch.Tensor | np.ndarray, chunk: torch.Tensor | np.ndarray, start: int, where: str) -> None:
    """Write a later chunk into its rows, refusing a change of shape, dtype or kind."""
    if isinstance(column, torch.Tensor) != isinstance(chunk, torch.Tensor):
        raise TypeError(f"{where} holds numbers in some items and other values (e.g. text) in others; every item must hold one kind.")
    if isinstance(column, torch.Tensor):
        if chunk.shape[1:] != column.shape[1:]:
            raise ValueError(
                f"{where} is ragged: items 0.. hold shape {tuple(column.shape[1:])}, items "
                f"{start}.. hold {tuple(chunk.shape[1:])}; every item must hold the same shape."
            )
        if chunk.dtype != column.dtype:
            raise TypeError(f"{where} holds {column.dtype} in items 0.. and {chunk.dtype} in items {start}..; every item must hold one dtype.")
    column[start : start + len(chunk)] = chunk


def _nbytes(value: torch.Tensor | np.ndarray) -> int:
    if isinstance(value, torch.Tensor):
        return value.numel() * value.element_size()
    return int(value.nbytes) + 64 * len(value)  # objects: pointers plus a small object each


def read_columns(dataset: Any, *, read_batch_size: int, max_read_bytes: int | None) -> Columns:
    """Read every item of ``dataset`` once (NOTE [reading a wrapped dataset]).

    Args:
        dataset: a map-style dataset (``__len__`` and ``__getitem__``; ``__getitems__`` used
            when present) whose items are tuples/lists or mappings.
        read_batch_size: indices per batched read.
        max_read_bytes: refuse a read estimated larger than this; ``None``: half of the
            physical memory available now.

    Returns:
        :class:`Columns`.

    Raises:
        TypeError: the dataset has no length, or items that are neither tuples nor dicts.
        ValueError: an empty dataset, items of different structure, a ragged field, or a read
            larger than ``max_read_bytes``.
    """
    source = type(dataset).__name__
    try:
        n = len(dataset)
    except TypeError:
        raise TypeError(
            f"X is a {source} without __len__; SMOTEDataset wraps map-style datasets (with "
            f"__len__ and __getitem__). Materialise an IterableDataset into tensors first."
        ) from None
    if n == 0:
        raise ValueError(f"X is an empty {source} (len 0); pass at least one row of each class.")
    values: dict[Any, torch.Tensor | np.ndarray] = {}
    kind, keys = "", []
    for start in range(0, n, read_batch_size):
        stop = min(start + read_batch_size, n)
        items = _read_chunk(dataset, list(range(start, stop)), source)
        if start == 0:
            kind, keys = _item_layout(items[0], source)
        _check_structure(items, kind, keys, start, source)
        chunk = {key: _stack([item[key] for item in items], f"the {_field_name(kind, key)} of {source}", start) for key in keys}
        if start == 0:
            if stop < n:
                _check_size(sum(_nbytes(v) for v in chunk.values()) * n / stop, n, source, max_read_bytes)
            values = {key: _allocate(column, n) for key, column in chunk.items()}
            continue
        for key, column in chunk.items():
            _place(values[key], column, start, f"the {_field_name(kind, key)} of {source}")
    return Columns(kind, keys, values, source)


def _check_size(estimate: float, n: int, source: str, max_read_bytes: int | None) -> None:
    limit = max_read_bytes
    basis = f"max_read_bytes={max_read_bytes}"
    if limit is None:
        available = available_memory()
        if available is None:
            return
        limit = available // 2
        basis = f"half of the {_gib(available)} of memory available"
    if estimate > limit:
        raise ValueError(
            f"reading the {n} items of {source} into memory needs about {_gib(estimate)} "
            f"(estimated from the first items), more than {basis} ({_gib(limit)}). Wrapped "
            f"datasets are read whole (there is no out-of-core path for them yet): wrap a "
            f"torch.utils.data.Subset of the training rows, leave fields you do not need out of "
            f"the items, or pass a larger max_read_bytes if the memory is there."
        )
