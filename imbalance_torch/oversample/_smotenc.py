"""SMOTE-NC under imbalanced-learn's name: :class:`SMOTE` with categorical columns required."""

from __future__ import annotations

from collections.abc import Sequence

from imbalance_torch.neighbors._backends import NeighborSearch, SklearnLikeNeighbors
from imbalance_torch.oversample._family import FAMILY_ARGS_DOC, FAMILY_PARAMS, substitute
from imbalance_torch.oversample._smote import SMOTE
from imbalance_torch.undersample import Cleaner

__all__ = ["SMOTENC"]


@substitute(family_args=FAMILY_ARGS_DOC)
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
        {family_args}

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
