"""The SMOTE family's shared steps: class rows, neighbour searches (with the categorical term of
NOTE [categorical columns]) and the base class that gives every member categorical columns."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

import torch

from imbalance_torch.neighbors._backends import ExactNeighbors, NeighborSearch, resolve_neighbors
from imbalance_torch.neighbors._distributed import (
    check_same_data,
    check_same_index,
    gather_query_blocks,
)
from imbalance_torch.oversample._base import Oversampler, SyntheticDraw, interpolate
from imbalance_torch.oversample._categorical import (
    CategoricalPenalty,
    VoteTable,
    categorical_columns,
    categorical_vote,
    check_codes,
    check_one_hot_width,
    fit_votes,
    median_std,
)
from imbalance_torch.oversample._filters import FILTER_PARAMS, check_filter_params, fit_filter

FAMILY_PARAMS = ("neighbors", *FILTER_PARAMS)
"""The constructor arguments every member of the family takes last (neighbour search, then
the per-epoch filter's), in ``repr`` order."""

#: The Args entries of the arguments every member of the family shares, written once and put
#: into each member's docstring by :func:`substitute` (``{family_args}`` there).
FAMILY_ARGS_DOC = """\
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
    real rows, precomputed) or ``"exact"`` (every real row)."""


def substitute(**blocks: str) -> Callable[[type], type]:
    """Class decorator: replace each line ``{name}`` of the class docstring by ``blocks[name]``,
    indented like the placeholder line, so a shared Args block is written once.

    Raises:
        ValueError: a block the docstring has no placeholder line for, or a placeholder left
            without a block (a docstring that would show a raw ``{name}``).
    """

    def decorate(cls: type) -> type:
        lines = (cls.__doc__ or "").split("\n")
        used = set()
        for i, line in enumerate(lines):
            text = line.strip()
            if not (text.startswith("{") and text.endswith("}")):
                continue
            name = text[1:-1]
            if name not in blocks:
                raise ValueError(f"{cls.__name__}'s docstring has {text} but no block of that name.")
            indent = line[: len(line) - len(line.lstrip())]
            parts = blocks[name].split("\n")
            lines[i] = "\n".join(indent + part if part else part for part in parts)
            used.add(name)
        missing = sorted(set(blocks) - used)
        if missing:
            raise ValueError(f"{cls.__name__}'s docstring has no line {{{missing[0]}}}.")
        cls.__doc__ = "\n".join(lines)
        return cls

    return decorate


__all__ = [
    "FAMILY_ARGS_DOC",
    "SMOTEFamily",
    "any_class_neighbors",
    "in_danger",
    "check_class_size",
    "class_rows",
    "neighbor_table",
    "other_class_neighbor_counts",
    "substitute",
    "within_class_neighbors",
]


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


_EXACT = ExactNeighbors()


def neighbor_table(
    X: torch.Tensor,
    query_rows: torch.Tensor,
    k: int,
    *,
    data_rows: torch.Tensor | None = None,
    penalty: CategoricalPenalty | None = None,
    search: NeighborSearch | None = None,
) -> torch.Tensor:
    """``(m, k)`` global indices of each query row's ``k`` nearest rows among ``data_rows``
    (``None``: every row), itself excluded, by Euclidean distance plus ``penalty``'s
    categorical term when given (taken as is by the exact search, through the one-hot space of
    :meth:`CategoricalPenalty.encoded` by other backends). Under a process group the ranks
    share the queries (NOTE [distributed fit])."""
    search = _EXACT if search is None else search
    encode = penalty is not None and not search.takes_extra_distance
    if encode:
        data = penalty.encoded(X, data_rows)  # type: ignore[union-attr]
    else:
        space = X if penalty is None else penalty.features(X)
        data = space if data_rows is None else space.index_select(0, data_rows)
    positions = query_rows if data_rows is None else torch.searchsorted(data_rows, query_rows)

    def answer(start: int, stop: int) -> torch.Tensor:
        # The query rows are data rows (``positions`` excludes each one from its own answer),
        # so their search-space rows are gathered from ``data``, not built again.
        at = positions[start:stop]
        extra = None if penalty is None or encode else penalty.between(query_rows[start:stop], data_rows)
        return search.search(data.index_select(0, at), data, k, query_indices=at, extra_distance=extra)

    if search.split_across_ranks:
        local = gather_query_blocks(answer, len(query_rows), k, (data.shape[0], data.shape[1]))
    else:
        local = answer(0, len(query_rows))
    return local if data_rows is None else data_rows[local]


def within_class_neighbors(
    X: torch.Tensor,
    y: torch.Tensor,
    label: int,
    k: int,
    queries: torch.Tensor | None = None,
    penalty: CategoricalPenalty | None = None,
    search: NeighborSearch | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Each query row's ``k`` nearest rows of its own class (itself excluded), by Euclidean
    distance plus ``penalty``'s categorical term when given.

    Returns ``(query_rows, neighbor_rows)``: global row indices ``(m,)`` and ``(m, k)``.
    """
    rows = class_rows(y, label)
    queries = rows if queries is None else queries
    return queries, neighbor_table(X, queries, k, data_rows=rows, penalty=penalty, search=search)


def any_class_neighbors(
    X: torch.Tensor,
    queries: torch.Tensor,
    k: int,
    penalty: CategoricalPenalty | None = None,
    search: NeighborSearch | None = None,
) -> torch.Tensor:
    """``(m, k)``: each query row's ``k`` nearest rows of any class (itself excluded)."""
    return neighbor_table(X, queries, k, penalty=penalty, search=search)


def other_class_neighbor_counts(
    X: torch.Tensor,
    y: torch.Tensor,
    label: int,
    m: int,
    penalty: CategoricalPenalty | None = None,
    search: NeighborSearch | None = None,
    *,
    queries: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """For each row of class ``label`` (or each of ``queries``, rows of that class): how many
    of its ``m`` nearest rows (all classes, itself excluded) are of another class. Returns
    ``(rows, counts)``."""
    rows = class_rows(y, label) if queries is None else queries
    neighbors = any_class_neighbors(X, rows, m, penalty, search)
    return rows, (y[neighbors] != label).sum(1)


def in_danger(others: torch.Tensor, m: int) -> torch.Tensor:
    """Borderline-SMOTE's danger rule: at least half, but not all, of a row's ``m`` nearest
    rows are of another class (``others`` from :func:`other_class_neighbor_counts`)."""
    return (others.to(torch.float64) >= m / 2) & (others < m)


class SMOTEFamily(Oversampler):
    """Base class of the interpolating oversamplers (SMOTE, Borderline-SMOTE, ADASYN,
    SMOTE-NC): ``categorical_features`` with SMOTE-NC's rules (NOTE [categorical columns]).

    Subclasses search neighbours through :meth:`penalty` and the helpers above; this class
    checks the columns, takes the vote and writes the codes into the synthetic rows.
    """

    #: ``SMOTENC`` needs categorical columns; the others take ``None`` (or an empty list).
    _categorical_required: ClassVar[bool] = False
    categorical_features: Any = None
    neighbors: Any = None
    #: Per-epoch filtering of synthetic rows (NOTE [per-epoch filtering]); defaults for
    #: members whose constructor does not take them.
    safe: Any = FILTER_PARAMS["safe"]
    safe_k: Any = FILTER_PARAMS["safe_k"]
    filter: Any = FILTER_PARAMS["filter"]
    filter_search: Any = FILTER_PARAMS["filter_search"]

    def __init__(
        self,
        *,
        categorical_features: Sequence[int] | Sequence[bool] | None = None,
        neighbors: Any = None,
        safe: bool = FILTER_PARAMS["safe"],
        safe_k: int = FILTER_PARAMS["safe_k"],
        filter: Any = FILTER_PARAMS["filter"],
        filter_search: str = FILTER_PARAMS["filter_search"],
    ) -> None:
        """Store the arguments every member shares (documented once, ``FAMILY_ARGS_DOC``);
        each member stores its own first and passes these on. Checked at ``fit``."""
        self.categorical_features = categorical_features
        self.neighbors = neighbors
        self.safe = safe
        self.safe_k = safe_k
        self.filter = filter
        self.filter_search = filter_search

    def _categorical_columns(self, X: torch.Tensor) -> list[int]:
        return categorical_columns(
            self.categorical_features,
            X.shape[1],
            type(self).__name__,
            required=self._categorical_required,
        )

    def _column_split(self, X: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(categorical, continuous)`` column indices of X, as int64 tensors."""
        categorical = torch.tensor(self._categorical_columns(X), dtype=torch.int64, device=X.device)
        keep = torch.ones(X.shape[1], dtype=torch.bool, device=X.device)
        keep[categorical] = False
        return categorical, keep.nonzero().flatten()

    def _check_params(self, X: torch.Tensor) -> None:
        self.categorical_, self.continuous_ = self._column_split(X)
        check_codes(X, self.categorical_.tolist())
        check_filter_params(self)
        self._search = resolve_neighbors(self.neighbors)
        if not self._search.takes_extra_distance:
            check_one_hot_width(X, self.categorical_.tolist(), repr(self._search))

    def search(self) -> NeighborSearch:
        """The neighbour search ``neighbors=`` names (NOTE [neighbour search contract])."""
        search = getattr(self, "_search", None)
        return resolve_neighbors(self.neighbors) if search is None else search

    def __repr__(self) -> str:
        # neighbors= is shown only when set, so the default reads as before it existed.
        params = self.get_params()
        if params.get("neighbors") is None:
            params.pop("neighbors", None)
        for name, default in FILTER_PARAMS.items():  # likewise safe=, filter= at their defaults
            if name in params and type(params[name]) is type(default) and params[name] == default:
                params.pop(name)
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in params.items())})"

    def penalty(self, X: torch.Tensor, y: torch.Tensor, label: int) -> CategoricalPenalty | None:
        """The categorical distance term for over-sampling class ``label`` (``None`` without
        categorical columns): ``median_std(class) ** 2`` per differing column."""
        categorical, continuous = self._column_split(X)
        if len(categorical) == 0:
            return None
        med = median_std(X, class_rows(y, label), continuous)
        return CategoricalPenalty(
            continuous, X.index_select(1, categorical).to(torch.int64), med * med
        )

    def median_std(self, X: torch.Tensor, y: torch.Tensor, label: int) -> float:
        """Median over continuous columns of class ``label``'s population std (ddof=0):
        imbalanced-learn's ``SMOTENC.median_std_[label]``."""
        return median_std(X, class_rows(y, label), self._column_split(X)[1])

    def fit(
        self, X: torch.Tensor, y: torch.Tensor, target_counts: Mapping[int, int]
    ) -> SMOTEFamily:
        if self.search().split_across_ranks:
            check_same_data(X, y)
        try:
            super().fit(X, y, target_counts)
        finally:
            if getattr(self, "_search", None) is not None:
                self._search.release()
        if self.search().split_across_ranks:
            check_same_index(self._state_arrays())
        self._fit_categorical()
        self.filter_ = fit_filter(self)
        return self

    def _load_arrays(self, arrays: dict[str, torch.Tensor]) -> None:
        self._fit_categorical()
        self.filter_ = fit_filter(self)

    def _fit_categorical(self) -> None:
        """``median_std_`` per fitted class and the vote table (empty without categorical
        columns); recomputed from the data and the neighbour table when an index is loaded."""
        if len(self.categorical_) == 0:
            self.median_std_: dict[int, float] = {}
            self.votes_: VoteTable | None = None
            return
        self.median_std_ = {
            label: self.median_std(self.X_, self.y_, label) for label in self.classes_.tolist()
        }
        self.votes_ = fit_votes(
            self.X_, self.base_rows_, self.neighbors_, self.categorical_, labels=self.y_
        )

    def categorical_vote(self, draw: SyntheticDraw) -> torch.Tensor:
        """``(b, n_categorical)`` codes: the most frequent code among the base row's
        neighbours per categorical column, ties broken at random by the row's random words."""
        self._fitted()
        if self.votes_ is None or self.neighbors_ is None:
            return torch.zeros(
                len(draw.pool), len(self.categorical_), dtype=torch.int64, device=draw.pool.device
            )
        return categorical_vote(
            self.votes_, self.neighbors_.shape[1], draw.pool, draw.keys, draw.slots
        )

    def rows(self, draw: SyntheticDraw, out: torch.Tensor | None = None) -> torch.Tensor:
        out = interpolate(
            self.X_, draw.base, draw.neighbor, draw.gap, out=out, work=self.work_dtype_
        )
        if self.votes_ is not None:
            out.index_copy_(1, self.categorical_, self.categorical_vote(draw).to(out.dtype))
        return out

    def _index_params(self) -> dict[str, Any]:
        # Without categorical columns, an index file reads as one written before they existed.
        params = super()._index_params()
        if params.get("categorical_features") is None and not self._categorical_required:
            params.pop("categorical_features", None)
        params.pop("neighbors", None)  # recorded as the meta's "neighbors" (NOTE [index backend])
        for name in FILTER_PARAMS:  # the filter changes no fitted array
            params.pop(name, None)
        return params

    def _neighbors_meta(self) -> dict[str, Any] | None:
        return self.search().describe()
