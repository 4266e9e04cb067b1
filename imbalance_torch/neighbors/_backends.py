"""Pluggable neighbour search for the SMOTE family: exact (default), scikit-learn-like, FAISS.

NOTE [neighbour search contract]: every backend answers the same question as
:func:`~imbalance_torch.neighbors.kneighbors`: the ``k`` nearest rows of ``data`` for each
query, as row indices into ``data``, nearest first, and, when ``query_indices`` are given,
never the query's own row. External backends are asked for ``k + 1`` candidates and the own
row is removed *by index* (not by dropping the first column, which keeps the row itself when it
has an exact duplicate at distance 0); when the own row is not among the candidates the last
one is dropped. A query left with fewer than ``k`` valid candidates (an approximate index may
return ``-1`` for missing results) is answered again by the exact search, so the table is
always complete. Only the exact search takes an additive distance term (SMOTE-NC's penalty);
the family hands other backends the categorical columns one-hot encoded and scaled so that the
Euclidean distance is the same (NOTE [categorical columns]).
"""

from __future__ import annotations

import copy
import importlib
import json
import numbers
from abc import ABC, abstractmethod
from typing import Any, ClassVar, Literal, Protocol, runtime_checkable

import numpy as np
import torch

from imbalance_torch._validation import describe
from imbalance_torch.neighbors._knn import ExtraDistance, kneighbors

__all__ = [
    "ExactNeighbors",
    "FaissNeighbors",
    "NeighborSearch",
    "SklearnLikeNeighbors",
    "SklearnNeighbors",
    "resolve_neighbors",
]

# Queries sent to an external backend at once: bounds its (chunk, k + 1) answers and the
# float32 copy of the queries.
_QUERY_CHUNK = 1 << 16


@runtime_checkable
class SklearnLikeNeighbors(Protocol):
    """scikit-learn's ``NearestNeighbors`` interface (also cuML's)."""

    def fit(self, X: Any) -> Any: ...

    def kneighbors(self, X: Any = None, n_neighbors: int | None = None, return_distance: bool = True) -> Any: ...


class NeighborSearch(ABC):
    """A neighbour search backend (NOTE [neighbour search contract]).

    Args:
        split_across_ranks: under an initialised ``torch.distributed`` process group with more
            than one rank, each rank answers a block of the queries and the blocks are merged
            with ``all_gather`` (NOTE [distributed fit]); ``False`` makes every rank search
            alone.
    """

    #: Whether :meth:`search` takes ``extra_distance`` (SMOTE-NC's penalty as is).
    takes_extra_distance: ClassVar[bool] = False

    def __init__(self, *, split_across_ranks: bool = True) -> None:
        self.split_across_ranks = split_across_ranks

    @abstractmethod
    def describe(self) -> dict[str, Any]:
        """JSON-safe name and settings, recorded in index files and compared on load."""

    @abstractmethod
    def _candidates(self, queries: torch.Tensor, data: torch.Tensor, count: int) -> torch.Tensor:
        """``(m, count)`` int64 candidate row indices (``-1`` for missing), nearest first."""

    def search(
        self,
        queries: torch.Tensor,
        data: torch.Tensor,
        k: int,
        *,
        query_indices: torch.Tensor | None = None,
        extra_distance: ExtraDistance | None = None,
    ) -> torch.Tensor:
        """``(m, k)`` int64 indices into ``data`` of each query's ``k`` nearest rows, on
        ``data``'s device (the query's own row excluded with ``query_indices``)."""
        if extra_distance is not None:
            raise ValueError(
                f"{type(self).__name__} cannot add a distance term; encode the categorical "
                f"columns first (the SMOTE family does) or use ExactNeighbors()."
            )
        if len(queries) == 0:
            return torch.empty(0, k, dtype=torch.int64, device=data.device)
        count = min(k + (0 if query_indices is None else 1), len(data))
        candidates = torch.cat(
            [self._candidates(block, data, count) for block in queries.split(_QUERY_CHUNK)]
        ).to(data.device)
        return _complete(candidates, queries, data, k, query_indices)

    def release(self) -> None:  # noqa: B027 - most backends keep nothing
        """Drop any index kept between the searches of one fit."""

    def __repr__(self) -> str:
        settings = {key: value for key, value in self.describe().items() if key != "name"}
        args = ", ".join(f"{key}={value!r}" for key, value in settings.items())
        return f"{type(self).__name__}({args})"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and self.describe() == other.describe()  # type: ignore[union-attr]

    __hash__ = None  # type: ignore[assignment]


