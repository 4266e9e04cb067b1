"""Categorical columns in the SMOTE family: SMOTE-NC's rules, shared by every member.

NOTE [categorical columns]: categorical columns hold integer category codes in the feature
tensor; nothing is one-hot encoded and no ``(rows x k x categories)`` array is ever built.
For an over-sampled class c, ``med_c`` is the median over continuous columns of the class's
population standard deviation (imbalanced-learn's ``median_std_``; continuous columns are not
standardised). Every neighbour search for class c (within the class, or among all rows for
Borderline-SMOTE's danger set, its ``borderline-2`` neighbours and ADASYN's difficulty) uses
the squared distance ``|x_cont - z_cont|^2 + med_c^2 * (# categorical columns that differ)``,
which is the squared Euclidean distance of imbalanced-learn's SMOTENC encoding (one-hot
entries set to ``med_c / sqrt(2)``, applied to the whole of X). A synthetic row interpolates
the continuous columns and takes, per categorical column, the code most frequent among the
base row's ``k`` neighbours (the base row excluded), ties broken uniformly by the row's own
random words (stream ``STREAM_VOTE``).

NOTE [vote within the class]: only neighbours of the base row's class vote, so every code of
a synthetic row of class c is a code that a real row of class c holds. Where all neighbours
are of class c (SMOTE, SMOTE-NC, Borderline-1, ADASYN) this is the plain vote above. Where
they may be of another class (``borderline-2`` interpolates toward the k nearest rows of any
class), the other-class neighbours are left out of the vote, and a base row none of whose
neighbours is of its class keeps its own codes. Voting over all neighbours gave, on one
Borderline-2 fit, 11 of 270 synthetic minority rows a code no minority row held.
imbalanced-learn's SMOTENC (the only member there with categorical columns) votes over the k
nearest rows of the class itself, and its fix of issue #662 (categories taken from another
class when ``median_std_`` is 0) made the same promise: a synthetic row's categories come from
the class being generated.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from imbalance_torch._random import STREAM_VOTE, words
from imbalance_torch._validation import describe

__all__ = [
    "CategoricalPenalty",
    "MAX_ONE_HOT_COLUMNS",
    "VoteTable",
    "categorical_columns",
    "categorical_vote",
    "check_codes",
    "check_one_hot_width",
    "fit_votes",
    "median_std",
]


def categorical_columns(
    value: Any, n_features: int, method: str, *, required: bool = False
) -> list[int]:
    """The categorical column indices ``value`` names, checked against ``n_features``.

    Args:
        value: ``None``, column indices, or a boolean mask with one flag per column (a list, a
            numpy array or a tensor).
        n_features: columns of X.
        method: the oversampler's name, for messages.
        required: whether at least one column must be named (``SMOTENC``).

    Returns:
        Sorted distinct column indices; empty when none is named and ``required`` is False.

    Raises:
        TypeError: ``value`` is not a sequence of ints or bools.
        ValueError: a mask of the wrong length, an index out of range, every column
            categorical, or (``required``) no column.
    """
    if value is None and not required:
        return []
    seen = value
    if isinstance(value, (torch.Tensor, np.ndarray)):
        value = value.tolist()
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise TypeError(
            f"categorical_features must be a list of column indices or a boolean mask; got "
            f"{describe(seen)}. Pass e.g. categorical_features=[3, 4]."
        )
    if len(value) == 0 and required:
        raise ValueError(
            f"categorical_features is empty; with no categorical column use SMOTE instead of {method}."
        )
    if len(value) and all(isinstance(v, (bool, np.bool_)) for v in value):
        if len(value) != n_features:
            raise ValueError(
                f"categorical_features is a boolean mask of length {len(value)} but X has "
                f"{n_features} columns; give one flag per column."
            )
        columns = [i for i, flag in enumerate(value) if flag]
    else:
        for v in value:
            if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Integral):
                raise TypeError(
                    f"categorical_features holds {describe(v)} of type {type(v).__name__}; expected int "
                    f"column indices (or one bool per column, not a mix)."
                )
        columns = sorted({int(v) for v in value})
        bad = [c for c in columns if not 0 <= c < n_features]
        if bad:
            raise ValueError(
                f"categorical_features {bad} are out of range for X with {n_features} "
                f"columns; indices must be in [0, {n_features - 1}]."
            )
    if not columns and required:
        raise ValueError(
            f"categorical_features selects no column; with no categorical column use SMOTE instead of {method}."
        )
    if columns and len(columns) == n_features:
        raise ValueError(
            f"categorical_features covers all {n_features} columns; {method} with categorical "
            f"columns (SMOTE-NC's rules) needs at least one continuous column to measure "
            f"distances. For all-categorical data use RandomOverSampler() (exact copies keep "
            f"the codes)."
        )
    return columns


def check_codes(X: torch.Tensor, columns: list[int]) -> None:
    """Categorical columns must hold whole numbers (integer category codes)."""
    if not columns or not X.is_floating_point():
        return
    codes = X[:, columns]
    whole = codes == codes.round()
    if not bool(whole.all()):
        row, position = (~whole).nonzero()[0].tolist()
        raise ValueError(
            f"categorical columns {columns} must hold integer category codes; column "
            f"{columns[position]} holds {float(codes[row, position])!r} in row {row}. Encode "
            f"categories as codes (e.g. pandas .cat.codes) or leave that column out of "
            f"categorical_features."
        )


#: Most one-hot columns the categorical columns may take for a search backend without a
#: distance term (:meth:`CategoricalPenalty.encoded`); beyond, the exact search is the way.
MAX_ONE_HOT_COLUMNS = 1024


def check_one_hot_width(X: torch.Tensor, columns: list[int], backend: str) -> None:
    """The categorical columns' distinct codes must fit in :data:`MAX_ONE_HOT_COLUMNS`."""
    if not columns:
        return
    width = sum(len(torch.unique(X[:, column])) for column in columns)
    if width > MAX_ONE_HOT_COLUMNS:
        raise ValueError(
            f"neighbors={backend} cannot take SMOTE-NC's categorical distance term, so the "
            f"categorical columns {columns} are one-hot encoded for it; they hold {width} "
            f"distinct codes in all, more than the {MAX_ONE_HOT_COLUMNS} one-hot columns "
            f"allowed. Use the exact search (neighbors=None), which compares the codes without "
            f"encoding them, or fewer categorical columns."
        )


