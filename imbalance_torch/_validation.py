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
    "as_feature_tensor",
    "as_label_tensor",
    "check_positive_int",
    "check_seed",
    "describe",
]


def describe(value: Any, limit: int = 60) -> str:
    """A short ``repr`` of ``value`` for error messages."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def check_positive_int(value: Any, name: str, *, minimum: int = 1) -> int:
    """Return ``value`` as an ``int`` >= ``minimum``; refuse bools, floats and strings."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"{name} must be an int >= {minimum}; got {describe(value)} of type "
            f"{type(value).__name__}. Pass a plain integer such as {name}={max(minimum, 5)}."
        )
    if value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}; got {name}={value}.")
    return int(value)


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


def _to_tensor(data: Any, name: str) -> torch.Tensor:
    if isinstance(data, torch.Tensor):
        return data
    if hasattr(data, "to_numpy") and hasattr(data, "columns"):  # pandas DataFrame
        dtypes = set(data.dtypes.astype(str))
        bad = [str(c) for c, t in zip(data.columns, data.dtypes) if not _numeric_dtype(t)]
        if bad:
            raise TypeError(
                f"{name} has non-numeric columns {bad[:5]}; encode them as integer codes "
                f"(e.g. df[col].astype('category').cat.codes) and, for SMOTE-NC, list them "
                f"in categorical_features."
            )
        array = np.ascontiguousarray(data.to_numpy(dtype=np.float64 if len(dtypes) > 1 else None))
        return torch.from_numpy(array if array.flags.writeable else array.copy())
    if hasattr(data, "to_numpy"):  # pandas Series
        data = data.to_numpy()
    if isinstance(data, (list, tuple)):
        try:
            data = np.asarray(data)
        except ValueError as error:  # ragged nested lists
            raise TypeError(f"{name} could not be read as a rectangular numeric array: {error}") from None
    if isinstance(data, np.ndarray):
        if data.dtype == object or data.dtype.kind in "USV":
            raise TypeError(
                f"{name} has dtype {data.dtype}; expected numbers. Convert it with "
                f"np.asarray({name}, dtype=np.float32) or encode strings as integer codes."
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


def as_feature_tensor(X: Any, name: str = "X") -> torch.Tensor:
    """Check a 2-D, non-empty, finite, real feature matrix and return it as a tensor.

    The dtype and device are kept (integer features stay integer: their synthetic rows are
    then computed in float64 and rounded toward zero, as imbalanced-learn does).
    """
    tensor = _to_tensor(X, name)
    if tensor.dtype == torch.bool:
        raise TypeError(
            f"{name} has dtype torch.bool; convert it to a numeric dtype first "
            f"({name}.float()) so interpolation between rows is meaningful."
        )
    if tensor.is_complex():
        raise TypeError(f"{name} has complex dtype {tensor.dtype}; expected real numbers.")
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
