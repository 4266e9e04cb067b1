"""Labels into class codes and class names, by one rule for every container (NOTE [one label
rule] in :func:`encode_labels`); the positive class of binary data."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from imbalance_torch._validation import column_as_numpy, column_kind, describe, is_series

__all__ = ["encode_labels", "label_array"]


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


def label_array(labels: Any, source: str) -> np.ndarray:
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
    import pandas as pd  # heavy optional library (recipes extra), loaded when labels are text or objects

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
    import pandas as pd  # heavy optional library (recipes extra), loaded when labels are text or objects

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


def _object_labels(raw: np.ndarray, source: str) -> np.ndarray:
    """Labels held as Python objects: scalars of one type, none missing; numbers as a number
    array, anything else unchanged."""
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
    import pandas as pd  # heavy optional library (recipes extra), loaded when labels are text or objects

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
        return np.asarray(values)
    return raw


def _class_order(
    values: np.ndarray, counts: np.ndarray, positive_label: Any, source: str
) -> np.ndarray:
    """Which sorted label value becomes class 0, 1, ...: sorted order, except that for binary
    labels the positive class (``positive_label``, else the minority) is class 1."""
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
        return np.array([1 - positive, positive])
    return np.arange(values.size)


def encode_labels(raw: np.ndarray, positive_label: Any, source: str) -> tuple[np.ndarray, tuple]:
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
        raw = _object_labels(raw, source)
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
    order = _class_order(values, counts, positive_label, source)
    remap = np.empty_like(order)
    remap[order] = np.arange(order.size)
    labels = remap[codes].astype(np.int64)
    names = tuple(str(values[i]) for i in order)
    return labels, names
