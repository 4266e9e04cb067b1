"""The neighbourhood cleaning rule (Laurikkala 2001)."""

from __future__ import annotations

import math
import numbers

import torch

from imbalance_torch._validation import describe
from imbalance_torch.neighbors import kneighbors
from imbalance_torch.targets import class_counts
from imbalance_torch.undersample._base import (
    Cleaner,
    CleaningStrategy,
    check_n_neighbors,
    check_neighbors_fit,
    minority_class,
    vote,
)
from imbalance_torch.undersample._edited import EditedNearestNeighbours

__all__ = ["NeighbourhoodCleaningRule"]


class NeighbourhoodCleaningRule(Cleaner):
    """Edited nearest neighbours, plus the neighbours of misclassified minority rows.

    Two sets of rows are dropped (imbalanced-learn 0.14's rule):

    * A1: the rows removed by ``edited_nearest_neighbours`` (default
      ``EditedNearestNeighbours(sampling_strategy, n_neighbors, kind_sel="mode")``);
    * A2: for every minority row that a ``n_neighbors``-NN vote over the full data misclassifies
      (the vote counts the row itself, as scikit-learn's ``KNeighborsClassifier.predict`` on its
      own training rows does), its ``n_neighbors`` nearest other rows that belong to a class of
      ``sampling_strategy`` with more than ``threshold_cleaning`` x (minority size) rows.

    Args:
        sampling_strategy: the classes to clean, as :class:`EditedNearestNeighbours`.
        edited_nearest_neighbours: an :class:`EditedNearestNeighbours` giving A1 (a copy is
            fitted; the object passed is left as it is), or ``None`` for the default above.
        n_neighbors: neighbourhood size. Default 3.
        threshold_cleaning: a class is cleaned in A2 only if it has more than
            ``threshold_cleaning`` x (minority size) rows. Default 0.5; must be > 0.

    Attributes:
        sample_indices_: ``(n_kept,)`` sorted indices of the rows kept.
        classes_to_clean_: the classes A2 may remove rows from.

    Raises:
        ValueError: (at :meth:`fit`) ``n_neighbors`` not below the number of rows, a
            ``threshold_cleaning`` that is not a positive number, or a bad
            ``sampling_strategy``.
        TypeError: ``edited_nearest_neighbours`` not an :class:`EditedNearestNeighbours`.

    References:
        Laurikkala, J. Improving identification of difficult small classes by balancing class
        distribution. Artificial Intelligence in Medicine (AIME), 2001.

    Example:
        >>> import torch
        >>> g = torch.Generator().manual_seed(0)
        >>> X = torch.randn(80, 2, generator=g); y = (torch.arange(80) < 20).long()
        >>> ncr = NeighbourhoodCleaningRule().fit(X, y)
        >>> int((y[ncr.sample_indices_] == 1).sum())  # the minority is never cleaned by "auto"
        20
    """

    _params = ("sampling_strategy", "edited_nearest_neighbours", "n_neighbors", "threshold_cleaning")

    def __init__(
        self,
        *,
        sampling_strategy: CleaningStrategy = "auto",
        edited_nearest_neighbours: EditedNearestNeighbours | None = None,
        n_neighbors: int = 3,
        threshold_cleaning: float = 0.5,
    ) -> None:
        self.sampling_strategy = sampling_strategy
        self.edited_nearest_neighbours = edited_nearest_neighbours
        self.n_neighbors = n_neighbors
        self.threshold_cleaning = threshold_cleaning

    def _check_params(self, X: torch.Tensor, y: torch.Tensor) -> None:
        k = check_n_neighbors(self.n_neighbors)
        threshold = self.threshold_cleaning
        if isinstance(threshold, bool) or not isinstance(threshold, numbers.Real):
            raise TypeError(f"threshold_cleaning must be a number > 0; got {describe(threshold)}.")
        if not (math.isfinite(threshold) and threshold > 0):
            raise ValueError(
                f"threshold_cleaning must be a finite number > 0 (a class is cleaned if it has more "
                f"than threshold_cleaning x the minority's rows); got {threshold}. The default is 0.5."
            )
        enn = self.edited_nearest_neighbours
        if enn is not None and not isinstance(enn, EditedNearestNeighbours):
            raise TypeError(
                f"edited_nearest_neighbours must be an EditedNearestNeighbours or None; got "
                f"{type(enn).__name__} {describe(enn)}."
            )
        check_neighbors_fit("n_neighbors", k, len(y) - 1, "other rows per row", " (the data)")

    def _select(self, X: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        given = self.edited_nearest_neighbours
        enn = (
            EditedNearestNeighbours(sampling_strategy=self.sampling_strategy, n_neighbors=self.n_neighbors, kind_sel="mode")
            if given is None
            else type(given)(**given.get_params())
        )
        keep = torch.zeros(len(y), dtype=torch.bool, device=y.device)
        keep[enn.fit(X, y).sample_indices_] = True  # A1 is everything ENN drops
        counts = class_counts(y)
        minority = minority_class(counts)
        self.classes_to_clean_ = [
            c for c in sorted(self.sampling_strategy_) if counts[c] > counts[minority] * self.threshold_cleaning
        ]
        k = self.n_neighbors
        rows = (y == minority).nonzero().squeeze(1)
        _, neighbors = kneighbors(X.index_select(0, rows), X, k, query_indices=rows)
        labels = y[neighbors]
        # KNeighborsClassifier(k).predict on a training row votes over the row and its k - 1 others
        predicted = vote(torch.cat([y[rows].unsqueeze(1), labels[:, : k - 1]], 1), torch.unique(y))
        wrong = predicted != minority
        if bool(wrong.any()):
            neighbors = torch.unique(neighbors[wrong])
            cleanable = torch.isin(y[neighbors], torch.tensor(self.classes_to_clean_, dtype=y.dtype, device=y.device))
            keep[neighbors[cleanable]] = False  # A2
        return keep

