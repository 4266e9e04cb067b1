"""Building a :class:`~imbalance_torch.lightning.tables.table_type.Table` from arrays, tensors
and pandas DataFrames, and the column checks a file's header and first rows answer too.

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

from collections.abc import Sequence
from typing import Any

import numpy as np

from imbalance_torch._validation import bool_features_error, column_as_numpy, column_kind, is_frame
from imbalance_torch.lightning.tables.files import refuse_duplicate_columns
from imbalance_torch.lightning.tables.labels import encode_labels, label_array
from imbalance_torch.lightning.tables.table_type import Table, check_finite, flag_hint

__all__ = ["check_declared_columns", "check_feature_kinds", "table_from_arrays", "table_from_frame"]

_TABLE_BOOL_FIX = (
    "Declare those columns categorical (categorical_features=[...] for arrays) so synthetic "
    "rows copy a neighbour's value, or convert them to float on purpose (astype(float)) to "
    "interpolate them."
)


def _bool_fix(columns: Sequence[str]) -> str:
    return (
        f"Declare those columns categorical ({flag_hint('categorical', columns)}) so synthetic "
        "rows copy a neighbour's value, or convert them to float on purpose (astype(float)) to "
        "interpolate them."
    )


def _tensor_to_numpy(value: Any) -> Any:
    if not hasattr(value, "detach"):
        return value
    import torch  # reached only with a tensor, so torch is already loaded

    value = value.detach().cpu()
    if value.dtype == torch.bfloat16:  # numpy has no bfloat16
        value = value.float()
    return value.numpy()


def _frame_features(frame: Any, source: str, declared: set[int]) -> np.ndarray:
    """A DataFrame given to ``table_from_arrays`` as float64: numbers (nullable ones too, NaN
    where missing), bool columns only where declared categorical (as 0/1 codes)."""
    names = [str(c) for c in frame.columns]
    kinds = [column_kind(frame.iloc[:, i]) for i in range(frame.shape[1])]
    other = [
        f"{n} ({frame.iloc[:, i].dtype})"
        for i, (n, k) in enumerate(zip(names, kinds))
        if k not in ("number", "bool")
    ]
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


def _feature_matrix(
    features: Any, source: str, declared: set[int]
) -> tuple[np.ndarray, list[str] | None]:
    """Features as a non-empty 2-D float64 array, and a DataFrame's column names (else None)."""
    if is_frame(features):
        columns = [str(c) for c in features.columns]
        refuse_duplicate_columns(columns, f"features of {source}")
        x = _frame_features(features, source, declared)
    else:
        columns = None
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
        raise ValueError(
            f"features of {source} are empty (shape {x.shape}); pass at least one row and column."
        )
    return x, columns


def _category_codes(
    x: np.ndarray, categorical: list[int], names: list[str], source: str
) -> tuple[list[tuple[str, ...]], list[np.ndarray]]:
    """Each declared categorical column's category values and its codes ``0..k-1`` (as floats)."""
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
    return categories, cat_columns


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
    x, frame_columns = _feature_matrix(features, source, declared)
    if feature_names is None:
        feature_names = frame_columns
    y = label_array(labels, source)
    if y.shape[0] != x.shape[0]:
        raise ValueError(
            f"features of {source} have {x.shape[0]} rows but labels have {y.shape[0]}; "
            "they must match."
        )
    names = (
        list(feature_names) if feature_names is not None else [f"x{i}" for i in range(x.shape[1])]
    )
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
    categories, cat_columns = _category_codes(x, categorical, names, source)
    parts = [x[:, numeric]] + [c[:, None] for c in cat_columns]
    y_codes, class_names = encode_labels(y, positive_label, source)
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


def _frame_matrix(
    frame: Any, numeric: list[str], categorical: list[str]
) -> tuple[np.ndarray, np.ndarray, list[tuple[str, ...]]]:
    """A checked frame's features (numeric columns, then categorical codes as floats in sorted
    category order), its numeric part alone, and each categorical column's category names."""
    import pandas as pd  # heavy optional library (recipes extra), loaded when a frame is read

    numeric_values = np.empty((len(frame), len(numeric)), dtype=np.float64)
    for i, c in enumerate(numeric):
        numeric_values[:, i] = column_as_numpy(frame[c])
    cat_values = []
    categories = []
    for c in categorical:
        codes, values = pd.factorize(frame[c], sort=True, use_na_sentinel=False)
        cat_values.append(codes.astype(np.float64))
        # A missing value is one category, named alike whatever the dtype (NaN, None, pd.NA).
        categories.append(tuple("nan" if pd.isna(v) else str(v) for v in values))
    features = (
        np.concatenate([numeric_values] + [v[:, None] for v in cat_values], axis=1)
        if cat_values
        else numeric_values
    )
    return features, numeric_values, categories


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
    import pandas as pd  # heavy optional library (recipes extra), loaded when a frame is read

    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"expected a pandas DataFrame, got {type(frame).__name__}.")
    columns = [str(c) for c in frame.columns]
    refuse_duplicate_columns(columns, source)
    frame = frame.set_axis(columns, axis=1)
    check_declared_columns(
        columns,
        source,
        target=target,
        categorical=categorical,
        drop_columns=drop_columns,
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
    check_feature_kinds(frame, numeric, kinds, source)
    features, numeric_values, categories = _frame_matrix(
        frame, numeric, [c for c in feature_columns if c in categorical]
    )
    labels, class_names = encode_labels(label_array(frame[target], source), positive_label, source)
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


def check_feature_kinds(frame: Any, numeric: list[str], kinds: dict[str, str], source: str) -> None:
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
