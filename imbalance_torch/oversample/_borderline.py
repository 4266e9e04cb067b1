"""Borderline-SMOTE (Han et al. 2005): interpolate from the class's rows "in danger" only."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import torch

from imbalance_torch._validation import check_int, describe
from imbalance_torch.neighbors._backends import NeighborSearch, SklearnLikeNeighbors
from imbalance_torch.oversample._base import ClassPool
from imbalance_torch.oversample._family import (
    FAMILY_ARGS_DOC,
    FAMILY_PARAMS,
    SMOTEFamily,
    any_class_neighbors,
    check_class_size,
    in_danger,
    other_class_neighbor_counts,
    substitute,
    within_class_neighbors,
)
from imbalance_torch.undersample import Cleaner

__all__ = ["BorderlineSMOTE"]

_KINDS = ("borderline-1", "borderline-2")


@substitute(family_args=FAMILY_ARGS_DOC)
class BorderlineSMOTE(SMOTEFamily):
    """Borderline-SMOTE 1 and 2.

    A row of class c is *in danger* when ``m/2 <= m' < m`` of its ``m_neighbors`` nearest rows
    (all classes) are of another class (``m' = m``: noise; ``m' < m/2``: safe). Only danger
    rows are base rows. ``borderline-1`` interpolates toward one of the base's ``k_neighbors``
    nearest class-c rows with a gap in [0, 1). ``borderline-2`` picks among the base's
    ``k_neighbors`` nearest rows of *any* class; toward a row of another class the gap is in
    [0, 0.5), as in Han et al. 2005, so the synthetic row stays on the minority side
    (imbalanced-learn multiplies two uniforms instead).

    With ``categorical_features``, every search (the danger set's ``m_neighbors`` among all
    rows, the ``k_neighbors`` to interpolate toward) adds ``median_std_[c] ** 2`` per
    categorical column that differs, and each categorical column of a synthetic row takes the
    code most frequent among the base row's ``k_neighbors`` neighbours, as SMOTE-NC does (NOTE
    [categorical columns]). For ``borderline-2``, whose neighbours may be of another class,
    only the neighbours of class c vote, and a base row with none keeps its own codes, so a
    synthetic row of class c only carries codes that rows of class c hold (NOTE [vote within
    the class]; imbalanced-learn's SMOTENC, fixed for its issue #662, makes the same promise;
    it has no Borderline-SMOTE with categorical columns).

    A class with no danger rows raises a ``ValueError`` (imbalanced-learn silently adds no
    rows, leaving the counts short of the request).

    Args:
        kind: ``"borderline-1"`` or ``"borderline-2"``.
        k_neighbors: neighbours to interpolate toward.
        m_neighbors: neighbours that decide the danger set.
        categorical_features: ``None``, column indices, or a boolean mask of length
            ``n_features``, naming columns that hold integer category codes.
        {family_args}

    References:
        Han, Wang, Mao. Borderline-SMOTE: A New Over-Sampling Method in Imbalanced Data Sets
        Learning. ICIC 2005.
    """

    _params = ("kind", "k_neighbors", "m_neighbors", "categorical_features", *FAMILY_PARAMS)
    index_pool = "subset"

    def out_of_core_neighbors(self) -> int | None:
        """The danger set's ``m_neighbors`` (and ``k_neighbors`` for Borderline-2, whose
        neighbours may be of any class)."""
        k = self.m_neighbors
        return max(k, self.k_neighbors) if self.kind == "borderline-2" else k

    def index_same_class_neighbors(self) -> bool:
        """Borderline-2 also steps toward neighbours of other classes."""
        return self.kind != "borderline-2"

    #: The values ``kind`` takes.
    KINDS: ClassVar[tuple[str, ...]] = _KINDS

    def __init__(
        self,
        *,
        kind: str = "borderline-1",
        k_neighbors: int = 5,
        m_neighbors: int = 10,
        categorical_features: Sequence[int] | Sequence[bool] | None = None,
        neighbors: NeighborSearch | SklearnLikeNeighbors | None = None,
        safe: bool = False,
        safe_k: int = 5,
        filter: Cleaner | None = None,
        filter_search: str = "candidates",
    ) -> None:
        self.kind = kind
        self.k_neighbors = k_neighbors
        self.m_neighbors = m_neighbors
        super().__init__(
            categorical_features=categorical_features,
            neighbors=neighbors,
            safe=safe,
            safe_k=safe_k,
            filter=filter,
            filter_search=filter_search,
        )

    def _check_params(self, X: torch.Tensor) -> None:
        if self.kind not in _KINDS:
            raise ValueError(f"kind={describe(self.kind)} is not known; use one of {list(_KINDS)}.")
        check_int("k_neighbors", self.k_neighbors, minimum=1)
        check_int("m_neighbors", self.m_neighbors, minimum=1)
        n = X.shape[0]
        for name in ("m_neighbors",) + (("k_neighbors",) if self.kind == "borderline-2" else ()):
            value = getattr(self, name)
            if value > n - 1:
                raise ValueError(f"{name}={value} needs at least {value + 1} training rows; there are {n}. Lower {name} to {n - 1}.")
        super()._check_params(X)

    def _check_class(self, X: torch.Tensor, y: torch.Tensor, label: int, count: int) -> None:
        if self.kind == "borderline-1":
            check_class_size("k_neighbors", self.k_neighbors, label, count, "BorderlineSMOTE")

    def danger_rows(self, X: torch.Tensor, y: torch.Tensor, label: int) -> torch.Tensor:
        """Rows of class ``label`` in danger (``m/2 <= m' < m``), ascending."""
        search = self.search()
        try:
            rows, others = other_class_neighbor_counts(
                X, y, label, self.m_neighbors, self.penalty(X, y, label), search
            )
        finally:
            search.release()
        return rows[in_danger(others, self.m_neighbors)]

    def _fit_class(self, X: torch.Tensor, y: torch.Tensor, label: int) -> ClassPool:
        penalty, search = self.penalty(X, y, label), self.search()
        rows, others = other_class_neighbor_counts(X, y, label, self.m_neighbors, penalty, search)
        danger = rows[in_danger(others, self.m_neighbors)]
        if len(danger) == 0:
            raise ValueError(
                f"BorderlineSMOTE found no rows of class {label} in danger (rows with at least "
                f"half but not all of their m_neighbors={self.m_neighbors} nearest rows of "
                f"another class), so it would add none of the rows asked for. The classes look "
                f"well separated here: use SMOTE, or try a larger m_neighbors."
            )
        if self.kind == "borderline-1":
            _, neighbors = within_class_neighbors(
                X, y, label, self.k_neighbors, queries=danger, penalty=penalty, search=search
            )
        else:
            neighbors = any_class_neighbors(X, danger, self.k_neighbors, penalty, search)
        return ClassPool(danger, neighbors)

    def _scale_gap(self, labels: torch.Tensor, neighbor: torch.Tensor, gap: torch.Tensor) -> torch.Tensor:
        if self.kind == "borderline-1":
            return gap
        other = self.y_[neighbor] != labels
        return torch.where(other, gap * 0.5, gap)
