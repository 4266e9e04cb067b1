"""Argument checks shared by every layer: one place, one wording.

Every check raises before any work starts. ``TypeError`` is for a value of the wrong type,
``ValueError`` for a value of the right type that cannot be used; each message names the
argument, shows the value seen and says what to do.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
import torch

__all__ = [
    "BOOL_FEATURES_RULE",
    "as_feature_tensor",
    "as_label_tensor",
    "bool_features_error",
    "check_choice",
    "check_float",
    "check_int",
    "check_positive_int",
    "check_seed",
    "column_as_numpy",
    "column_kind",
    "describe",
    "is_frame",
    "is_series",
]


def describe(value: Any, limit: int = 60) -> str:
    """A short ``repr`` of ``value`` for error messages."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _bound_rule(
    kind: str, minimum: Any, maximum: Any, low_open: bool = False, high_open: bool = False
) -> str:
    """``"an int >= 1"``, ``"a float in (0, 1]"``, ``"an int"``: the rule a checker states."""
    article = "an" if kind == "int" else "a"
    if minimum is not None and maximum is not None:
        return f"{article} {kind} in {'(' if low_open else '['}{minimum}, {maximum}{')' if high_open else ']'}"
    if minimum is not None:
        return f"{article} {kind} {'>' if low_open else '>='} {minimum}"
    if maximum is not None:
        return f"{article} {kind} {'<' if high_open else '<='} {maximum}"
    return f"{article} {kind}"


def check_int(
    name: str,
    value: Any,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
    fix: str | None = None,
) -> int:
    """Return ``value`` as a plain ``int`` within ``[minimum, maximum]``.

    Any ``numbers.Integral`` is accepted (``np.int64(4)``, a 0-d integer tensor is not one);
    ``bool`` is refused although it is an ``int`` subclass (``True`` is no count).

    Args:
        name: the argument's name, as the caller wrote it.
        value: the value seen.
        minimum: the smallest value allowed, or ``None`` for no lower bound.
        maximum: the largest value allowed, or ``None`` for no upper bound.
        fix: what to do, appended to both messages; by default an example value.

    Returns:
        ``int(value)``.

    Raises:
        TypeError: ``value`` is not an integer (a bool, a float, a string...).
        ValueError: ``value`` is an integer outside the bounds.
    """
    rule = _bound_rule("int", minimum, maximum)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        example = minimum if minimum is not None else (maximum if maximum is not None else 0)
        if minimum is not None and (maximum is None or maximum >= 5):
            example = max(minimum, 5)
        hint = fix or f"Pass a plain integer such as {name}={example}."
        raise TypeError(
            f"{name} must be {rule}; got {describe(value)} of type {type(value).__name__}. {hint}"
        )
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise ValueError(
            f"{name} must be {rule}; got {name}={int(value)}." + (f" {fix}" if fix else "")
        )
    return int(value)


def check_float(
    name: str,
    value: Any,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
    fix: str | None = None,
) -> float:
    """Return ``value`` as a finite ``float`` within its bounds.

    Any ``numbers.Real`` is accepted (ints, ``np.float32``); ``bool`` is refused, and so are
    NaN and the infinities (no argument of the library means anything with them).

    Args:
        name: the argument's name, as the caller wrote it.
        value: the value seen.
        minimum: the lower bound, or ``None``.
        maximum: the upper bound, or ``None``.
        low_open: whether ``minimum`` itself is refused.
        high_open: whether ``maximum`` itself is refused.
        fix: what to do, appended to both messages; by default an example value.

    Returns:
        ``float(value)``.

    Raises:
        TypeError: ``value`` is not a real number (a bool, a string, a tensor...).
        ValueError: ``value`` is NaN, infinite or outside the bounds.
    """
    rule = _bound_rule("float", minimum, maximum, low_open, high_open)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        hint = fix or "Pass a plain number."
        raise TypeError(
            f"{name} must be {rule}; got {describe(value)} of type {type(value).__name__}. {hint}"
        )
    number = float(value)
    below = minimum is not None and (number <= minimum if low_open else number < minimum)
    above = maximum is not None and (number >= maximum if high_open else number > maximum)
    if number != number or number in (float("inf"), float("-inf")) or below or above:
        raise ValueError(
            f"{name} must be {rule} (finite); got {name}={describe(value)}."
            + (f" {fix}" if fix else "")
        )
    return number


