"""SMOTE (Chawla et al. 2002) with imbalanced-learn's draw: a base row uniformly with
replacement among the class's rows, one of its k nearest same-class neighbours uniformly, and a
gap uniform in [0, 1)."""

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
    substitute,
    within_class_neighbors,
)
from imbalance_torch.undersample import Cleaner

__all__ = ["SMOTE"]


@substitute(family_args=FAMILY_ARGS_DOC)
class SMOTE(SMOTEFamily):
    """Synthetic Minority Over-sampling TEchnique, generated on the fly.

    Each synthetic row of class c is ``x_b + gap * (x_n - x_b)``: ``b`` a row of class c drawn
    uniformly with replacement, ``n`` one of ``b``'s ``k_neighbors`` nearest class-c rows
    (``b`` itself excluded), ``gap`` uniform in [0, 1).

    With ``categorical_features`` this is SMOTE-NC (NOTE [categorical columns]): distances add
    ``median_std_[c] ** 2`` per categorical column that differs, and each categorical column of
    a synthetic row takes the code most frequent among ``b``'s neighbours (ties at random)
    instead of being interpolated.

    Args:
        k_neighbors: same-class neighbours per row (imbalanced-learn's default 5).
        categorical_features: ``None`` (every column continuous), column indices, or a boolean
            mask of length ``n_features``, naming columns that hold integer category codes.
        {family_args}

    References:
        Chawla, Bowyer, Hall, Kegelmeyer. SMOTE: Synthetic Minority Over-sampling Technique.
        JAIR 16, 2002 (section 6.1 for SMOTE-NC).

    Example:
        >>> import torch
        >>> X = torch.randn(40, 3); y = torch.tensor([0] * 30 + [1] * 10)
        >>> sm = SMOTE(k_neighbors=3).fit(X, y, {1: 20})
        >>> sm.generate(torch.ones(4, dtype=torch.long), torch.arange(4), seed=0, epoch=0).shape
        torch.Size([4, 3])
        >>> X[:, 2] = torch.randint(0, 3, (40,)).float()  # column 2 holds category codes
        >>> nc = SMOTE(k_neighbors=3, categorical_features=[2]).fit(X, y, {1: 20})
        >>> rows = nc.generate(torch.ones(4, dtype=torch.long), torch.arange(4), seed=0, epoch=0)
        >>> bool((rows[:, 2] == rows[:, 2].round()).all())
        True
    """

    _params = ("k_neighbors", "categorical_features", *FAMILY_PARAMS)
    index_pool = "all"

    def out_of_core_neighbors(self) -> int | None:
        """Within-class searches only (SMOTE and SMOTE-NC)."""
        return 0

    def __init__(
        self,
        *,
        k_neighbors: int = 5,
        categorical_features: Sequence[int] | Sequence[bool] | None = None,
        neighbors: NeighborSearch | SklearnLikeNeighbors | None = None,
        safe: bool = False,
        safe_k: int = 5,
        filter: Cleaner | None = None,
        filter_search: str = "candidates",
    ) -> None:
        self.k_neighbors = k_neighbors
        super().__init__(
            categorical_features=categorical_features,
            neighbors=neighbors,
            safe=safe,
            safe_k=safe_k,
            filter=filter,
            filter_search=filter_search,
        )

    def _check_params(self, X: torch.Tensor) -> None:
        check_int("k_neighbors", self.k_neighbors, minimum=1)
        super()._check_params(X)

    def _check_class(self, X: torch.Tensor, y: torch.Tensor, label: int, count: int) -> None:
        check_class_size("k_neighbors", self.k_neighbors, label, count, type(self).__name__)

    def _fit_class(self, X: torch.Tensor, y: torch.Tensor, label: int) -> ClassPool:
        rows, neighbors = within_class_neighbors(
            X, y, label, self.k_neighbors, penalty=self.penalty(X, y, label), search=self.search()
        )
        return ClassPool(rows, neighbors)
