"""Reading a data module's table from its ``data`` setting, cached across data modules."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from imbalance_torch.data._parquet_files import parquet_folder_files
from imbalance_torch.lightning.tables.table import Table, load_table

__all__ = ["cached_table"]


@lru_cache(maxsize=2)
def _load(
    data: str,
    mtime: float,
    target: str | None,
    categorical: tuple[str, ...],
    drop_columns: tuple[str, ...],
    positive_label: str | None,
    rows: int | None,
    split_columns: tuple[str, ...] = (),
    sep: str = ",",
    decimal: str = ".",
) -> Table:
    # mtime is part of the key so an edited file is read again.
    return load_table(
        data,
        target=target,
        categorical=categorical,
        drop_columns=drop_columns,
        positive_label=positive_label,
        rows=rows,
        split_columns=split_columns,
        sep=sep,
        decimal=decimal,
    )


def cached_table(
    data: Any,
    *,
    target: str | None,
    categorical: list[str] | None,
    drop_columns: list[str] | None,
    positive_label: str | None,
    rows: int | None,
    split_columns: tuple[str, ...] = (),
    sep: str = ",",
    decimal: str = ".",
) -> Table:
    """The loaded, checked table of ``data`` (a built-in name, ``keel:NAME`` or a file path).

    The last two tables stay cached, keyed on the arguments and the file's modification time,
    so a comparison that builds one data module per run reads its file once. ``split_columns``
    (a time or group column) are kept beside the features, not as features. ``sep`` and
    ``decimal`` are a CSV file's dialect (:func:`~imbalance_torch.lightning.tables.table.load_table`).
    A Parquet folder is keyed on its newest file's modification time.
    """
    path = os.fspath(data)
    return _load(
        path,
        _modified(path),
        target,
        tuple(categorical or ()),
        tuple(drop_columns or ()),
        positive_label,
        rows,
        tuple(split_columns),
        sep,
        decimal,
    )


def _modified(path: str) -> float:
    """The modification time of a file, or of a Parquet folder's newest file; 0 otherwise."""
    if os.path.isfile(path):
        return os.path.getmtime(path)
    if os.path.isdir(path):
        files = parquet_folder_files(Path(path))
        return max((os.path.getmtime(f) for f in files), default=0.0) + len(files) * 1e-9
    return 0.0