def check_choice(name: str, value: Any, choices: Any, *, fix: str | None = None) -> Any:
    """Return ``value`` if it is one of ``choices`` (compared with ``==``, same type).

    Raises:
        TypeError: ``value``'s type is not the type of any choice (``kind=1`` where names are
            meant).
        ValueError: ``value`` has the right type and is none of the choices.
    """
    choices = tuple(choices)
    listed = ", ".join(repr(c) for c in choices)
    types = tuple({type(c) for c in choices})
    if not isinstance(value, types) or isinstance(value, bool) and bool not in types:
        raise TypeError(
            f"{name} must be one of {listed}; got {describe(value)} of type "
            f"{type(value).__name__}." + (f" {fix}" if fix else "")
        )
    if value not in choices:
        raise ValueError(
            f"{name} must be one of {listed}; got {name}={describe(value)}."
            + (f" {fix}" if fix else "")
        )
    return value


def check_positive_int(value: Any, name: str, *, minimum: int = 1) -> int:
    """``check_int(name, value, minimum=minimum)`` under its older argument order, kept for
    the callers outside the core until they move to :func:`check_int`."""
    return check_int(name, value, minimum=minimum)


def check_seed(seed: Any, name: str = "seed") -> int:
    """A seed is a non-negative int below 2**63 (bools, floats and generators refused)."""
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(
            f"{name} must be a non-negative int; got {describe(seed)} of type "
            f"{type(seed).__name__}. Pass e.g. {name}=0; randomness is derived from "
            f"({name}, epoch, slot), so no generator object is needed."
        )
    if not 0 <= seed < 2**63:
        raise ValueError(f"{name} must be in [0, 2**63); got {name}={seed}.")
    return int(seed)


# NOTE [one rule per container]: a tensor, a numpy array, a pandas DataFrame and (in the
# Lightning layer) a CSV or Parquet file with the same content get the same result or the same
# message. pandas columns are reduced to numpy first, one column at a time (``column_kind``,
# ``column_as_numpy``), so single-dtype and mixed frames follow one path:
#   * numbers (numpy or nullable Int8..Int64, UInt8..UInt64, Float32/Float64): their numpy
#     dtype, or float64 with NaN where a value is missing (the NaN checks then name row and
#     column);
#   * bool (numpy bool, nullable ``boolean``, an object column of True/False): refused
#     everywhere with ``bool_features_error`` - interpolating a flag makes fractions such as
#     0.94 that are neither True nor False; the fix is to declare it categorical, or to cast it
#     to float on purpose;
#   * text (object, ``str``, ``string``): refused in the core; a declared categorical in the
#     Lightning tables;
#   * ``category``: refused in the core with the fix (codes + categorical_features); the
#     Lightning tables treat it as declared categorical.

BOOL_FEATURES_RULE = (
    "bool values{where}; over-sampling interpolates between rows, so a bool feature would "
    "become fractions such as 0.94, which are neither True nor False. {fix}"
)


def bool_features_error(subject: str, columns: list[Any], fix: str) -> TypeError:
    """The one message for bool features, whatever the container (tensor, array, frame, file)."""
    shown = ", ".join(repr(c) for c in columns[:5]) + (", ..." if len(columns) > 5 else "")
    where = f" in column(s) [{shown}]" if columns else ""
    return TypeError(f"{subject} " + BOOL_FEATURES_RULE.format(where=where, fix=fix))


def _core_bool_fix(name: str) -> str:
    return (
        f"Declare those columns categorical (integer codes, e.g. {name}.long(), listed in "
        f"SMOTENC(categorical_features=[...])) so synthetic rows copy a neighbour's value, or "
        f"convert them to float on purpose ({name}.float() or .astype(float)) to interpolate them."
    )


def is_frame(data: Any) -> bool:
    """True for a pandas DataFrame (checked without importing pandas)."""
    return hasattr(data, "to_numpy") and hasattr(data, "columns") and hasattr(data, "iloc")


def is_series(data: Any) -> bool:
    """True for a pandas Series (checked without importing pandas)."""
    return hasattr(data, "to_numpy") and hasattr(data, "dtype") and hasattr(data, "iloc") and not hasattr(data, "columns")


def column_kind(column: Any) -> str:
    """What a pandas column holds: "number", "bool", "complex", "text", "category" or "other"."""
    import pandas as pd

    dtype = column.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return "category"
    if pd.api.types.is_bool_dtype(dtype):
        return "bool"
    if pd.api.types.is_complex_dtype(dtype):
        return "complex"
    if pd.api.types.is_numeric_dtype(dtype):
        return "number"
    if pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype):
        inferred = pd.api.types.infer_dtype(column, skipna=True)
        if inferred == "boolean":
            return "bool"
        if inferred in ("string", "empty"):
            return "text"
    return "other"


def column_as_numpy(column: Any) -> np.ndarray:
    """A number/bool/complex pandas column as numpy: its own dtype, or float64 with NaN where
    a value is missing (nullable dtypes hold ``pd.NA``, which numpy cannot)."""
    if bool(column.isna().any()):
        if column_kind(column) == "complex":
            return column.to_numpy(dtype=np.complex128, na_value=np.nan)
        return column.to_numpy(dtype=np.float64, na_value=np.nan)
    numpy_dtype = getattr(column.dtype, "numpy_dtype", None)  # nullable and Arrow dtypes
    if column.dtype == object:  # True/False held as Python objects
        return column.to_numpy(dtype=np.bool_)
    return column.to_numpy(dtype=numpy_dtype) if numpy_dtype is not None else column.to_numpy()


