"""Borderline-SMOTE (Han et al. 2005): interpolate from the class's rows "in danger" only."""

from __future__ import annotations

import torch

from imbalance_torch._validation import check_positive_int, describe
from imbalance_torch.neighbors import kneighbors
from imbalance_torch.oversample._base import ClassPool, Oversampler
from imbalance_torch.oversample._smote import check_class_size, class_rows, within_class_neighbors

__all__ = ["BorderlineSMOTE", "other_class_neighbor_counts"]

_KINDS = ("borderline-1", "borderline-2")


def other_class_neighbor_counts(X: torch.Tensor, y: torch.Tensor, label: int, m: int) -> tuple[torch.Tensor, torch.Tensor]:
    """For each row of class ``label``: how many of its ``m`` nearest rows (all classes,
    itself excluded) are of another class. Returns ``(rows, counts)``."""
    rows = class_rows(y, label)
    _, neighbors = kneighbors(X[rows], X, m, query_indices=rows)
    return rows, (y[neighbors] != label).sum(1)


class BorderlineSMOTE(Oversampler):
    """Borderline-SMOTE 1 and 2.

    A row of class c is *in danger* when ``m/2 <= m' < m`` of its ``m_neighbors`` nearest rows
    (all classes) are of another class (``m' = m``: noise; ``m' < m/2``: safe). Only danger
    rows are base rows. ``borderline-1`` interpolates toward one of the base's ``k_neighbors``
    nearest class-c rows with a gap in [0, 1). ``borderline-2`` picks among the base's
    ``k_neighbors`` nearest rows of *any* class; toward a row of another class the gap is in
    [0, 0.5), as in Han et al. 2005, so the synthetic row stays on the minority side
    (imbalanced-learn multiplies two uniforms instead).

    A class with no danger rows raises a ``ValueError`` (imbalanced-learn silently adds no
    rows, leaving the counts short of the request).

    Args:
        kind: ``"borderline-1"`` or ``"borderline-2"``.
        k_neighbors: neighbours to interpolate toward.
        m_neighbors: neighbours that decide the danger set.

    References:
        Han, Wang, Mao. Borderline-SMOTE: A New Over-Sampling Method in Imbalanced Data Sets
        Learning. ICIC 2005.
    """

    _params = ("kind", "k_neighbors", "m_neighbors")

    def __init__(self, *, kind: str = "borderline-1", k_neighbors: int = 5, m_neighbors: int = 10) -> None:
        self.kind = kind
        self.k_neighbors = k_neighbors
        self.m_neighbors = m_neighbors

    def _check_params(self, X: torch.Tensor) -> None:
        if self.kind not in _KINDS:
            raise ValueError(f"kind={describe(self.kind)} is not known; use one of {list(_KINDS)}.")
        check_positive_int(self.k_neighbors, "k_neighbors")
        check_positive_int(self.m_neighbors, "m_neighbors")
        n = X.shape[0]
        for name in ("m_neighbors",) + (("k_neighbors",) if self.kind == "borderline-2" else ()):
            value = getattr(self, name)
            if value > n - 1:
                raise ValueError(f"{name}={value} needs at least {value + 1} training rows; there are {n}. Lower {name} to {n - 1}.")

    def _check_class(self, X: torch.Tensor, y: torch.Tensor, label: int, count: int) -> None:
        if self.kind == "borderline-1":
            check_class_size("k_neighbors", self.k_neighbors, label, count, "BorderlineSMOTE")

    def danger_rows(self, X: torch.Tensor, y: torch.Tensor, label: int) -> torch.Tensor:
        """Rows of class ``label`` in danger (``m/2 <= m' < m``), ascending."""
        rows, others = other_class_neighbor_counts(X, y, label, self.m_neighbors)
        m = self.m_neighbors
        danger = (others.to(torch.float64) >= m / 2) & (others < m)
        return rows[danger]

    def _fit_class(self, X: torch.Tensor, y: torch.Tensor, label: int) -> ClassPool:
        danger = self.danger_rows(X, y, label)
        if len(danger) == 0:
            raise ValueError(
                f"BorderlineSMOTE found no rows of class {label} in danger (rows with at least "
                f"half but not all of their m_neighbors={self.m_neighbors} nearest rows of "
                f"another class), so it would add none of the rows asked for. The classes look "
                f"well separated here: use SMOTE, or try a larger m_neighbors."
            )
        if self.kind == "borderline-1":
            _, neighbors = within_class_neighbors(X, y, label, self.k_neighbors, queries=danger)
        else:
            _, neighbors = kneighbors(X[danger], X, self.k_neighbors, query_indices=danger)
        return ClassPool(danger, neighbors)

    def _scale_gap(self, labels: torch.Tensor, neighbor: torch.Tensor, gap: torch.Tensor) -> torch.Tensor:
        if self.kind == "borderline-1":
            return gap
        other = self.y_[neighbor] != labels
        return torch.where(other, gap * 0.5, gap)
