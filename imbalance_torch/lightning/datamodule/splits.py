"""The three splits, stratified splits and the split checks. The split kinds are planned in
:mod:`~imbalance_torch.lightning.datamodule.split_kinds`; the train-only preprocessing fitted on
the splits is in :mod:`~imbalance_torch.lightning.datamodule.prepare`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "SPLIT_NAMES",
    "Splits",
    "check_split_counts",
    "check_fractions",
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
        name = (
            f"{class_names[smallest]!r} ({smallest})" if class_names is not None else str(smallest)
        )
        raise ValueError(
            f"class {name} has {counts[smallest]} row(s); a stratified train/validation/test "
            "split needs at least 3 rows of every class (one in each split). Add rows of that "
            "class or leave it out of the data."
        )
    n = rows.size
    for name, size in (
        ("test", test_fraction * n),
        ("validation", val_fraction * n),
        ("train", (1.0 - val_fraction - test_fraction) * n),
    ):
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
                + (
                    empty_class_fix
                    or (
                        f"Use a larger {'val_fraction' if name == 'val' else 'test_fraction' if name == 'test' else 'train split'}"
                        " or more data."
                    )
                )
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