def _frame_to_array(frame: Any, name: str) -> np.ndarray:
    """A DataFrame as one numpy array, column by column (see NOTE [one rule per container])."""
    columns = [frame.iloc[:, i] for i in range(frame.shape[1])]
    kinds = [column_kind(c) for c in columns]
    names = [str(c) for c in frame.columns]
    text = [f"{n} ({c.dtype})" for n, c, k in zip(names, columns, kinds) if k in ("text", "other")]
    if text:
        raise TypeError(
            f"{name} holds non-numeric values in columns {text[:5]}; expected numbers. Encode "
            f"text as integer codes (e.g. codes, values = pd.factorize(column)) and, for "
            f"SMOTE-NC, list those columns in categorical_features."
        )
    categories = [n for n, k in zip(names, kinds) if k == "category"]
    if categories:
        raise TypeError(
            f"{name} has category columns {categories[:5]}; the core takes numbers. Pass their "
            f"codes ({name}[col].cat.codes) and list those columns in "
            f"SMOTENC(categorical_features=[...]), or use ImbalanceDataModule.from_frame, which "
            f"treats category columns as categorical."
        )
    flags = [n for n, k in zip(names, kinds) if k == "bool"]
    if flags:
        raise bool_features_error(f"{name} holds", flags, _core_bool_fix(name))
    arrays = [column_as_numpy(c) for c in columns]
    dtypes = {a.dtype for a in arrays}
    dtype = arrays[0].dtype if len(dtypes) == 1 else np.result_type(np.float64, *dtypes)
    array = np.empty((frame.shape[0], len(arrays)), dtype=dtype)
    for i, values in enumerate(arrays):
        array[:, i] = values
    return array


def _series_to_array(series: Any) -> np.ndarray:
    """A pandas Series as numpy by the same column rules (category: its values)."""
    kind = column_kind(series)
    if kind in ("number", "bool", "complex"):
        return column_as_numpy(series)
    if kind == "category" and bool(series.isna().any()):
        return series.to_numpy(dtype=object, na_value=np.nan)
    return series.to_numpy()


def _to_tensor(data: Any, name: str) -> torch.Tensor:
    if isinstance(data, torch.Tensor):
        return data
    if is_frame(data):
        return torch.from_numpy(_frame_to_array(data, name))
    if is_series(data):
        data = _series_to_array(data)
    elif hasattr(data, "to_numpy") and not isinstance(data, np.ndarray):  # pandas Index, ...
        data = data.to_numpy()
    if isinstance(data, (list, tuple)):
        try:
            data = np.asarray(data)
        except ValueError as error:  # ragged nested lists
            raise TypeError(f"{name} could not be read as a rectangular numeric array: {error}") from None
    if isinstance(data, np.ndarray):
        if data.dtype == object or data.dtype.kind in "USV":
            raise TypeError(
                f"{name} holds non-numeric values (dtype {data.dtype}); expected numbers. Encode "
                f"text as integer codes (e.g. codes, values = pd.factorize(column)) and, for "
                f"SMOTE-NC, list those columns in categorical_features."
            )
        if data.dtype.kind == "c":
            raise TypeError(f"{name} has complex dtype {data.dtype}; expected real numbers.")
        if not data.flags.writeable:
            data = data.copy()
        return torch.from_numpy(np.ascontiguousarray(data))
    raise TypeError(
        f"{name} must be a torch.Tensor, numpy array or pandas DataFrame; got "
        f"{type(data).__name__}."
    )


def _numeric_dtype(dtype: Any) -> bool:
    kind = getattr(dtype, "kind", "O")
    return kind in "biuf"


def _all_finite(tensor: torch.Tensor, rows: int = 16384) -> bool:
    """``isfinite(tensor).all()`` in row blocks, so the check never allocates temporaries the
    size of the data (torch's ``isfinite`` builds an ``abs`` copy and two masks)."""
    return all(bool(torch.isfinite(block).all()) for block in tensor.split(rows))


# torch stores uint16/uint32/uint64 but computes little on them (no min/max, no sort on CPU).
_WIDE_UNSIGNED = tuple(getattr(torch, n) for n in ("uint16", "uint32", "uint64") if hasattr(torch, n))


