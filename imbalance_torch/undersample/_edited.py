"""Edited nearest neighbours (Wilson 1972) and its repeated forms: RENN and All-kNN (Tomek 1976)."""

from __future__ import annotations

import torch

from imbalance_torch._validation import check_int, describe
from imbalance_torch.targets import class_counts
from imbalance_torch.undersample._base import (
    Cleaner,
    CleaningStrategy,
    check_kind_sel,
    check_n_neighbors,
    check_neighbors_fit,
    cleaning_classes,
    edited_keep,
    minority_class,
)

__all__ = ["AllKNN", "EditedNearestNeighbours", "RepeatedEditedNearestNeighbours"]


def _check_room(k: int, rows: int, method: str) -> None:
    check_neighbors_fit(
        "n_neighbors", k, rows - 1, "other rows per row", f" (the data left at this step has {rows} rows; {method})"
    )


class _EditedPasses(Cleaner):
    """Shared by RENN and All-kNN: one edited pass over the rows still kept, and the stopping
    rules both use (a non-minority class falls below the minority's original size, or a class
    disappears)."""

    def _edit(self, X: torch.Tensor, y: torch.Tensor, current: torch.Tensor, k: int) -> torch.Tensor:
        labels = y.index_select(0, current)
        _check_room(k, len(current), type(self).__name__)
        keep = edited_keep(X.index_select(0, current), labels, cleaning_classes(labels, self.sampling_strategy), k, self.kind_sel)
        return current[keep]

    @staticmethod
    def _stops(y: torch.Tensor, current: torch.Tensor, original: dict[int, int], check_minority: bool) -> bool:
        counts = class_counts(y.index_select(0, current))
        minority = minority_class(original)
        became_smaller = check_minority and any(n < original[minority] for c, n in counts.items() if c != minority)
        return became_smaller or len(counts) < len(original)