def _complete(
    candidates: torch.Tensor,
    queries: torch.Tensor,
    data: torch.Tensor,
    k: int,
    query_indices: torch.Tensor | None,
) -> torch.Tensor:
    """The first ``k`` valid candidates per row (own row and ``-1`` removed); rows left short
    are searched again exactly (NOTE [neighbour search contract])."""
    valid = candidates >= 0
    if query_indices is not None:
        valid &= candidates != query_indices.to(candidates.device).unsqueeze(1)
    order = torch.argsort((~valid).to(torch.int8), dim=1, stable=True)[:, :k]
    picked = candidates.gather(1, order)
    short = (~valid.gather(1, order).all(1)).nonzero().flatten()
    if len(short):
        positions = None if query_indices is None else query_indices.to(data.device)[short]
        _, exact = kneighbors(queries.index_select(0, short), data, k, query_indices=positions)
        picked[short] = exact
    return picked


def _numpy(tensor: torch.Tensor, dtype: Any) -> np.ndarray:
    return np.ascontiguousarray(tensor.detach().to("cpu", dtype).numpy())


def _json_safe(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str, sort_keys=True))


class ExactNeighbors(NeighborSearch):
    """The exact tiled torch search (:func:`~imbalance_torch.neighbors.kneighbors`), CPU or
    CUDA; the default. The only backend that takes SMOTE-NC's categorical term as is.

    Args:
        split_across_ranks: see :class:`NeighborSearch`.

    Example:
        >>> import torch
        >>> from imbalance_torch.oversample import SMOTE
        >>> X = torch.randn(40, 3); y = torch.tensor([0] * 30 + [1] * 10)
        >>> SMOTE(k_neighbors=3, neighbors=ExactNeighbors()).fit(X, y, {1: 20}).neighbors_.shape
        torch.Size([10, 3])
    """

    takes_extra_distance = True

    def describe(self) -> dict[str, Any]:
        return {"name": "exact"}

    def search(
        self,
        queries: torch.Tensor,
        data: torch.Tensor,
        k: int,
        *,
        query_indices: torch.Tensor | None = None,
        extra_distance: ExtraDistance | None = None,
    ) -> torch.Tensor:
        if len(queries) == 0:
            return torch.empty(0, k, dtype=torch.int64, device=data.device)
        return kneighbors(queries, data, k, query_indices=query_indices, extra_distance=extra_distance)[1]

    def _candidates(self, queries: torch.Tensor, data: torch.Tensor, count: int) -> torch.Tensor:
        return kneighbors(queries, data, count)[1]  # pragma: no cover - search() is overridden


class _CachedIndex(NeighborSearch):
    """Keeps the index built on the last ``data`` tensor, so the searches of one fit that share
    their data (Borderline-SMOTE's danger set and ``borderline-2`` neighbours over all rows)
    build it once. The tensor itself is held, so its identity cannot be reused by another."""

    def __init__(self, *, split_across_ranks: bool = True) -> None:
        super().__init__(split_across_ranks=split_across_ranks)
        self._built: tuple[torch.Tensor, int, Any] | None = None

    @abstractmethod
    def _build(self, data: torch.Tensor) -> Any:
        """The fitted index over ``data``."""

    def _index(self, data: torch.Tensor) -> Any:
        built = self._built
        if built is not None and built[0] is data and built[1] == data._version:
            return built[2]
        self._built = None  # free the old index before building the next
        index = self._build(data)
        self._built = (data, data._version, index)
        return index

    def release(self) -> None:
        self._built = None

    def __deepcopy__(self, memo: dict[int, Any]) -> _CachedIndex:
        clone = copy.copy(self)
        clone._built = None
        return clone


