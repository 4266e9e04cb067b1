"""SMOTE (Chawla et al. 2002) with imbalanced-learn's draw: a base row uniformly with
replacement among the class's rows, one of its k nearest same-class neighbours uniformly, and a
gap uniform in [0, 1)."""

from __future__ import annotations

import torch

from imbalance_torch._validation import check_positive_int
from imbalance_torch.neighbors import kneighbors
from imbalance_torch.oversample._base import ClassPool, Oversampler

__all__ = ["SMOTE", "check_class_size", "class_rows", "within_class_neighbors"]


def class_rows(y: torch.Tensor, label: int) -> torch.Tensor:
    """Row indices of class ``label``, ascending."""
    return (y == label).nonzero().flatten()


def check_class_size(name: str, k: int, label: int, count: int, method: str) -> None:
    """``k`` same-class neighbours need ``k + 1`` rows of the class."""
    if count > k:
        return
    if count <= 1:
        raise ValueError(
            f"{method} cannot over-sample class {label}: it has {count} row(s) and "
            f"interpolation needs at least 2. Leave class {label} out of sampling_strategy or "
            f"use RandomOverSampler for it."
        )
    raise ValueError(
        f"{name}={k} needs at least {k + 1} rows of class {label}, which has {count}; lower "
        f"{name} to {count - 1} or leave class {label} out of sampling_strategy."
    )


def within_class_neighbors(
    X: torch.Tensor, y: torch.Tensor, label: int, k: int, queries: torch.Tensor | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Each query row's ``k`` nearest rows of its own class (itself excluded).

    Returns ``(query_rows, neighbor_rows)``: global row indices ``(m,)`` and ``(m, k)``.
    """
    rows = class_rows(y, label)
    members = X[rows]
    if queries is None:
        _, local = kneighbors(members, members, k, query_indices=torch.arange(len(rows), device=X.device))
        return rows, rows[local]
    position = torch.searchsorted(rows, queries)
    _, local = kneighbors(X[queries], members, k, query_indices=position)
    return queries, rows[local]


class SMOTE(Oversampler):
    """Synthetic Minority Over-sampling TEchnique, generated on the fly.

    Each synthetic row of class c is ``x_b + gap * (x_n - x_b)``: ``b`` a row of class c drawn
    uniformly with replacement, ``n`` one of ``b``'s ``k_neighbors`` nearest class-c rows
    (``b`` itself excluded), ``gap`` uniform in [0, 1).

    Args:
        k_neighbors: same-class neighbours per row (imbalanced-learn's default 5).

    References:
        Chawla, Bowyer, Hall, Kegelmeyer. SMOTE: Synthetic Minority Over-sampling Technique.
        JAIR 16, 2002.

    Example:
        >>> import torch
        >>> X = torch.randn(40, 3); y = torch.tensor([0] * 30 + [1] * 10)
        >>> sm = SMOTE(k_neighbors=3).fit(X, y, {1: 20})
        >>> sm.generate(torch.ones(4, dtype=torch.long), torch.arange(4), seed=0, epoch=0).shape
        torch.Size([4, 3])
    """

    _params = ("k_neighbors",)

    def __init__(self, *, k_neighbors: int = 5) -> None:
        self.k_neighbors = k_neighbors

    def _check_params(self, X: torch.Tensor) -> None:
        check_positive_int(self.k_neighbors, "k_neighbors")

    def _check_class(self, X: torch.Tensor, y: torch.Tensor, label: int, count: int) -> None:
        check_class_size("k_neighbors", self.k_neighbors, label, count, "SMOTE")

    def _fit_class(self, X: torch.Tensor, y: torch.Tensor, label: int) -> ClassPool:
        rows, neighbors = within_class_neighbors(X, y, label, self.k_neighbors)
        return ClassPool(rows, neighbors)