class EditedNearestNeighbours(Cleaner):
    """Drop the rows of the cleaned classes that disagree with their nearest neighbours.

    For every row of a cleaned class, its ``n_neighbors`` nearest other rows (all classes,
    Euclidean, the row itself excluded) are found once on the full data; the row is dropped if
    not all of them (``kind_sel="all"``) or not most of them (``kind_sel="mode"``, ties to the
    smallest label) share its class.

    Args:
        sampling_strategy: the classes to clean (``"auto"`` = every class but the minority,
            ``"majority"``, ``"not minority"``, ``"not majority"``, ``"all"``, or a list of class
            labels). Default ``"auto"``.
        n_neighbors: neighbours per row. Default 3.
        kind_sel: ``"all"`` (default) or ``"mode"``.

    Attributes:
        sample_indices_: ``(n_kept,)`` sorted indices of the rows kept.

    Raises:
        ValueError: (at :meth:`fit`) ``n_neighbors`` not below the number of rows, an unknown
            ``kind_sel``, or a bad ``sampling_strategy``.
        TypeError: a non-int ``n_neighbors``.

    References:
        Wilson, D. L. Asymptotic properties of nearest neighbor rules using edited data. IEEE
        Transactions on Systems, Man, and Cybernetics 2(3), 1972.

    Example:
        >>> import torch
        >>> X = torch.tensor([[0.0], [0.1], [0.2], [0.3], [5.0], [5.1], [5.2]])
        >>> y = torch.tensor([0, 0, 1, 0, 1, 1, 1])
        >>> EditedNearestNeighbours(n_neighbors=2).fit(X, y).sample_indices_.tolist()  # class 0 is the minority
        [0, 1, 3, 4, 5, 6]
    """

    _params = ("sampling_strategy", "n_neighbors", "kind_sel")

    def __init__(self, *, sampling_strategy: CleaningStrategy = "auto", n_neighbors: int = 3, kind_sel: str = "all") -> None:
        self.sampling_strategy = sampling_strategy
        self.n_neighbors = n_neighbors
        self.kind_sel = kind_sel

    def _check_params(self, X: torch.Tensor, y: torch.Tensor) -> None:
        k = check_n_neighbors(self.n_neighbors)
        check_kind_sel(self.kind_sel)
        _check_room(k, len(y), "EditedNearestNeighbours")

    def _select(self, X: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return edited_keep(X, y, list(self.sampling_strategy_), self.n_neighbors, self.kind_sel)


class RepeatedEditedNearestNeighbours(_EditedPasses):
    """Apply :class:`EditedNearestNeighbours` again and again to the rows it keeps.

    Each pass searches the rows kept so far and resolves ``sampling_strategy`` on their labels.
    It stops, as imbalanced-learn 0.14 does, after ``max_iter`` passes, after a pass that
    removes nothing, when a class other than the (original) minority falls below the
    minority's original size, or when a class disappears; the pass that triggers a stop is kept.

    Args:
        sampling_strategy: the classes to clean, as :class:`EditedNearestNeighbours`.
        n_neighbors: neighbours per row. Default 3.
        max_iter: most passes. Default 100.
        kind_sel: ``"all"`` (default) or ``"mode"``.

    Attributes:
        sample_indices_: ``(n_kept,)`` sorted indices of the rows kept.
        n_iter_: passes run.

    Raises:
        ValueError: as :class:`EditedNearestNeighbours`, and ``max_iter < 1``.

    References:
        Tomek, I. An experiment with the edited nearest-neighbor rule. IEEE Transactions on
        Systems, Man, and Cybernetics 6(6), 1976.

    Example:
        >>> import torch
        >>> g = torch.Generator().manual_seed(0)
        >>> X = torch.randn(60, 2, generator=g); y = (torch.arange(60) < 15).long()
        >>> X[:15] += 2  # class 1, the minority, is never cleaned by "auto"
        >>> renn = RepeatedEditedNearestNeighbours().fit(X, y)
        >>> renn.n_iter_, torch.bincount(y[renn.sample_indices_]).tolist()
        (3, [34, 15])
    """

    _params = ("sampling_strategy", "n_neighbors", "max_iter", "kind_sel")

    def __init__(self, *, sampling_strategy: CleaningStrategy = "auto", n_neighbors: int = 3, max_iter: int = 100, kind_sel: str = "all") -> None:
        self.sampling_strategy = sampling_strategy
        self.n_neighbors = n_neighbors
        self.max_iter = max_iter
        self.kind_sel = kind_sel

    def _check_params(self, X: torch.Tensor, y: torch.Tensor) -> None:
        k = check_n_neighbors(self.n_neighbors)
        check_int("max_iter", self.max_iter, minimum=1)
        check_kind_sel(self.kind_sel)
        _check_room(k, len(y), "RepeatedEditedNearestNeighbours")

    def _select(self, X: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        original = class_counts(y)
        current = torch.arange(len(y), device=y.device)
        self.n_iter_ = 0
        while self.n_iter_ < self.max_iter:
            self.n_iter_ += 1
            before = len(current)
            current = self._edit(X, y, current, self.n_neighbors)
            if len(current) == before or self._stops(y, current, original, check_minority=True):
                break
        keep = torch.zeros(len(y), dtype=torch.bool, device=y.device)
        keep[current] = True
        return keep


class AllKNN(_EditedPasses):
    """Apply :class:`EditedNearestNeighbours` with 1, 2, ..., ``n_neighbors`` neighbours in turn,
    each pass on the rows the previous one kept.

    It stops early, as imbalanced-learn 0.14 does, when a class other than the (original)
    minority falls below the minority's original size (unless ``allow_minority=True``) or when
    a class disappears; the pass that triggers a stop is kept.

    Args:
        sampling_strategy: the classes to clean, as :class:`EditedNearestNeighbours`.
        n_neighbors: the largest neighbourhood. Default 3.
        kind_sel: ``"all"`` (default) or ``"mode"``.
        allow_minority: do not stop when a cleaned class becomes smaller than the minority.
            Default False.

    Attributes:
        sample_indices_: ``(n_kept,)`` sorted indices of the rows kept.

    Raises:
        ValueError: as :class:`EditedNearestNeighbours`.
        TypeError: a non-bool ``allow_minority``.

    References:
        Tomek, I. An experiment with the edited nearest-neighbor rule. IEEE Transactions on
        Systems, Man, and Cybernetics 6(6), 1976.

    Example:
        >>> import torch
        >>> g = torch.Generator().manual_seed(0)
        >>> X = torch.randn(60, 2, generator=g); y = (torch.arange(60) < 15).long()
        >>> len(AllKNN().fit(X, y).sample_indices_) <= 60
        True
    """

    _params = ("sampling_strategy", "n_neighbors", "kind_sel", "allow_minority")

    def __init__(self, *, sampling_strategy: CleaningStrategy = "auto", n_neighbors: int = 3, kind_sel: str = "all", allow_minority: bool = False) -> None:
        self.sampling_strategy = sampling_strategy
        self.n_neighbors = n_neighbors
        self.kind_sel = kind_sel
        self.allow_minority = allow_minority

    def _check_params(self, X: torch.Tensor, y: torch.Tensor) -> None:
        k = check_n_neighbors(self.n_neighbors)
        check_kind_sel(self.kind_sel)
        if not isinstance(self.allow_minority, bool):
            raise TypeError(f"allow_minority must be a bool; got {describe(self.allow_minority)}.")
        _check_room(k, len(y), "AllKNN")

    def _select(self, X: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        original = class_counts(y)
        current = torch.arange(len(y), device=y.device)
        for k in range(1, self.n_neighbors + 1):
            current = self._edit(X, y, current, k)
            if self._stops(y, current, original, check_minority=not self.allow_minority):
                break
        keep = torch.zeros(len(y), dtype=torch.bool, device=y.device)
        keep[current] = True
        return keep