def median_std(X: torch.Tensor, rows: torch.Tensor, continuous: torch.Tensor) -> float:
    """Median over the ``continuous`` columns of the population std (ddof=0) of ``rows``."""
    values = X.index_select(0, rows).index_select(1, continuous).to(torch.float64)
    return float(np.median(values.std(0, correction=0).cpu().numpy()))


class _PenaltyTiles:
    """The categorical term between fixed query rows and data rows, tile by tile: the
    :class:`~imbalance_torch.neighbors._knn.ExtraDistance` that ``kneighbors`` adds."""

    def __init__(self, query_codes: torch.Tensor, data_codes: torch.Tensor, weight: float) -> None:
        self.query_codes = query_codes
        self.data_codes = data_codes
        self.weight = weight

    def block(self, query_positions: torch.Tensor, data_start: int, data_stop: int) -> torch.Tensor:
        queries = self.query_codes.index_select(0, query_positions)
        data = self.data_codes[data_start:data_stop]
        mismatches = torch.zeros(
            len(queries), len(data), dtype=torch.float64, device=queries.device
        )
        for column in range(queries.shape[1]):  # a loop over columns, not rows
            mismatches += queries[:, column, None] != data[None, :, column]
        return mismatches * self.weight

    def pairs(self, query_positions: torch.Tensor, candidates: torch.Tensor) -> torch.Tensor:
        queries = self.query_codes.index_select(0, query_positions).unsqueeze(1)
        return (queries != self.data_codes[candidates]).sum(2).to(torch.float64) * self.weight