class SklearnNeighbors(_CachedIndex):
    """Any object with scikit-learn's ``NearestNeighbors`` interface: ``fit(X)`` and
    ``kneighbors(X, n_neighbors, return_distance)`` (scikit-learn's ``NearestNeighbors`` with
    any ``algorithm``, cuML's ``NearestNeighbors``...). A copy is fitted, the object given is
    left untouched. Rows go to it as numpy arrays (float32, or float64 for float64 data).

    Passing such an object straight to an oversampler (``SMOTE(neighbors=NearestNeighbors())``)
    wraps it in this class.

    Args:
        estimator: the unfitted estimator; it should measure Euclidean distance (the default
            ``metric="minkowski", p=2``), as SMOTE's interpolation assumes.
        split_across_ranks: see :class:`NeighborSearch`.

    Example:
        >>> import torch
        >>> from sklearn.neighbors import NearestNeighbors
        >>> from imbalance_torch.oversample import SMOTE
        >>> X = torch.randn(40, 3); y = torch.tensor([0] * 30 + [1] * 10)
        >>> tree = NearestNeighbors(algorithm="ball_tree")
        >>> SMOTE(k_neighbors=3, neighbors=tree).fit(X, y, {1: 20}).neighbors_.shape
        torch.Size([10, 3])
    """

    def __init__(self, estimator: SklearnLikeNeighbors, *, split_across_ranks: bool = True) -> None:
        super().__init__(split_across_ranks=split_across_ranks)
        self.estimator = estimator

    def describe(self) -> dict[str, Any]:
        cls = type(self.estimator)
        params = self.estimator.get_params() if hasattr(self.estimator, "get_params") else {}
        return _json_safe(
            {"name": "sklearn-like", "class": f"{cls.__module__}.{cls.__qualname__}", "params": params}
        )

    def __repr__(self) -> str:
        return f"SklearnNeighbors({self.estimator!r})"

    def _build(self, data: torch.Tensor) -> Any:
        estimator = copy.deepcopy(self.estimator)
        estimator.fit(_numpy(data, _float_dtype(data)))
        return estimator

    def _candidates(self, queries: torch.Tensor, data: torch.Tensor, count: int) -> torch.Tensor:
        found = self._index(data).kneighbors(
            _numpy(queries, _float_dtype(data)), n_neighbors=count, return_distance=False
        )
        return torch.as_tensor(np.asarray(found), dtype=torch.int64)


def _float_dtype(data: torch.Tensor) -> torch.dtype:
    return torch.float64 if data.dtype == torch.float64 else torch.float32


FaissMethod = Literal["hnsw", "ivf", "flat"]
_FAISS_METHODS = ("hnsw", "ivf", "flat")


