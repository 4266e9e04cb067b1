"""SMOTE-N (Chawla et al. 2002, section 6.2): SMOTE for data whose every column is categorical.

Neighbours are found with the value difference metric (Stanfill & Waltz 1986) and a synthetic
row takes, per column, the code most frequent among its base row and the base row's
``k_neighbors`` nearest rows of its class (imbalanced-learn's rule: the smallest code wins a
tie). Nothing is interpolated, so a synthetic row is a function of its base row alone: the
per-row modes are computed once at fit and each epoch draws base rows.
"""

from __future__ import annotations

from typing import Any

import torch

from imbalance_torch._validation import check_int
from imbalance_torch.neighbors._distributed import check_same_data, check_same_index
from imbalance_torch.oversample._base import ClassPool, Oversampler, SyntheticDraw
from imbalance_torch.oversample._family import check_class_size, class_rows

__all__ = ["SMOTEN", "ValueDifference", "neighbor_modes", "smallest_columns"]

#: Categories per column up to which the metric keeps a (categories x categories) table.
_TABLE_CATEGORIES = 2048
#: Elements of one distance tile (queries x class rows).
_TILE = 2**22


class ValueDifference:
    """The value difference metric between rows of integer category codes.

    For column ``f`` and codes ``a``, ``b``: ``delta_f(a, b) = sum_c |P(c | a) - P(c | b)|``,
    with ``P(c | a)`` the share of class ``c`` among the training rows whose column ``f`` holds
    ``a`` (0 for a code absent from the column). The distance of two rows is
    ``sum_f delta_f(a_f, b_f) ** 2``, imbalanced-learn's ``ValueDifferenceMetric(k=1, r=2)``.

    Args:
        codes: ``(n, d)`` int64 codes (>= 0) of the training rows.
        y: ``(n,)`` labels of those rows.

    Attributes:
        probabilities: per column, a ``(categories, classes)`` float64 tensor of ``P(c | a)``.
    """

    def __init__(self, codes: torch.Tensor, y: torch.Tensor) -> None:
        classes, class_index = torch.unique(y, return_inverse=True)
        self.probabilities: list[torch.Tensor] = []
        self._tables: list[torch.Tensor | None] = []
        for column in codes.unbind(1):
            categories = int(column.max()) + 1 if len(column) else 1
            joint = torch.zeros(categories * len(classes), dtype=torch.float64, device=codes.device)
            joint.index_add_(
                0,
                column * len(classes) + class_index,
                torch.ones(len(column), dtype=torch.float64, device=codes.device),
            )
            joint = joint.view(categories, len(classes))
            totals = joint.sum(1, keepdim=True)
            probability = torch.where(totals > 0, joint / totals.clamp(min=1), 0.0)
            self.probabilities.append(probability)
            self._tables.append(
                _square_table(probability) if categories <= _TABLE_CATEGORIES else None
            )

    def pairwise(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        """``(len(a), len(b))`` float64 distances between code rows ``a`` and ``b``."""
        distance = torch.zeros(len(a), len(b), dtype=torch.float64, device=a.device)
        for f, (probability, table) in enumerate(zip(self.probabilities, self._tables)):
            if table is not None:
                distance += table[a[:, f]][:, b[:, f]]
            else:
                delta = (
                    (probability[a[:, f]].unsqueeze(1) - probability[b[:, f]].unsqueeze(0))
                    .abs()
                    .sum(2)
                )
                distance += delta * delta
        return distance

    def neighbors(self, codes: torch.Tensor, k: int) -> torch.Tensor:
        """``(m, k)``: each row's ``k`` nearest rows of ``codes`` by this metric, itself
        excluded; equal distances go to the smaller row position. Tiled, so memory is bounded
        by one ``(chunk, m)`` tile."""
        m = len(codes)
        out = torch.empty(m, k, dtype=torch.int64, device=codes.device)
        chunk = max(1, _TILE // max(m, 1))
        for start in range(0, m, chunk):
            stop = min(start + chunk, m)
            distance = self.pairwise(codes[start:stop], codes)
            own = torch.arange(start, stop, device=codes.device)
            distance[own - start, own] = float("inf")
            out[start:stop] = smallest_columns(distance, k)
        return out


def smallest_columns(distance: torch.Tensor, k: int) -> torch.Tensor:
    """``(m, k)``: the columns of each row's ``k`` smallest entries, by increasing value and,
    among equal values, increasing column (categorical distances tie often). Linear in the
    row length: a ``kthvalue``, then the ties at the k-th value taken from the left."""
    kth = distance.kthvalue(k, dim=1, keepdim=True).values
    take = distance < kth
    tied = distance == kth
    room = k - take.sum(1, keepdim=True)
    take |= tied & (tied.cumsum(1) <= room)
    columns = take.nonzero()[:, 1].view(len(distance), k)  # row-major: ascending per row
    order = distance.gather(1, columns).sort(dim=1, stable=True).indices
    return columns.gather(1, order)


def _square_table(probability: torch.Tensor) -> torch.Tensor:
    delta = (probability.unsqueeze(1) - probability.unsqueeze(0)).abs().sum(2)
    return delta * delta


def neighbor_modes(
    codes: torch.Tensor, base: torch.Tensor, neighbors: torch.Tensor
) -> torch.Tensor:
    """``(p, d)``: per column, the most frequent code among row ``base[i]`` and the rows
    ``neighbors[i]`` (the smallest code among equally frequent ones, as ``scipy.stats.mode``).

    Args:
        codes: ``(n, d)`` int64 codes.
        base: ``(p,)`` row indices.
        neighbors: ``(p, k)`` row indices.
    """
    group = torch.cat([base.unsqueeze(1), neighbors], 1)
    size, d = group.shape[1], codes.shape[1]
    out = torch.empty(len(base), d, dtype=torch.int64, device=codes.device)
    chunk = max(1, _TILE // (size * size * max(d, 1)))
    for start in range(0, len(base), chunk):
        values = codes[group[start : start + chunk]]  # (c, size, d)
        frequency = (values.unsqueeze(2) == values.unsqueeze(1)).sum(2)  # (c, size, d)
        top = frequency.amax(1, keepdim=True)
        out[start : start + chunk] = values.masked_fill(
            frequency < top, torch.iinfo(torch.int64).max
        ).amin(1)
    return out


class SMOTEN(Oversampler):
    """SMOTE-N: over-sampling of all-categorical data, generated on the fly.

    Every column of ``X`` holds integer category codes (>= 0). Row distances are the value
    difference metric (:class:`ValueDifference`), fitted on all training rows and classes. A
    synthetic row of class c draws a base row ``b`` uniformly with replacement among the class's
    rows; each of its columns is the code most frequent among ``b`` and ``b``'s
    ``k_neighbors`` nearest class-c rows, the smallest code on a tie (imbalanced-learn's rule).

    Args:
        k_neighbors: same-class neighbours per row (imbalanced-learn's default 5).

    References:
        Chawla, Bowyer, Hall, Kegelmeyer. SMOTE: Synthetic Minority Over-sampling Technique.
        JAIR 16, 2002 (section 6.2, SMOTE-N).
        Stanfill, Waltz. Toward Memory-Based Reasoning. Communications of the ACM 29(12), 1986
        (the value difference metric).

    Example:
        >>> import torch
        >>> X = torch.randint(0, 3, (60, 4)); y = torch.tensor([0] * 45 + [1] * 15)
        >>> sm = SMOTEN(k_neighbors=3).fit(X, y, {1: 30})
        >>> rows = sm.generate(torch.ones(5, dtype=torch.long), torch.arange(5), seed=0, epoch=0)
        >>> rows.shape, rows.dtype
        (torch.Size([5, 4]), torch.int64)
    """

    _params = ("k_neighbors",)
    index_pool = "all"

    def __init__(self, *, k_neighbors: int = 5) -> None:
        self.k_neighbors = k_neighbors

    def _check_params(self, X: torch.Tensor) -> None:
        check_int("k_neighbors", self.k_neighbors, minimum=1)
        self._codes(X)

    @staticmethod
    def _codes(X: torch.Tensor) -> torch.Tensor:
        """X as int64 codes; refuses anything else with the first bad value."""
        if X.is_floating_point():
            bad = (X != X.round()) | (X < 0)
        else:
            bad = X < 0
        if bool(bad.any()):
            row, column = bad.nonzero()[0].tolist()
            raise ValueError(
                f"SMOTEN needs every column to hold a category code (an integer >= 0); column "
                f"{column} holds {X[row, column].item()!r} in row {row}. Encode categories as codes "
                f"(e.g. sklearn's OrdinalEncoder or pandas .cat.codes); for continuous columns use "
                f"SMOTE(categorical_features=...)."
            )
        return X.to(torch.int64)

    def _check_class(self, X: torch.Tensor, y: torch.Tensor, label: int, count: int) -> None:
        check_class_size("k_neighbors", self.k_neighbors, label, count, "SMOTEN")

    def fit(self, X: torch.Tensor, y: torch.Tensor, target_counts: Any) -> SMOTEN:
        super().fit(X, y, target_counts)
        del self._fit_codes
        check_same_index(self._state_arrays())
        self._fit_modes()
        return self

    def _prepare(self, X: torch.Tensor, y: torch.Tensor, target_counts: Any) -> None:
        check_same_data(X, y)  # NOTE [distributed fit]: every rank fits the same index
        self._fit_codes = self._codes(X)
        self.metric_ = ValueDifference(self._fit_codes, y)

    def _fit_class(self, X: torch.Tensor, y: torch.Tensor, label: int) -> ClassPool:
        rows = class_rows(y, label)
        local = self.metric_.neighbors(self._fit_codes.index_select(0, rows), self.k_neighbors)
        return ClassPool(rows, rows[local])

    def _load_arrays(self, arrays: dict[str, torch.Tensor]) -> None:
        self.metric_ = ValueDifference(self._codes(self.X_), self.y_)
        self._fit_modes()

    def _fit_modes(self) -> None:
        """``modes_``: the synthetic row of each pool entry, in X's dtype."""
        codes = self._codes(self.X_)
        if self.neighbors_ is None:
            self.modes_ = self.X_.new_empty(0, self.X_.shape[1])
            return
        self.modes_ = neighbor_modes(codes, self.base_rows_, self.neighbors_).to(self.X_.dtype)

    def unfiltered_draw_at(
        self, positions: torch.Tensor, slots: torch.Tensor, table: torch.Tensor
    ) -> SyntheticDraw:
        draw = super().unfiltered_draw_at(positions, slots, table)
        # The row depends on the base row only: no neighbour, no gap.
        draw.neighbor = torch.full_like(draw.base, -1)
        draw.gap = torch.zeros_like(draw.gap)
        return draw

    def rows(self, draw: SyntheticDraw, out: torch.Tensor | None = None) -> torch.Tensor:
        if out is not None:
            return torch.index_select(self.modes_, 0, draw.pool, out=out)
        return self.modes_.index_select(0, draw.pool)
