"""Pools whose entries carry real-valued weights, shared by KMeans-SMOTE (a cluster's share of
the class's rows) and SVM-SMOTE (half of the rows from danger support vectors, half from safe
ones), with a per-entry step sign for SVM-SMOTE's extrapolation.

NOTE [weighted pools]: ``ClassPool`` draws a base row uniformly from its entries, so integer
weights can be written as repeated entries (ADASYN). Real weights cannot, so a weighted
oversampler keeps ``pool_weight_`` (one float64 per entry, summing to 1 per class) and its
cumulative sums shifted by the class's position: class ``p``'s entries cover ``(p, p + 1]``.
A draw looks its position plus one uniform float (stream ``STREAM_WEIGHTED_BASE``) up in that
one sorted array, for any mix of classes in a batch: one ``searchsorted``, no Python loop.
The neighbour slot and the gap come from the same words as for every other oversampler.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import torch

from imbalance_torch._random import (
    STREAM_BASE,
    STREAM_GAP,
    STREAM_WEIGHTED_BASE,
    uniform_float,
    uniform_int,
    words,
)
from imbalance_torch.neighbors._distributed import check_same_data, check_same_index
from imbalance_torch.oversample._base import ClassPool, Oversampler, SyntheticDraw, compute_dtype

__all__ = ["WeightedClassPool", "WeightedPoolOversampler"]


def numpy_features(X: torch.Tensor) -> np.ndarray:
    """``X`` as a float32/float64 NumPy array for a scikit-learn estimator (SVC, KMeans)."""
    work = X if X.dtype in (torch.float32, torch.float64) else X.to(torch.float64)
    return work.detach().cpu().numpy()


@dataclass
class WeightedClassPool(ClassPool):
    """A :class:`ClassPool` whose entries are drawn with probability ``weights``.

    Attributes:
        weights: ``(p,)`` float64, positive, summing to 1.
        extrapolate: ``(p,)`` bool, ``True`` where the synthetic row steps away from the
            neighbour (SVM-SMOTE's safe support vectors), or ``None`` (never).
    """

    weights: torch.Tensor | None = None
    extrapolate: torch.Tensor | None = None


class WeightedPoolOversampler(Oversampler):
    """Base class of the oversamplers with weighted pools (NOTE [weighted pools]).

    Subclasses implement :meth:`_fit_weighted` and may set ``_step_away`` (the gap scale of
    entries marked ``extrapolate``, a negative number)."""

    index_pool = "distinct"
    index_extrapolates = True

    def _fit_weighted(self, X: torch.Tensor, y: torch.Tensor, label: int) -> WeightedClassPool:
        raise NotImplementedError  # pragma: no cover - every subclass implements it

    def _step_away(self) -> float:
        """The gap scale of entries marked ``extrapolate``."""
        return 1.0

    def _fit_class(self, X: torch.Tensor, y: torch.Tensor, label: int) -> ClassPool:
        pool = self._fit_weighted(X, y, label)
        self._entry_parts.append(pool)
        return pool

    def fit(
        self, X: torch.Tensor, y: torch.Tensor, target_counts: Mapping[int, int]
    ) -> WeightedPoolOversampler:
        check_same_data(X, y)  # NOTE [distributed fit]: a collective fit under a process group
        self._entry_parts: list[WeightedClassPool] = []
        super().fit(X, y, target_counts)
        device = X.device
        parts = self._entry_parts
        del self._entry_parts
        weights = [p.weights.to(device, torch.float64) for p in parts if p.weights is not None]
        flags = [
            torch.zeros(len(p.base_rows), dtype=torch.bool, device=device)
            if p.extrapolate is None
            else p.extrapolate.to(device, torch.bool)
            for p in parts
        ]
        self._set_entries(
            torch.cat(weights) if weights else torch.empty(0, dtype=torch.float64, device=device),
            torch.cat(flags) if flags else torch.empty(0, dtype=torch.bool, device=device),
        )
        # The SVM and the clustering run on every rank: the ranks must agree on their result.
        check_same_index(self._state_arrays())
        return self

    def _set_entries(self, weights: torch.Tensor, extrapolate: torch.Tensor) -> None:
        """Store the per-entry weights and flags and the shifted cumulative weights."""
        self.pool_weight_ = weights
        self.extrapolate_ = extrapolate
        counts = self.pool_count_
        position = torch.arange(len(counts), device=weights.device).repeat_interleave(counts)
        cdf = torch.zeros_like(weights)
        for start, count in zip(self.pool_start_.tolist(), counts.tolist()):  # one per class
            cdf[start : start + count] = torch.cumsum(weights[start : start + count], 0)
            cdf[start + count - 1] = 1.0  # the last entry closes the class's interval exactly
        self.pool_cdf_ = cdf + position.to(torch.float64)
        self.pool_last_ = self.pool_start_ + counts - 1

    def _state_arrays(self) -> dict[str, torch.Tensor]:
        arrays = super()._state_arrays()
        arrays["pool_weight"] = self.pool_weight_
        arrays["extrapolate"] = self.extrapolate_.to(torch.int64)
        return arrays

    def _load_arrays(self, arrays: dict[str, torch.Tensor]) -> None:
        self._set_entries(
            arrays["pool_weight"].to(torch.float64), arrays["extrapolate"].to(torch.bool)
        )

    def unfiltered_draw_at(
        self, positions: torch.Tensor, slots: torch.Tensor, table: torch.Tensor
    ) -> SyntheticDraw:
        if len(table) == 1:  # one class: broadcast scalars instead of gathering per row
            keys, last = table[0], self.pool_last_[0]
            labels = self.classes_[0].expand(len(slots)).contiguous()
            shift = torch.zeros((), dtype=torch.float64, device=slots.device)
        else:
            keys, last = table[positions], self.pool_last_[positions]
            labels = self.classes_[positions]
            shift = positions.to(torch.float64)
        u = uniform_float(words(keys, slots, STREAM_WEIGHTED_BASE), torch.float64) + shift
        pool_index = torch.minimum(torch.searchsorted(self.pool_cdf_, u, right=True), last)
        base = self.base_rows_.index_select(0, pool_index)
        k = self.neighbors_.shape[1]
        choice = uniform_int(words(keys, slots, STREAM_BASE), k, low_half=True)
        neighbor = self.neighbors_.view(-1).index_select(0, pool_index * k + choice)
        gap = uniform_float(words(keys, slots, STREAM_GAP), compute_dtype(self.X_.dtype))
        away = self.extrapolate_.index_select(0, pool_index)
        gap = torch.where(away, gap * self._step_away(), gap)
        return SyntheticDraw(labels, base, neighbor, gap, pool_index, keys, slots)
