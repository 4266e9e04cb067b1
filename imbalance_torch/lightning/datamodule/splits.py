"""Stratified splits, split checks, and the train-only preprocessing fitted on them
(:class:`~imbalance_torch.lightning.tables.preprocessing.Preprocessing`: scaling, imputation)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch

if TYPE_CHECKING:
    from imbalance_torch.lightning.datamodule.split_kinds import SplitPlan
    from imbalance_torch.lightning.tables.preprocessing import Preprocessing
    from imbalance_torch.lightning.tables.table import Table

__all__ = [
    "SPLIT_NAMES",
    "PreparedSplits",
    "Splits",
    "check_split_counts",
    "check_fractions",
    "split_and_preprocess",
    "stratified_split",
]

SPLIT_NAMES = ("train", "val", "test")


@dataclass(frozen=True)
class Splits:
    """Row indices of the train, validation and test splits (disjoint, sorted)."""

    train: np.ndarray
    val: np.ndarray
    test: np.ndarray

    def __getitem__(self, name: str) -> np.ndarray:
        if name not in SPLIT_NAMES:
            raise ValueError(f"split={name!r} is not one of {', '.join(SPLIT_NAMES)}.")
        return getattr(self, name)


def _check_fraction(name: str, value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 < value < 1.0:
        raise ValueError(f"{name} must be a float in (0, 1), got {value!r}.")


def check_fractions(val_fraction: float, test_fraction: float) -> None:
    """Refuse validation/test fractions outside (0, 1) or leaving no rows for training.

    Raises:
        ValueError: naming the fraction and its value.
    """
    _check_fraction("val_fraction", val_fraction)
    _check_fraction("test_fraction", test_fraction)
    if val_fraction + test_fraction >= 1.0:
        raise ValueError(
            f"val_fraction + test_fraction must leave rows for training, got "
            f"{val_fraction} + {test_fraction} = {val_fraction + test_fraction}."
        )


def stratified_split(
    labels: np.ndarray,
    *,
    val_fraction: float,
    test_fraction: float,
    seed: int,
    class_names: Sequence[str] | None = None,
) -> Splits:
    """Split rows into train/validation/test, keeping each class's share in every split.

    The split depends only on ``(labels, val_fraction, test_fraction, seed)``, so every
    strategy compared under the same seed sees exactly the same rows.

    Args:
        labels: ``(n,)`` class codes.
        val_fraction: share of all rows for validation.
        test_fraction: share of all rows for test.
        seed: split seed.
        class_names: names of the classes, for messages.

    Returns:
        The three index arrays.

    Raises:
        ValueError: fractions outside (0, 1) or summing to 1 or more; a class with fewer
            than 3 rows; a split too small to hold a row of every class.
    """
    from sklearn.model_selection import train_test_split

    check_fractions(val_fraction, test_fraction)
    rows = np.arange(labels.shape[0])
    counts = np.bincount(labels)
    present = np.flatnonzero(counts)
    smallest = present[np.argmin(counts[present])]
    if counts[smallest] < 3:
        name = f"{class_names[smallest]!r} ({smallest})" if class_names is not None else str(smallest)
        raise ValueError(
            f"class {name} has {counts[smallest]} row(s); a stratified train/validation/test "
            "split needs at least 3 rows of every class (one in each split). Add rows of that "
            "class or leave it out of the data."
        )
    n = rows.size
    for name, size in (("test", test_fraction * n), ("validation", val_fraction * n),
                       ("train", (1.0 - val_fraction - test_fraction) * n)):
        if size < present.size:
            raise ValueError(
                f"the {name} split would hold about {size:.0f} of {n} rows, fewer than the "
                f"{present.size} classes, so it cannot hold a row of each class; use larger "
                "fractions for that split or more data."
            )
    try:
        rest, test = train_test_split(
            rows, test_size=test_fraction, stratify=labels, random_state=seed
        )
        train, val = train_test_split(
            rest,
            test_size=val_fraction / (1.0 - test_fraction),
            stratify=labels[rest],
            random_state=seed,
        )
    except ValueError as error:  # scikit-learn's own checks, should the ones above miss one
        raise ValueError(
            f"cannot split {n} rows of {present.size} classes into stratified train/validation/"
            f"test splits with val_fraction={val_fraction}, test_fraction={test_fraction} "
            f"(scikit-learn: {error}). Use larger fractions or more data."
        ) from None
    return Splits(np.sort(train), np.sort(val), np.sort(test))


def check_split_counts(
    labels: np.ndarray,
    splits: Splits,
    class_names: Sequence[str],
    *,
    min_train_rows: dict[int, int] | None = None,
    neighbors_argument: str = "k_neighbors",
    empty_class_fix: str | None = None,
) -> None:
    """Check that every split holds every class, and enough rows for the neighbour search.

    Args:
        labels: ``(n,)`` class codes of the whole table.
        splits: the splits.
        class_names: names of the classes, for messages.
        min_train_rows: class code -> rows the train split needs (``k_neighbors + 1`` for
            classes that are oversampled).
        neighbors_argument: the argument to suggest lowering.
        empty_class_fix: what to do when a split lacks a class (default: larger fractions).

    Raises:
        ValueError: naming the split, the class, the count and what to change.
    """
    num_classes = len(class_names)
    for name in SPLIT_NAMES:
        counts = np.bincount(labels[splits[name]], minlength=num_classes)
        for code in np.flatnonzero(counts == 0):
            raise ValueError(
                f"the {name} split has no row of class {class_names[code]!r} ({code}); the data "
                f"has {int((labels == code).sum())} such rows. "
                + (empty_class_fix or (
                    f"Use a larger {'val_fraction' if name == 'val' else 'test_fraction' if name == 'test' else 'train split'}"
                    " or more data."
                ))
            )
    train_counts = np.bincount(labels[splits.train], minlength=num_classes)
    for code, needed in sorted((min_train_rows or {}).items()):
        have = int(train_counts[code])
        if have < needed:
            raise ValueError(
                f"{neighbors_argument}={needed - 1} needs at least {needed} rows of class "
                f"{class_names[code]!r} ({code}) in the train split, which has {have}; lower "
                f"{neighbors_argument} to {max(1, have - 1)} (--data.resampling_options "
                f"'{{{neighbors_argument}: {max(1, have - 1)}}}') or enlarge the train split "
                "(smaller val_fraction/test_fraction)."
            )


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
    from imbalance_torch.lightning.tables.table import describe_nan

    if not impute_median:
        message = describe_nan(table.features, table.feature_names, where=f"features of {table.source}")
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
        table.labels, splits, table.class_names, min_train_rows=needed,
        empty_class_fix=split_plan.empty_class_fix,
    )
    from imbalance_torch.lightning.tables.preprocessing import Preprocessing

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
