"""Group splits: whole groups of a group column (a card, a customer) go to one split, stratified
where possible."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from imbalance_torch.lightning.datamodule.splits import Splits, check_fractions

__all__ = ["STRATIFIED_GROUP_LIMIT", "group_split"]


def _folds(fraction: float) -> int:
    """Folds whose one fold holds about ``fraction`` of the rows."""
    return max(2, int(round(1.0 / fraction)))


#: Most groups dealt by ``StratifiedGroupKFold``: it places one group at a time (a Python
#: loop, about 0.2 ms a group); with more groups, ``GroupShuffleSplit`` draws whole groups at
#: random, and with that many groups each split's class shares stay close to the data's.
STRATIFIED_GROUP_LIMIT = 10_000


def group_split(
    labels: np.ndarray,
    groups: np.ndarray,
    *,
    val_fraction: float,
    test_fraction: float,
    seed: int,
) -> tuple[Splits, bool]:
    """Split whole groups into train/validation/test, keeping class shares where possible.

    Up to :data:`STRATIFIED_GROUP_LIMIT` groups, scikit-learn's ``StratifiedGroupKFold``
    runs twice: one fold of ``round(1 / test_fraction)`` is the test split, then one fold of
    the rest (``round((1 - test_fraction) / val_fraction)`` folds) is the validation split,
    so the fractions are met to the nearest fold. With more groups, ``GroupShuffleSplit``
    draws the same shares of groups at random. No group has rows in two splits.

    Args:
        labels: ``(n,)`` class codes.
        groups: ``(n,)`` group values (any hashable values).
        val_fraction: share of rows (stratified) or groups (shuffled) for validation.
        test_fraction: share of rows (stratified) or groups (shuffled) for test.
        seed: shuffles groups before they are dealt.

    Returns:
        ``(splits, stratified)``.

    Raises:
        ValueError: bad fractions, or fewer groups than folds.
    """
    # scikit-learn parts are heavy optional imports: loaded when a group split runs
    from sklearn.model_selection import GroupShuffleSplit, StratifiedGroupKFold

    check_fractions(val_fraction, test_fraction)
    codes = np.unique(np.asarray(groups), return_inverse=True)[1].reshape(-1)
    rows = np.arange(labels.shape[0])
    stratified = int(codes.max(initial=-1)) + 1 <= STRATIFIED_GROUP_LIMIT

    def one_fold(subset: np.ndarray, fraction: float, which: str) -> tuple[np.ndarray, np.ndarray]:
        folds = _folds(fraction) if stratified else 2
        have = np.unique(codes[subset]).size
        if have < folds:
            raise ValueError(
                f"a group split of the {which} needs at least {folds} groups, but there are "
                f"{have}; use a larger fraction, more groups, or split='stratified'."
            )
        if stratified:
            splitter: Any = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
        else:
            splitter = GroupShuffleSplit(n_splits=1, test_size=fraction, random_state=seed)
        with warnings.catch_warnings():
            # Too few rows of a class for every fold: check_split_counts says which split.
            warnings.filterwarnings("ignore", message=".*least populated class.*")
            rest, fold = next(splitter.split(subset, labels[subset], codes[subset]))
        return subset[rest], subset[fold]

    rest, test = one_fold(rows, test_fraction, "test split")
    train, val = one_fold(rest, val_fraction / (1.0 - test_fraction), "validation split")
    return Splits(np.sort(train), np.sort(val), np.sort(test)), stratified