class FaissNeighbors(_CachedIndex):
    """FAISS (the optional extra: ``pip install 'imbalance-torch[faiss]'``), for classes of
    10^7 rows and more. Rows are searched in float32 on the CPU.

    Args:
        method: ``"hnsw"`` (a graph; approximate, no training), ``"ivf"`` (inverted lists
            over k-means cells; approximate) or ``"flat"`` (brute force; exact).
        hnsw_m: graph links per row (``"hnsw"``); more is slower to build, better recall.
        ef_construction: candidate list while building the graph (``"hnsw"``).
        ef_search: candidate list while searching (``"hnsw"``); raised to ``k + 1`` if lower.
        nlist: k-means cells (``"ivf"``); ``None`` picks ``4 * sqrt(rows)``, at most
            ``rows / 39`` (FAISS wants 39 training rows per cell).
        nprobe: cells visited per query (``"ivf"``).
        threads: OpenMP threads FAISS uses (``None``: FAISS's default).
        split_across_ranks: see :class:`NeighborSearch`.

    The HNSW graph built with several threads depends on their timing, so two fits can differ
    in a few neighbours; under a process group every rank still ends with the same table (the
    answers are gathered). Use ``threads=1`` for reproducible fits.
    """

    def __init__(
        self,
        *,
        method: FaissMethod = "hnsw",
        hnsw_m: int = 32,
        ef_construction: int = 80,
        ef_search: int = 64,
        nlist: int | None = None,
        nprobe: int = 16,
        threads: int | None = None,
        split_across_ranks: bool = True,
    ) -> None:
        super().__init__(split_across_ranks=split_across_ranks)
        self.method = method
        self.hnsw_m = hnsw_m
        self.ef_construction = ef_construction
        self.ef_search = ef_search
        self.nlist = nlist
        self.nprobe = nprobe
        self.threads = threads

    def describe(self) -> dict[str, Any]:
        settings: dict[str, Any] = {"name": "faiss", "method": self.method}
        if self.method == "hnsw":
            settings.update(hnsw_m=self.hnsw_m, ef_construction=self.ef_construction, ef_search=self.ef_search)
        elif self.method == "ivf":
            settings.update(nlist=self.nlist, nprobe=self.nprobe)
        return settings

    def check(self) -> None:
        """Validate the settings and that FAISS can be imported."""
        if self.method not in _FAISS_METHODS:
            raise ValueError(
                f"FaissNeighbors(method={describe(self.method)}) is not known; use one of {list(_FAISS_METHODS)}."
            )
        for name in ("hnsw_m", "ef_construction", "ef_search", "nprobe"):
            _check_count(f"FaissNeighbors({name}=...)", getattr(self, name))
        for name in ("nlist", "threads"):
            if getattr(self, name) is not None:
                _check_count(f"FaissNeighbors({name}=...)", getattr(self, name))
        _faiss()

    def _build(self, data: torch.Tensor) -> Any:
        faiss = _faiss()
        if self.threads is not None:
            faiss.omp_set_num_threads(self.threads)
        rows = _numpy(data, torch.float32)
        n, d = rows.shape
        if self.method == "flat":
            index = faiss.IndexFlatL2(d)
        elif self.method == "hnsw":
            index = faiss.IndexHNSWFlat(d, self.hnsw_m)
            index.hnsw.efConstruction = self.ef_construction
        else:
            nlist = self.nlist or int(4 * n**0.5)
            nlist = max(1, min(nlist, n // 39))
            index = faiss.IndexIVFFlat(faiss.IndexFlatL2(d), d, nlist)
            index.train(rows)
            index.nprobe = min(self.nprobe, nlist)
        index.add(rows)
        return index

    def _candidates(self, queries: torch.Tensor, data: torch.Tensor, count: int) -> torch.Tensor:
        index = self._index(data)
        if self.method == "hnsw":
            index.hnsw.efSearch = max(self.ef_search, count)
        _, found = index.search(_numpy(queries, torch.float32), count)
        return torch.from_numpy(found.astype(np.int64, copy=False))


def _check_count(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int; got {describe(value)} of type {type(value).__name__}.")
    if value < 1:
        raise ValueError(f"{name} must be at least 1; got {value}.")


def _faiss() -> Any:
    try:
        return importlib.import_module("faiss")
    except ImportError as error:
        raise ImportError(
            f"FaissNeighbors needs the faiss package, which could not be imported ({error}); "
            f"install the optional extra: pip install 'imbalance-torch[faiss]' (faiss-cpu), or "
            f"use ExactNeighbors() or a scikit-learn NearestNeighbors."
        ) from error


def resolve_neighbors(value: Any) -> NeighborSearch:
    """The backend an oversampler's ``neighbors=`` names: ``None`` is the exact search, a
    :class:`NeighborSearch` is used as is, an object with ``fit`` and ``kneighbors`` is wrapped
    in :class:`SklearnNeighbors`.

    Raises:
        TypeError: anything else.
    """
    if value is None:
        return ExactNeighbors()
    if isinstance(value, NeighborSearch):
        if isinstance(value, FaissNeighbors):
            value.check()
        if not isinstance(value.split_across_ranks, bool):
            raise TypeError(
                f"split_across_ranks must be True or False; got {describe(value.split_across_ranks)}."
            )
        return value
    if isinstance(value, type):
        raise TypeError(
            f"neighbors={value.__name__} is a class; pass an instance, e.g. neighbors={value.__name__}()."
        )
    if callable(getattr(value, "fit", None)) and callable(getattr(value, "kneighbors", None)):
        return SklearnNeighbors(value)
    raise TypeError(
        f"neighbors must be None (exact search), ExactNeighbors(), FaissNeighbors(...) or an "
        f"object with scikit-learn's NearestNeighbors interface (fit and kneighbors); got "
        f"{describe(value)} of type {type(value).__name__}."
    )
