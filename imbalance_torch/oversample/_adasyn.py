"""ADASYN (He et al. 2008): more synthetic rows from the rows that are harder to learn."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from imbalance_torch._validation import check_int
from imbalance_torch.neighbors._backends import NeighborSearch, SklearnLikeNeighbors
from imbalance_torch.oversample._base import ClassPool
from imbalance_torch.oversample._family import (
    FAMILY_ARGS_DOC,
    FAMILY_PARAMS,
    SMOTEFamily,
    check_class_size,
    other_class_neighbor_counts,
    substitute,
    within_class_neighbors,
)
from imbalance_torch.undersample import Cleaner

__all__ = ["ADASYN"]


@substitute(family_args=FAMILY_ARGS_DOC)
class ADASYN(SMOTEFamily):
    """Adaptive synthetic sampling.

    Row i of class c has difficulty ``r_i = (# of its n_neighbors nearest rows, all classes,
    of another class) / n_neighbors``. A synthetic row picks its base row with probability
    ``r_i / sum(r)`` and interpolates toward one of the base's ``n_neighbors`` nearest class-c
    rows with a gap in [0, 1).

    Unlike imbalanced-learn, which rounds ``r_i / sum(r) * G`` per row and so adds a total that
    usually differs from the ``G`` asked for, the base rows here are drawn with those
    probabilities, so exactly ``G`` rows are added and each row's expected share is unchanged.
    (``r_i`` is a count over ``n_neighbors``, so a row is simply listed in the base pool once
    per other-class neighbour: exact probabilities, O(1) per draw.)

    With ``categorical_features``, both searches (the difficulty's ``n_neighbors`` among all
    rows, the class's neighbours to interpolate toward) add ``median_std_[c] ** 2`` per
    categorical column that differs, and each categorical column of a synthetic row takes the
    code most frequent among the base row's neighbours, as SMOTE-NC does
    (NOTE [categorical columns]).

    Args:
        n_neighbors: neighbours for the difficulty ratio and for interpolation.
        categorical_features: ``None``, column indices, or a boolean mask of length
            ``n_features``, naming columns that hold integer category codes.
        {family_args}

    References:
        He, Bai, Garcia, Li. ADASYN: Adaptive Synthetic Sampling Approach for Imbalanced
        Learning. IJCNN 2008.
    """

    _params = ("n_neighbors", "categorical_features", *FAMILY_PARAMS)
    index_pool = "weighted"

    def out_of_core_neighbors(self) -> int | None:
        """The difficulty's ``n_neighbors`` among rows of any class."""
        return self.n_neighbors

    def __init__(
        self,
        *,
        n_neighbors: int = 5,
        categorical_features: Sequence[int] | Sequence[bool] | None = None,
        neighbors: NeighborSearch | SklearnLikeNeighbors | None = None,
        safe: bool = False,
        safe_k: int = 5,
        filter: Cleaner | None = None,
        filter_search: str = "candidates",
    ) -> None:
        self.n_neighbors = n_neighbors
        super().__init__(
            categorical_features=categorical_features,
            neighbors=neighbors,
            safe=safe,
            safe_k=safe_k,
            filter=filter,
            filter_search=filter_search,
        )

    def _check_params(self, X: torch.Tensor) -> None:
        check_int("n_neighbors", self.n_neighbors, minimum=1)
        super()._check_params(X)

    def _check_class(self, X: torch.Tensor, y: torch.Tensor, label: int, count: int) -> None:
        check_class_size("n_neighbors", self.n_neighbors, label, count, "ADASYN")

    def difficulty(self, X: torch.Tensor, y: torch.Tensor, label: int) -> tuple[torch.Tensor, torch.Tensor]:
        """``(rows, r)``: the class's rows and their other-class neighbour ratios."""
        search = self.search()
        try:
            rows, others = other_class_neighbor_counts(
                X, y, label, self.n_neighbors, self.penalty(X, y, label), search
            )
        finally:
            search.release()
        return rows, others.to(torch.float64) / self.n_neighbors

    def _fit_class(self, X: torch.Tensor, y: torch.Tensor, label: int) -> ClassPool:
        penalty, search = self.penalty(X, y, label), self.search()
        rows, others = other_class_neighbor_counts(X, y, label, self.n_neighbors, penalty, search)
        keep = others > 0
        if not bool(keep.any()):
            raise ValueError(
                f"ADASYN found no row of class {label} with a neighbour of another class among "
                f"its n_neighbors={self.n_neighbors} nearest rows, so every base weight is 0. "
                f"The class looks well separated: use SMOTE, or a larger n_neighbors."
            )
        bases = rows[keep]
        _, neighbors = within_class_neighbors(
            X, y, label, self.n_neighbors, queries=bases, penalty=penalty, search=search
        )
        multiplicity = others[keep]
        return ClassPool(bases.repeat_interleave(multiplicity), neighbors.repeat_interleave(multiplicity, dim=0))
