"""Splitting a table and fitting the train-only preprocessing on it
(:class:`~imbalance_torch.lightning.tables.preprocessing.Preprocessing`: scaling, imputation)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from imbalance_torch.lightning.datamodule.split_kinds import SplitPlan
from imbalance_torch.lightning.datamodule.splits import Splits, check_split_counts
from imbalance_torch.lightning.tables.preprocessing import Preprocessing
from imbalance_torch.lightning.tables.table import Table, describe_nan

__all__ = ["PreparedSplits", "split_and_preprocess"]


@dataclass(frozen=True)
class PreparedSplits:
    """A table split into train/validation/test rows and preprocessed for training.

    Attributes:
        splits: row numbers of each split.
        features: ``(n, d)`` float32 features of every row, imputed and scaled with
            statistics of the train split only.
        labels: ``(n,)`` int64 class codes.
        natural_class_counts: rows per class in the train split.
        preprocessing: the fitted preprocessing that made ``features`` (saved in
            checkpoints, applied to raw tables at scoring time).
    """

    splits: Splits
    features: torch.Tensor
    labels: torch.Tensor
    natural_class_counts: list[int]
    preprocessing: Preprocessing | None = None


def _as_float32(features: np.ndarray, table: Table) -> torch.Tensor:
    with np.errstate(over="ignore"):
        single = features.astype(np.float32)
    overflow = np.isinf(single) & ~np.isinf(features)
    if overflow.any():
        columns = sorted({table.feature_names[c] for c in np.flatnonzero(overflow.any(axis=0))})
        raise ValueError(
            f"features of {table.source} hold {int(overflow.sum())} values beyond the "
            f"float32 range (|x| > 3.4e38) in columns {columns}; models train in float32. "
            "Rescale those columns, or keep scale=True (--data.scale true)."
        )
    return torch.from_numpy(single)


def split_and_preprocess(
    table: Table,
    *,
    split_plan: SplitPlan,
    impute_median: bool,
    scale: bool,
    min_train_rows: Callable[[list[int]], Mapping[int, int]] | None = None,
    input_columns: Sequence[str] | None = None,
    target: str | None = None,
    ignored_columns: Sequence[str] = (),
    dropped_columns: dict[str, str] | None = None,
    kept_id_like: Sequence[str] = (),
) -> PreparedSplits:
    """Split ``table`` (stratified by ``split_seed`` alone, or as ``split_plan`` says: by time
    or by group), check every split, then impute and standardise the numeric columns with
    statistics of the train split only.

    Args:
        table: the loaded table.
        split_plan: the split kind and its settings, fractions and seed
            (:class:`~imbalance_torch.lightning.datamodule.split_kinds.SplitPlan`). Its description
            (kind, rows, time ranges) is kept in ``preprocessing.split``.
        impute_median: fill NaN cells with the train split's column median; otherwise NaN
            raises an error that says where they are.
        scale: standardise numeric columns.
        min_train_rows: ``train class counts -> {class: rows the train split needs}`` (the
            neighbour search of a synthetic strategy).
        input_columns: feature columns in the input's order (kept by the fitted
            :class:`~imbalance_torch.lightning.tables.preprocessing.Preprocessing`).
        target: label column name, for the preprocessing.
        ignored_columns: columns left out in training (``drop_columns``).
        dropped_columns: columns dropped because they carry nothing, with the reason (kept in
            the preprocessing's feature roles).
        kept_id_like: id-like columns kept as features on purpose.

    Raises:
        ValueError: NaN without ``impute_median``, a split without a class, too few train
            rows for the neighbour search, or values beyond float32 after preprocessing.
    """
    if not impute_median:
        message = describe_nan(
            table.features, table.feature_names, where=f"features of {table.source}"
        )
        if message:
            raise ValueError(
                message + ". Clean them, or pass impute_median=True (--data.impute_median "
                "true) to fill each column with its train-split median."
            )
    splits, split_description = split_plan.split(
        table.labels, table.split_columns, class_names=table.class_names
    )
    natural = table.class_counts(splits.train)
    needed = dict(min_train_rows(natural)) if min_train_rows is not None else {}
    check_split_counts(
        table.labels,
        splits,
        table.class_names,
        min_train_rows=needed,
        empty_class_fix=split_plan.empty_class_fix,
    )
    # One fitted object makes the features here and at scoring time (NOTE [raw tables at
    # scoring time] in preprocessing.py), so fit, test and predict cannot drift.
    preprocessing = Preprocessing.fit(
        table,
        splits.train,
        impute_median=impute_median,
        scale=scale,
        input_columns=input_columns,
        target=target,
        ignored_columns=ignored_columns,
        split=split_description,
        dropped_columns=dropped_columns,
        kept_id_like=kept_id_like,
    )
    return PreparedSplits(
        splits=splits,
        features=_as_float32(preprocessing.transform_encoded(table.features), table),
        labels=torch.from_numpy(table.labels),
        natural_class_counts=natural,
        preprocessing=preprocessing,
    )