@dataclass(frozen=True)
class CategoricalPenalty:
    """SMOTE-NC's distance for one over-sampled class: squared Euclidean distance on the
    ``continuous`` columns plus ``weight`` (``med_c ** 2``) per categorical column that
    differs (NOTE [categorical columns]).

    Attributes:
        continuous: ``(d_cont,)`` continuous column indices.
        codes: ``(n, d_cat)`` int64 codes of every training row.
        weight: the squared-distance term per differing column.
    """

    continuous: torch.Tensor
    codes: torch.Tensor
    weight: float

    def features(self, X: torch.Tensor) -> torch.Tensor:
        """The columns the Euclidean part is measured on."""
        return X.index_select(1, self.continuous)

    def encoded(self, X: torch.Tensor, rows: torch.Tensor | None = None) -> torch.Tensor:
        """``(r, d_cont + categories)``: the continuous columns of ``rows`` (``None``: every
        row), then each categorical column one-hot encoded over the codes found in X, entries
        ``sqrt(weight / 2)``. Two rows that differ in one categorical column differ in two
        one-hot entries, so their squared Euclidean distance gains exactly ``weight``: this
        space holds the same distances as the penalty, for neighbour searches that take no
        extra term (imbalanced-learn's SMOTENC encoding; NOTE [neighbour search contract])."""
        continuous = X.index_select(1, self.continuous)
        codes = self.codes
        if rows is not None:
            continuous, codes = continuous.index_select(0, rows), codes.index_select(0, rows)
        dtype = torch.float64 if X.dtype == torch.float64 else torch.float32
        parts = [continuous.to(dtype)]
        value = (self.weight / 2) ** 0.5
        for column in range(self.codes.shape[1]):
            vocabulary = torch.unique(self.codes[:, column])
            position = torch.searchsorted(vocabulary, codes[:, column].contiguous())
            one_hot = torch.zeros(len(codes), len(vocabulary), dtype=dtype, device=X.device)
            one_hot.scatter_(1, position.unsqueeze(1), value)
            parts.append(one_hot)
        return torch.cat(parts, 1)

    def between(
        self, query_rows: torch.Tensor, data_rows: torch.Tensor | None = None
    ) -> _PenaltyTiles:
        """The term for ``kneighbors(features(X)[query_rows], features(X)[data_rows])``
        (``data_rows=None``: every row)."""
        data = self.codes if data_rows is None else self.codes.index_select(0, data_rows)
        return _PenaltyTiles(self.codes.index_select(0, query_rows), data, self.weight)


@dataclass
class VoteTable:
    """The codes that win the neighbours' vote, per distinct pool entry and categorical column.

    Attributes:
        entry: ``(p,)`` the vote row of each pool position (ADASYN lists a base row, with the
            same neighbours, several times in a row; its vote is kept once).
        count: ``(e, d_cat)`` how many codes tie for the most votes (1 without a tie).
        codes: ``(e * d_cat * k,)`` flat ``(e, d_cat, k)``: the tied codes first.
    """

    entry: torch.Tensor
    count: torch.Tensor
    codes: torch.Tensor


# Vote rows computed at once: bounds the (rows, k, k, d_cat) comparison mask.
_VOTE_CHUNK = 1 << 15


def fit_votes(
    X: torch.Tensor,
    base_rows: torch.Tensor,
    neighbors: torch.Tensor | None,
    categorical: torch.Tensor,
    labels: torch.Tensor | None = None,
) -> VoteTable:
    """Precompute the vote of each pool entry's ``k`` neighbours, so a synthetic row only picks
    one of the winning codes uniformly: O(columns) work per row. Codes are compared as
    integers (a ``(rows, k, k, d_cat)`` mask, chunked), never one-hot encoded.

    Args:
        X: ``(n, d)`` training rows.
        base_rows: ``(p,)`` base row of each pool position.
        neighbors: ``(p, k)`` neighbour rows of each pool position (``None``: no class to
            over-sample).
        categorical: ``(d_cat,)`` categorical column indices.
        labels: ``(n,)`` class of every row; when given, only neighbours of the base row's
            class vote, and a base row with none keeps its own codes (NOTE [vote within the
            class]). ``None``: every neighbour votes.

    Returns:
        The :class:`VoteTable`.
    """
    device = X.device
    if neighbors is None:  # no class to over-sample
        empty = torch.zeros(0, dtype=torch.int64, device=device)
        return VoteTable(
            empty, torch.zeros(0, len(categorical), dtype=torch.int64, device=device), empty
        )
    starts = torch.ones(len(base_rows), dtype=torch.bool, device=device)
    starts[1:] = base_rows[1:] != base_rows[:-1]
    entry = torch.cumsum(starts, 0) - 1
    blocks = zip(neighbors[starts].split(_VOTE_CHUNK), base_rows[starts].split(_VOTE_CHUNK))
    counts, codes = zip(*(_vote(X, block, bases, categorical, labels) for block, bases in blocks))
    return VoteTable(entry, torch.cat(counts), torch.cat(codes))


