"""The :class:`Table` type (a whole dataset, before any split) and the checks of its cells.

:mod:`~imbalance_torch.lightning.tables.frames` builds tables from arrays and frames,
:mod:`~imbalance_torch.lightning.tables.labels` reads their labels and
:mod:`~imbalance_torch.lightning.tables.table` loads them by name or path.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

__all__ = ["Table", "check_finite", "describe_nan", "flag_hint", "no_rows_error"]


def flag_hint(name: str, values: Sequence[str]) -> str:
    """How to pass a list setting, as typed: in Python, and on the command line.

    ``--data.NAME '[a, b]'`` works for ``train`` and ``compare`` alike (a YAML list for
    LightningCLI); ``compare`` also takes ``--categorical a b``. ``--data.categorical a b``
    does not parse (jsonargparse reads one value per flag).
    """
    shown = [str(v) for v in list(values)[:5]]
    hint = (
        f"{name}={shown!r} in Python, or on the command line --data.{name} '[{', '.join(shown)}]'"
    )
    if name == "categorical":
        hint += f" (compare also takes --categorical {' '.join(shown)})"
    return hint


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
    return f"{where} contain {int(mask.sum())} NaN values in {len(parts)} columns: " + ", ".join(
        parts
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
