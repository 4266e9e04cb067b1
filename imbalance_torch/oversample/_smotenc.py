"""SMOTE-NC (Chawla et al. 2002): SMOTE for mixed continuous and categorical columns.

Works on integer category codes held in the feature tensor; nothing is one-hot encoded, and no
``(rows x k x categories)`` array is ever built.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy as np
import torch

from imbalance_torch._random import words
from imbalance_torch._validation import check_positive_int, describe
from imbalance_torch.neighbors import kneighbors
from imbalance_torch.oversample._base import ClassPool, Oversampler, SyntheticDraw, interpolate
from imbalance_torch.oversample._smote import check_class_size, class_rows

__all__ = ["SMOTENC"]


class _CategoricalPenalty:
    """``penalty * (# categorical columns that differ)``: SMOTE-NC's squared-distance term."""

    def __init__(self, query_codes: torch.Tensor, data_codes: torch.Tensor, penalty: float) -> None:
        self.query_codes = query_codes
        self.data_codes = data_codes
        self.penalty = penalty

    def block(self, query_positions: torch.Tensor, data_start: int, data_stop: int) -> torch.Tensor:
        q = self.query_codes[query_positions]
        data = self.data_codes[data_start:data_stop]
        mismatches = torch.zeros(len(q), len(data), dtype=torch.float64, device=q.device)
        for column in range(q.shape[1]):  # a loop over columns, not rows
            mismatches += q[:, column, None] != data[None, :, column]
        return mismatches * self.penalty

    def pairs(self, query_positions: torch.Tensor, candidates: torch.Tensor) -> torch.Tensor:
        q = self.query_codes[query_positions].unsqueeze(1)
        return (q != self.data_codes[candidates]).sum(2).to(torch.float64) * self.penalty


class SMOTENC(Oversampler):
    """SMOTE for data with categorical columns (given as integer codes in X).

    Distances within class c are Euclidean on the continuous columns plus ``med_c**2`` for each
    categorical column that differs, where ``med_c`` is the median over continuous columns of
    the class's population standard deviation (imbalanced-learn's ``median_std_``; continuous
    columns are not standardised). Continuous columns of a synthetic row are SMOTE's
    interpolation; each categorical column takes the most frequent code among the base row's
    ``k_neighbors`` neighbours (the base row excluded), ties broken uniformly at random.

    Args:
        categorical_features: column indices, or a boolean mask of length ``n_features``.
        k_neighbors: same-class neighbours per row.

    References:
        Chawla, Bowyer, Hall, Kegelmeyer. SMOTE: Synthetic Minority Over-sampling Technique.
        JAIR 16, 2002 (section 6.1, SMOTE-NC).
    """

    _params = ("categorical_features", "k_neighbors")

    def __init__(self, *, categorical_features: Sequence[int] | Sequence[bool], k_neighbors: int = 5) -> None:
        self.categorical_features = categorical_features
        self.k_neighbors = k_neighbors

    def categorical_columns(self, n_features: int) -> list[int]:
        """The categorical column indices, checked against ``n_features``."""
        value = self.categorical_features
        if isinstance(value, torch.Tensor):
            value = value.tolist()
        elif isinstance(value, np.ndarray):
            value = value.tolist()
        if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
            raise TypeError(
                f"categorical_features must be a list of column indices or a boolean mask; got "
                f"{describe(self.categorical_features)}."
            )
        if len(value) == 0:
            raise ValueError("categorical_features is empty; with no categorical column use SMOTE instead of SMOTENC.")
        if all(isinstance(v, (bool, np.bool_)) for v in value):
            if len(value) != n_features:
                raise ValueError(
                    f"categorical_features is a boolean mask of length {len(value)} but X has "
                    f"{n_features} columns; give one flag per column."
                )
            columns = [i for i, flag in enumerate(value) if flag]
        else:
            for v in value:
                if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Integral):
                    raise TypeError(f"categorical_features holds {describe(v)}; expected int column indices.")
            columns = sorted({int(v) for v in value})
            bad = [c for c in columns if not 0 <= c < n_features]
            if bad:
                raise ValueError(
                    f"categorical_features {bad} are out of range for X with {n_features} "
                    f"columns; indices must be in [0, {n_features - 1}]."
                )
        if not columns:
            raise ValueError("categorical_features selects no column; with no categorical column use SMOTE.")
        if len(columns) == n_features:
            raise ValueError(
                f"categorical_features covers all {n_features} columns; SMOTE-NC needs at least "
                f"one continuous column. For all-categorical data use a categorical method "
                f"(e.g. RandomOverSampler)."
            )
        return columns

    def _check_params(self, X: torch.Tensor) -> None:
        check_positive_int(self.k_neighbors, "k_neighbors")
        columns = self.categorical_columns(X.shape[1])
        codes = X[:, columns]
        if codes.is_floating_point() and not bool((codes == codes.round()).all()):
            raise ValueError(
                f"categorical columns {columns} must hold integer category codes; some values are "
                f"not whole numbers. Encode categories as codes (e.g. pandas .cat.codes)."
            )
        self.categorical_ = torch.tensor(columns, dtype=torch.int64, device=X.device)
        mask = torch.ones(X.shape[1], dtype=torch.bool, device=X.device)
        mask[self.categorical_] = False
        self.continuous_ = mask.nonzero().flatten()

    def _check_class(self, X: torch.Tensor, y: torch.Tensor, label: int, count: int) -> None:
        check_class_size("k_neighbors", self.k_neighbors, label, count, "SMOTENC")

    def median_std(self, X: torch.Tensor, y: torch.Tensor, label: int) -> float:
        """Median over continuous columns of class ``label``'s population std (ddof=0)."""
        rows = X[class_rows(y, label)][:, self.continuous_].to(torch.float64)
        return float(np.median(rows.std(0, correction=0).cpu().numpy()))

    def _fit_class(self, X: torch.Tensor, y: torch.Tensor, label: int) -> ClassPool:
        rows = class_rows(y, label)
        members = X[rows]
        med = self.median_std(X, y, label)
        codes = members[:, self.categorical_].to(torch.int64)
        penalty = _CategoricalPenalty(codes, codes, med * med)
        _, local = kneighbors(
            members[:, self.continuous_],
            members[:, self.continuous_],
            self.k_neighbors,
            query_indices=torch.arange(len(rows), device=X.device),
            extra_distance=penalty,
        )
        self._median_std.append(med)
        return ClassPool(rows, rows[local])

    def fit(self, X, y, target_counts):  # type: ignore[override]
        self._median_std: list[float] = []
        super().fit(X, y, target_counts)
        self.median_std_ = dict(zip(self.classes_.tolist(), self._median_std))
        self._fit_votes()
        return self

    def _load_arrays(self, arrays):  # type: ignore[override]
        self.median_std_ = {label: self.median_std(self.X_, self.y_, label) for label in self.classes_.tolist()}
        self._fit_votes()

    def _fit_votes(self) -> None:
        """Precompute, per pool entry and categorical column, the distinct codes that win the
        neighbours' vote (one, or several on a tie), so that a synthetic row only picks one of
        them uniformly: O(columns) work per row. Codes are compared as integers (a (pool, k, k,
        columns) mask), never one-hot encoded."""
        if self.neighbors_ is None:  # no class to over-sample
            self.vote_count_ = torch.zeros(0, len(self.categorical_), dtype=torch.int64, device=self.X_.device)
            self.vote_codes_ = torch.zeros(0, dtype=torch.int64, device=self.X_.device)
            return
        pool, k = self.neighbors_.shape
        flat = self.neighbors_.reshape(-1)
        codes = self.X_.index_select(0, flat)[:, self.categorical_].to(torch.int64).view(pool, k, -1)
        same = codes.unsqueeze(2) == codes.unsqueeze(1)  # (pool, k, k, c): k x k ints per entry
        votes = same.sum(2)
        is_top = votes == votes.amax(1, keepdim=True)
        earlier = torch.ones(k, k, dtype=torch.bool, device=codes.device).tril(-1)  # j' < j
        repeated = (same & earlier[None, :, :, None] & is_top.unsqueeze(1)).any(2)
        first = is_top & ~repeated  # first position of each winning code
        order = torch.argsort((~first).to(torch.int8), dim=1, stable=True)
        self.vote_count_ = first.sum(1)  # (pool, c): how many codes tie for the top
        self.vote_codes_ = codes.gather(1, order).transpose(1, 2).contiguous().view(-1)  # (pool, c, k) flat

    def categorical_vote(self, draw: SyntheticDraw) -> torch.Tensor:
        """``(b, n_categorical)`` codes: the most frequent code among the base row's
        neighbours per categorical column, ties broken at random by the row's random words."""
        columns = len(self.categorical_)
        k = self.neighbors_.shape[1]
        count = self.vote_count_.index_select(0, draw.pool)  # (b, c)
        column = torch.arange(columns, device=draw.pool.device)
        # One random word serves five columns (12 bits each): the pick among m <= k tied codes
        # is (bits * m) >> 12, uniform to within m / 4096 (0.12% for k = 5).
        per_word = 5
        keys = draw.keys if draw.keys.dim() == 0 else draw.keys.unsqueeze(1)
        needed = -(-columns // per_word)
        random = words(keys, draw.slots.unsqueeze(1) * needed + torch.arange(needed, device=column.device), 5)
        fields = random.repeat_interleave(per_word, dim=1)[:, :columns]
        shifts = (column % per_word) * 12
        bits = (fields >> shifts) & 0xFFF
        choice = (bits * count) >> 12
        flat = (draw.pool.unsqueeze(1) * columns + column) * k + choice
        return self.vote_codes_.index_select(0, flat.view(-1)).view(-1, columns)

    def rows(self, draw: SyntheticDraw, out: torch.Tensor | None = None) -> torch.Tensor:
        out = interpolate(self.X_, draw.base, draw.neighbor, draw.gap, out=out, work=self.work_dtype_)
        out.index_copy_(1, self.categorical_, self.categorical_vote(draw).to(out.dtype))
        return out