def _vote(
    X: torch.Tensor,
    neighbors: torch.Tensor,
    bases: torch.Tensor,
    categorical: torch.Tensor,
    labels: torch.Tensor | None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(count, flat codes)`` of :class:`VoteTable` for the rows of ``neighbors``; only
    neighbours of the base row's class vote when ``labels`` is given (NOTE [vote within the
    class])."""
    rows, k = neighbors.shape
    codes = (
        X.index_select(0, neighbors.reshape(-1))
        .index_select(1, categorical)
        .to(torch.int64)
        .view(rows, k, -1)
    )
    if labels is None:
        voters = torch.ones(rows, k, dtype=torch.bool, device=X.device)
    else:
        voters = labels[neighbors] == labels[bases].unsqueeze(1)
        alone = ~voters.any(1)  # no neighbour of its class: the base row's own codes win
        if bool(alone.any()):
            codes[alone, 0] = X[bases[alone]].index_select(1, categorical).to(torch.int64)
            voters[alone, 0] = True
    same = (codes.unsqueeze(2) == codes.unsqueeze(1)) & voters[:, None, :, None]  # (rows, k, k, c)
    votes = torch.where(voters.unsqueeze(2), same.sum(2), -1)  # a non-voter never wins
    is_top = votes == votes.amax(1, keepdim=True)
    earlier = torch.ones(k, k, dtype=torch.bool, device=X.device).tril(-1)  # j' < j
    repeated = (same & earlier[None, :, :, None] & is_top.unsqueeze(1)).any(2)
    first = is_top & ~repeated  # the first position of each winning code
    order = torch.argsort((~first).to(torch.int8), dim=1, stable=True)
    return first.sum(1), codes.gather(1, order).transpose(1, 2).contiguous().view(-1)


# One random word serves five columns (12 bits each): the pick among m <= k tied codes is
# (bits * m) >> 12, uniform to within m / 4096 (0.12 % for k = 5).
_COLUMNS_PER_WORD = 5
_BITS_PER_COLUMN = 12


def categorical_vote(
    table: VoteTable, k: int, pool: torch.Tensor, keys: torch.Tensor, slots: torch.Tensor
) -> torch.Tensor:
    """``(b, d_cat)`` codes for the synthetic rows whose base rows sit at ``pool``: per column
    the most frequent code among the base row's neighbours, ties broken by the row's words."""
    columns = table.count.shape[1]
    row = table.entry.index_select(0, pool)
    count = table.count.index_select(0, row)  # (b, c)
    column = torch.arange(columns, device=pool.device)
    needed = -(-columns // _COLUMNS_PER_WORD)
    keys = keys if keys.dim() == 0 else keys.unsqueeze(1)
    random = words(
        keys, slots.unsqueeze(1) * needed + torch.arange(needed, device=pool.device), STREAM_VOTE
    )
    fields = random.repeat_interleave(_COLUMNS_PER_WORD, dim=1)[:, :columns]
    bits = (fields >> ((column % _COLUMNS_PER_WORD) * _BITS_PER_COLUMN)) & (
        (1 << _BITS_PER_COLUMN) - 1
    )
    choice = (bits * count) >> _BITS_PER_COLUMN
    flat = (row.unsqueeze(1) * columns + column) * k + choice
    return table.codes.index_select(0, flat.view(-1)).view(-1, columns)
