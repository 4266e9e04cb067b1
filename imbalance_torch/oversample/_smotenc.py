"""SMOTE-NC under imbalanced-learn's name: :class:`SMOTE` with categorical columns required."""

from __future__ import annotations

from collections.abc import Sequence

from imbalance_torch.neighbors._backends import NeighborSearch, SklearnLikeNeighbors
from imbalance_torch.oversample._family import FAMILY_PARAMS
from imbalance_torch.oversample._smote import SMOTE
from imbalance_torch.undersample import Cleaner

__all__ = ["SMOTENC"]


class SMOTENC(SMOTE):
    """SMOTE for data with categorical columns (given as integer codes in X), as
    imbalanced-learn's ``SMOTENC``: ``SMOTE(categorical_features=...)`` with the columns
    required.

    Distances within class c are Euclidean on the continuous columns plus ``med_c**2`` for each
    categorical column that differs, where ``med_c`` is the median over continuous columns of
    the class's population standard deviation (``median_std_``; continuous columns are not
    standardised). Continuous columns of a synthetic row are SMOTE's interpolation; each
    categorical column takes the most frequent code among the base row's ``k_neighbors``
    neighbours (the base row excluded), ties broken uniformly at random
    (NOTE [categorical columns]).

    Args:
        categorical_features: column indices, or a boolean mask of length ``n_features``.
        k_neighbors: same-class neighbours per row.
        neighbors: the neighbour search: ``None`` (the exact search), a
            :class:`~imbalance_torch.neighbors.NeighborSearch` (``ExactNeighbors``,
            ``FaissNeighbors``...) or an object with scikit-learn's ``NearestNeighbors``
            interface. Backends other than the exact one search categorical columns one-hot
            encoded (the same distances; NOTE [neighbour search contract]).
        safe: keep only synthetic rows whose ``safe_k`` nearest real rows are not mostly
            (more than half) of another class; a rejected row is redrawn from its own slot's
            stream (NOTE [per-epoch filtering]). Default ``False``.
        safe_k: the real rows ``safe=True`` looks at (the comparison report's ``crossing``
            rule uses 5).
        filter: ``TomekLinks()`` or ``EditedNearestNeighbours()``: the rule each epoch's
            synthetic rows must pass against the real rows (SMOTE-Tomek / SMOTE-ENN per
            epoch; clean the real rows with ``BalancedSampler(cleaning=...)``), or ``None``.
        filter_search: ``"candidates"`` (bounded cost: the base's and neighbour's nearest
            real rows, precomputed) or ``"exact"`` (every real row).

    References:
        Chawla, Bowyer, Hall, Kegelmeyer. SMOTE: Synthetic Minority Over-sampling Technique.
        JAIR 16, 2002 (section 6.1, SMOTE-NC).
    """

    _params = ("categorical_features", "k_neighbors", *FAMILY_PARAMS)

    def out_of_core_neighbors(self) -> int | None:
        """Within-class searches only, like SMOTE."""
        return 0
    _categorical_required = True

    def __init__(
        self,
        *,
        categorical_features: Sequence[int] | Sequence[bool],
        k_neighbors: int = 5,
        neighbors: NeighborSearch | SklearnLikeNeighbors | None = None,
        safe: bool = False,
        safe_k: int = 5,
        filter: Cleaner | None = None,
        filter_search: str = "candidates",
    ) -> None:
        super().__init__(
            k_neighbors=k_neighbors,
            categorical_features=categorical_features,
            neighbors=neighbors,
            safe=safe,
            safe_k=safe_k,
            filter=filter,
            filter_search=filter_search,
        )