def _unsigned_as_int64(tensor: torch.Tensor, name: str) -> torch.Tensor:
    """Wide unsigned integers as int64 (same values; uint8 is kept, torch computes on it)."""
    wide = tensor.to(torch.int64)
    if tensor.dtype == torch.uint64 and bool((wide < 0).any()):  # values >= 2**63 wrap around
        row, col = (int(v) for v in (wide < 0).nonzero()[0])
        raise ValueError(
            f"{name} holds uint64 values of 2**63 or more (first at row {row}, column {col}), "
            f"beyond the int64 range the oversamplers compute in; rescale them or pass "
            f"{name}.astype(float)."
        )
    return wide


def as_feature_tensor(X: Any, name: str = "X") -> torch.Tensor:
    """Check a 2-D, non-empty, finite, real feature matrix and return it as a tensor.

    The dtype and device are kept (integer features stay integer: their synthetic rows are
    then computed in float64 and rounded toward zero, as imbalanced-learn does; uint16, uint32
    and uint64, which torch computes little on, become int64). pandas columns follow
    NOTE [one rule per container]; bool features are refused with ``bool_features_error``.
    """
    tensor = _to_tensor(X, name)
    if tensor.dtype == torch.bool:
        columns = list(range(tensor.shape[1])) if tensor.dim() == 2 else []
        raise bool_features_error(f"{name} holds", columns, _core_bool_fix(name))
    if tensor.is_complex():
        raise TypeError(f"{name} has complex dtype {tensor.dtype}; expected real numbers.")
    if tensor.dtype in _WIDE_UNSIGNED:
        tensor = _unsigned_as_int64(tensor, name)
    if tensor.dim() != 2:
        raise ValueError(
            f"{name} must be 2-D (rows, features); got shape {tuple(tensor.shape)}. "
            f"Reshape it, e.g. {name}.reshape(len({name}), -1)."
        )
    if tensor.shape[0] == 0 or tensor.shape[1] == 0:
        raise ValueError(f"{name} is empty (shape {tuple(tensor.shape)}); pass at least one row and column.")
    if tensor.is_floating_point() and not _all_finite(tensor):
        finite = torch.isfinite(tensor)
        if not bool(finite.all()):
            bad = (~finite).nonzero()
            count = bad.shape[0]
            row, col = (int(v) for v in bad[0])
            raise ValueError(
                f"{name} has {count} NaN or infinite value(s), first at row {row}, column "
                f"{col} (value {tensor[row, col].item()}); impute or drop them before fitting."
            )
    return tensor


def as_label_tensor(y: Any, num_rows: int, device: torch.device, name: str = "y") -> torch.Tensor:
    """Check class labels and return them as int64 on ``device``.

    Accepts integer labels, or floats that are whole numbers (e.g. 0.0/1.0). Float labels with
    a fractional part, bools, strings and 2-D labels are refused with a message.
    """
    if isinstance(y, (list, tuple)):
        y = np.asarray(y)
    if is_frame(y) and y.shape[1] == 1:  # a one-column frame of labels is its column
        y = y.iloc[:, 0]
    if is_series(y):
        y = _series_to_array(y)
    if isinstance(y, np.ndarray) and (y.dtype == object or y.dtype.kind in "USV"):
        raise TypeError(
            f"{name} holds strings (dtype {y.dtype}); map them to integer class codes first, "
            f"e.g. codes, classes = np.unique({name}, return_inverse=True)[::-1]."
        )
    tensor = _to_tensor(y, name)
    if tensor.dim() == 2 and tensor.shape[1] == 1:
        tensor = tensor[:, 0]
    if tensor.dim() != 1:
        raise ValueError(
            f"{name} must be 1-D class labels; got shape {tuple(tensor.shape)}. For one-hot "
            f"labels pass {name}.argmax(1)."
        )
    if tensor.shape[0] != num_rows:
        raise ValueError(
            f"X and {name} have different lengths: X has {num_rows} rows, {name} has "
            f"{tensor.shape[0]}; pass one label per row."
        )
    if isinstance(y, torch.Tensor) and y.device != device:
        raise ValueError(
            f"X is on {device} but {name} is on {y.device}; move both to the same device, "
            f"e.g. {name}.to(X.device)."
        )
    if tensor.dtype == torch.bool:
        raise TypeError(f"{name} has dtype torch.bool; pass integer class labels ({name}.long()).")
    if tensor.is_complex():
        raise TypeError(f"{name} has complex dtype {tensor.dtype}; pass integer class labels.")
    if tensor.is_floating_point():
        if not bool(torch.isfinite(tensor).all()):
            raise ValueError(f"{name} has NaN or infinite labels; pass integer class labels.")
        whole = tensor == tensor.round()
        if not bool(whole.all()):
            first = int((~whole).nonzero()[0, 0])
            raise ValueError(
                f"{name} must hold class labels; got the float {tensor[first].item()} at "
                f"row {first}, which is not a whole number. Regression targets cannot be "
                f"over-sampled; pass integer class labels."
            )
    return tensor.to(device=device, dtype=torch.int64)
