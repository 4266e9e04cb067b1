"""The oversampler contract: fit once on the training split, then draw any synthetic row as a
pure function of ``(seed, epoch, class, slot)`` (see NOTE [counter-based draws])."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import torch

from imbalance_torch._random import (
    STREAM_BASE,
    STREAM_GAP,
    key_table,
    uniform_float,
    uniform_int,
    words,
)
from imbalance_torch._validation import check_seed
from imbalance_torch.neighbors import data_fingerprint, read_index, write_index
from imbalance_torch.oversample._index_checks import (
    check_index_arrays,
    check_index_backend,
    index_layout,
    index_rules,
)
from imbalance_torch.targets import class_counts

__all__ = ["ClassPool", "Oversampler", "SyntheticDraw", "interpolate"]


@dataclass
class ClassPool:
    """What one class contributes to generation. A base row is drawn uniformly from the pool;
    a row listed ``m`` times is drawn with ``m`` times the probability (ADASYN's weights are
    small integers, so this is exact and keeps every draw O(1)).

    Attributes:
        base_rows: ``(p,)`` row indices (into the training rows) that may be a base row.
        neighbors: ``(p, k)`` row indices of each base row's neighbours, or ``None``.
    """

    base_rows: torch.Tensor
    neighbors: torch.Tensor | None


@dataclass
class SyntheticDraw:
    """The random choices behind a batch of synthetic rows (their provenance).

    Attributes:
        label: ``(b,)`` class of each row.
        base: ``(b,)`` base row index into the training rows.
        neighbor: ``(b,)`` neighbour row index, ``-1`` where the method uses none.
        gap: ``(b,)`` step from the base toward the neighbour, in [0, 1).
        pool: ``(b,)`` position of the base row in the fitted pool.
        keys: per-row (or one broadcast) 64-bit key of ``(seed, epoch, class)``.
        slots: ``(b,)`` slot numbers; with ``keys`` they feed method-specific draws.
    """

    label: torch.Tensor
    base: torch.Tensor
    neighbor: torch.Tensor
    gap: torch.Tensor
    pool: torch.Tensor
    keys: torch.Tensor
    slots: torch.Tensor

    def words(self, stream: int, per_row: int = 1) -> torch.Tensor:
        """Further random words for this draw: ``(b,)``, or ``(b, per_row)`` if ``per_row > 1``.

        ``stream`` is one of the ``STREAM_*`` names of ``imbalance_torch._random``;
        ``STREAM_BASE`` and ``STREAM_GAP`` are taken by the base, neighbour and gap draws."""
        if per_row == 1:
            return words(self.keys, self.slots, stream)
        keys = self.keys.unsqueeze(1) if self.keys.dim() else self.keys
        counters = self.slots.unsqueeze(1) * per_row + torch.arange(per_row, device=self.slots.device)
        return words(keys, counters, stream)


def compute_dtype(dtype: torch.dtype) -> torch.dtype:
    """float64 stays float64 and integers are computed in float64 (then truncated, as
    imbalanced-learn does); float32, float16 and bfloat16 are computed in float32."""
    if dtype == torch.float64 or not dtype.is_floating_point:
        return torch.float64
    return torch.float32


def working_dtype(X: torch.Tensor) -> torch.dtype:
    """:func:`compute_dtype`, raised to float64 for float32 data so large that the difference
    of two rows could overflow (beyond half of float32's maximum, 1.7e38)."""
    work = compute_dtype(X.dtype)
    if work == torch.float32 and X.numel():
        low, high = torch.aminmax(X)
        if max(-float(low), float(high)) > 1.7e38:
            return torch.float64
    return work


def interpolate(
    X: torch.Tensor,
    base: torch.Tensor,
    neighbor: torch.Tensor,
    gap: torch.Tensor,
    out: torch.Tensor | None = None,
    work: torch.dtype | None = None,
) -> torch.Tensor:
    """``X[base] + gap * (X[neighbor] - X[base])`` for a whole batch, in X's dtype.

    The arithmetic order is imbalanced-learn's, so the same draws give bit-identical rows in
    float64. Integer features are computed in float64 and truncated toward zero. With ``out``
    (a ``(b, d)`` tensor of X's dtype) the rows are written there; ``work`` overrides the
    dtype the arithmetic is done in (see :func:`working_dtype`).
    """
    work = compute_dtype(X.dtype) if work is None else work
    start = X.index_select(0, base).to(work)
    if work == X.dtype and out is not None:
        step = torch.index_select(X, 0, neighbor, out=out)
    else:
        step = X.index_select(0, neighbor).to(work)
    # Separate multiply and add (no fused multiply-add), rounded exactly as numpy does.
    step.sub_(start).mul_(gap.to(work).unsqueeze(1)).add_(start)
    if out is not None:
        if step is not out:
            out.copy_(step)
        return out
    return step if step.dtype == X.dtype else step.to(X.dtype)


class Oversampler:
    """Base class. Constructors store keyword-only arguments; ``fit`` sets attributes ending
    in ``_``; ``draw``/``rows`` generate. Subclasses implement ``_check_class`` and
    ``_fit_class`` (and may override ``rows``)."""

    #: Names of the constructor arguments, for repr, equality of settings and index files.
    _params: ClassVar[tuple[str, ...]] = ()
    #: How ``_fit_class`` builds a class's pool, for the checks of a saved index (NOTE [index
    #: content checks]): every row of the class once (``"all"``), some rows once each
    #: (``"subset"``), rows repeated by weight (``"weighted"``), or some rows once each in any
    #: order, drawn by per-entry weights (``"distinct"``). Every over-sampler declares it (a
    #: subclass inherits its parent's); one that does not is refused when an index is saved or
    #: loaded, never checked by looser rules.
    index_pool: ClassVar[str | None] = None
    #: Whether pool entries may be marked ``extrapolate`` (a step away from the neighbour).
    index_extrapolates: ClassVar[bool] = False

    def out_of_core_neighbors(self) -> int | None:
        """How many nearest rows of any class a fit needs per row of an over-sampled class
        when the features are read out of core (0: it searches within the class only; NOTE
        [out-of-core fit]), or ``None`` when the method cannot fit out of core (the default:
        a method says so by overriding this)."""
        return None

    def index_same_class_neighbors(self) -> bool:
        """Whether every neighbour in the index is of its base row's class (True unless a
        method steps toward other classes, as Borderline-SMOTE-2 does)."""
        return True

    #: The fitted per-epoch filter of synthetic rows, or ``None`` (NOTE [per-epoch filtering]
    #: in ``_filters.py``; set by the SMOTE family's ``safe=`` / ``filter=``).
    filter_: Any = None

    def get_params(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self._params}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    # -- fitting ---------------------------------------------------------------------------
    def _check_params(self, X: torch.Tensor) -> None:
        """Validate constructor arguments against the data (before any work)."""

    def _check_class(self, X: torch.Tensor, y: torch.Tensor, label: int, count: int) -> None:
        """Raise if class ``label`` (``count`` rows) cannot be over-sampled."""

    def _fit_class(self, X: torch.Tensor, y: torch.Tensor, label: int) -> ClassPool:
        raise NotImplementedError  # pragma: no cover - every subclass implements it

    def fit(self, X: torch.Tensor, y: torch.Tensor, target_counts: Mapping[int, int]) -> Oversampler:
        """Build what generation needs for every class with a positive target count.

        Args:
            X: ``(n, d)`` checked training features (any device).
            y: ``(n,)`` int64 labels on X's device.
            target_counts: ``{class: rows to add per epoch}``; classes at 0 are not fitted.

        Returns:
            ``self``.
        """
        self._check_params(X)
        counts = class_counts(y)
        labels = [int(c) for c, n in sorted(target_counts.items()) if n > 0]
        for label in labels:
            if counts.get(label, 0) == 0:
                raise ValueError(
                    f"target_counts asks for rows of class {label}, which has no rows in y "
                    f"(classes present: {sorted(counts)[:20]}); over-sample existing classes only."
                )
            self._check_class(X, y, label, counts.get(label, 0))
        self._prepare(X, y, target_counts)
        pools = [self._fit_class(X, y, label) for label in labels]
        self._set_pools(X, y, labels, pools)
        return self

    def _prepare(self, X: torch.Tensor, y: torch.Tensor, target_counts: Mapping[int, int]) -> None:
        """Work done once per fit, after the checks and before the classes are fitted (the
        SVM of SVM-SMOTE, the clustering of KMeans-SMOTE); nothing by default."""

    def _set_pools(self, X: torch.Tensor, y: torch.Tensor, labels: list[int], pools: list[ClassPool]) -> None:
        device = X.device
        self.X_ = X
        self.y_ = y
        self.work_dtype_ = working_dtype(X)
        self.classes_ = torch.tensor(labels, dtype=torch.int64, device=device)
        sizes = torch.tensor([len(p.base_rows) for p in pools], dtype=torch.int64, device=device)
        self.pool_count_ = sizes
        self.pool_start_ = torch.cumsum(sizes, 0) - sizes
        self.base_rows_ = torch.cat([p.base_rows.to(device) for p in pools]) if pools else torch.empty(0, dtype=torch.int64, device=device)
        has_neighbors = bool(pools) and pools[0].neighbors is not None
        self.neighbors_ = torch.cat([p.neighbors.to(device) for p in pools]) if has_neighbors else None
        self._keys_cache: tuple[tuple[int, int], torch.Tensor] | None = None

    def _fitted(self) -> None:
        if not hasattr(self, "classes_"):
            raise RuntimeError(f"{type(self).__name__} is not fitted; call fit(X, y, target_counts) first (SMOTEDataset does).")

    # -- generating ------------------------------------------------------------------------
    def class_keys(self, seed: int, epoch: int) -> torch.Tensor:
        """One 64-bit key per fitted class for ``(seed, epoch)`` (cached for the last pair)."""
        cache = getattr(self, "_keys_cache", None)
        if cache is not None and cache[0] == (seed, epoch):
            return cache[1]
        table = key_table(self.classes_.tolist(), (seed, epoch), device=self.classes_.device)
        self._keys_cache = ((seed, epoch), table)
        return table

    def class_positions(self, labels: torch.Tensor) -> torch.Tensor:
        """Positions of ``labels`` among the fitted classes (error for an unfitted class)."""
        self._fitted()
        positions = torch.searchsorted(self.classes_, labels).clamp_(max=max(len(self.classes_) - 1, 0))
        if len(self.classes_) == 0 or not bool((self.classes_[positions] == labels).all()):
            missing = sorted(set(labels.unique().tolist()) - set(self.classes_.tolist()))
            raise ValueError(
                f"no synthetic rows can be drawn for class(es) {missing}: the oversampler was "
                f"fitted for classes {self.classes_.tolist()} only. Include them in the "
                f"dataset's sampling_strategy."
            )
        return positions

    def draw(self, labels: torch.Tensor, slots: torch.Tensor, seed: int, epoch: int) -> SyntheticDraw:
        """The random choices for synthetic rows ``slots`` of classes ``labels`` in ``epoch``.

        Pure function of ``(seed, epoch, label, slot)``: no state is read or changed.
        """
        return self.draw_at(self.class_positions(labels), slots, self.class_keys(check_seed(seed), epoch))

    def draw_at(self, positions: torch.Tensor, slots: torch.Tensor, table: torch.Tensor) -> SyntheticDraw:
        """:meth:`draw` for classes given by their position in ``classes_``, with the key
        table of :meth:`class_keys` (no checks: the hot path, and traceable by
        ``torch.compile`` since it reads tensors only). With a filter, the accepted draws."""
        if self.filter_ is not None:
            return self.filter_.run(self, positions, slots, table)[0]
        return self.unfiltered_draw_at(positions, slots, table)

    def unfiltered_draw_at(self, positions: torch.Tensor, slots: torch.Tensor, table: torch.Tensor) -> SyntheticDraw:
        """:meth:`draw_at` before any filter: one draw per slot from ``table``'s keys."""
        if len(table) == 1:  # one class: broadcast scalars instead of gathering per row
            keys, count, start = table[0], self.pool_count_[0], self.pool_start_[0]
            labels = self.classes_[0].expand(len(slots)).contiguous()
        else:
            keys, count, start = table[positions], self.pool_count_[positions], self.pool_start_[positions]
            labels = self.classes_[positions]
        w0 = words(keys, slots, STREAM_BASE)
        w1 = words(keys, slots, STREAM_GAP)
        pool_index = start + uniform_int(w0, count)
        base = self.base_rows_.index_select(0, pool_index)
        if self.neighbors_ is not None:
            k = self.neighbors_.shape[1]
            choice = uniform_int(w0, k, low_half=True)
            neighbor = self.neighbors_.view(-1).index_select(0, pool_index * k + choice)
        else:
            neighbor = torch.full_like(base, -1)
        gap = uniform_float(w1, compute_dtype(self.X_.dtype))
        gap = self._scale_gap(labels, neighbor, gap)
        return SyntheticDraw(labels, base, neighbor, gap, pool_index, keys, slots)

    def _scale_gap(self, labels: torch.Tensor, neighbor: torch.Tensor, gap: torch.Tensor) -> torch.Tensor:
        return gap

    def rows(self, draw: SyntheticDraw, out: torch.Tensor | None = None) -> torch.Tensor:
        """The synthetic feature rows for ``draw``, in the training features' dtype and device
        (written into ``out`` when given)."""
        return interpolate(self.X_, draw.base, draw.neighbor, draw.gap, out=out, work=self.work_dtype_)

    def draw_rows_at(
        self, positions: torch.Tensor, slots: torch.Tensor, table: torch.Tensor
    ) -> tuple[SyntheticDraw, torch.Tensor]:
        """:meth:`draw_at` and its rows, each generated once (with a filter: the accepted
        draws and the rows the filter already built for them)."""
        if self.filter_ is not None:
            draw, rows, _ = self.filter_.run(self, positions, slots, table)
            return draw, rows
        draw = self.unfiltered_draw_at(positions, slots, table)
        return draw, self.rows(draw)

    def rows_at(
        self, positions: torch.Tensor, slots: torch.Tensor, table: torch.Tensor, out: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``(rows, labels)`` for :meth:`draw_at`'s arguments: the whole hot path in one call."""
        if self.filter_ is not None:  # the accepted rows, generated once
            draw, rows, _ = self.filter_.run(self, positions, slots, table)
            return (rows if out is None else out.copy_(rows)), draw.label
        draw = self.draw_at(positions, slots, table)
        return self.rows(draw, out=out), draw.label

    def generate(self, labels: torch.Tensor, slots: torch.Tensor, seed: int, epoch: int) -> torch.Tensor:
        """``rows(draw(labels, slots, seed, epoch))``."""
        return self.rows(self.draw(labels, slots, seed, epoch))

    # -- saving ----------------------------------------------------------------------------
    def _state_arrays(self) -> dict[str, torch.Tensor]:
        arrays = {"classes": self.classes_, "pool_count": self.pool_count_, "base_rows": self.base_rows_}
        if self.neighbors_ is not None:
            arrays["neighbors"] = self.neighbors_
        return arrays

    def _load_arrays(self, arrays: dict[str, torch.Tensor]) -> None:
        """Restore extra fitted state (subclasses with more than the pools override)."""

    def _index_params(self) -> dict[str, Any]:
        """The settings an index file records and must match on load."""
        return self.get_params()

    def _neighbors_meta(self) -> dict[str, Any] | None:
        """The neighbour search that builds the index (``None``: the method keeps none)."""
        return None

    def _meta(self, X: torch.Tensor, y: torch.Tensor, fingerprint: str | None = None) -> dict[str, Any]:
        """What an index file records (``fingerprint``: given when X is read out of core and
        hashed chunk by chunk, NOTE [out-of-core fit])."""
        params = json.loads(json.dumps(self._index_params(), default=str))
        meta = {
            "oversampler": type(self).__name__,
            "params": params,
            "rows": int(X.shape[0]),
            "features": int(X.shape[1]),
            "fingerprint": data_fingerprint(X, y) if fingerprint is None else fingerprint,
        }
        backend = self._neighbors_meta()
        if backend is not None:
            meta["neighbors"] = backend
        return meta

    def save(self, path: str | os.PathLike[str], *, key: bytes | None = None) -> Path:
        """Save the fitted index (pools and neighbours) to ``path`` without pickle; with
        ``key`` (a secret kept outside the file) it is signed with HMAC-SHA256."""
        self._fitted()
        arrays = {name: t.detach().cpu().numpy() for name, t in self._state_arrays().items()}
        return write_index(path, self._meta(self.X_, self.y_), arrays, key=key)

    def load(
        self,
        path: str | os.PathLike[str],
        X: torch.Tensor,
        y: torch.Tensor,
        target_counts: Mapping[int, int],
        *,
        key: bytes | None = None,
    ) -> Oversampler:
        """Restore a fitted index saved by :meth:`save` for the same ``X``, ``y`` and settings.

        The file is read bounded by what this data and oversampler imply, then its arrays are
        checked by content (NOTE [index content checks]); with ``key`` its signature must match.

        Raises:
            IndexFileError: the file is not a regular file, truncated, corrupted, of another
                format version, built on other data, another oversampler or other classes,
                holds arrays no fit could have written, or (with ``key``) is not signed by it.
        """
        self._check_params(X)
        labels = [int(c) for c, n in sorted(target_counts.items()) if n > 0]
        tensors = self._read_index(path, X, y, labels, key=key)
        self._restore(X, y, labels, {name: t.to(X.device) for name, t in tensors.items()})
        return self

    def _read_index(
        self,
        path: str | os.PathLike[str],
        X: Any,
        y: torch.Tensor,
        labels: list[int],
        *,
        key: bytes | None,
        fingerprint: str | None = None,
    ) -> dict[str, torch.Tensor]:
        """The arrays of the index file at ``path``, read bounded by what ``X`` (a tensor or
        an out-of-core source with ``shape``), ``y`` and this oversampler imply and checked by
        content (NOTE [index content checks]); ``fingerprint`` when X is hashed out of core."""
        rules = index_rules(self)
        layout = index_layout(rules, int(X.shape[0]), len(labels))
        expected = self._meta(X, y, fingerprint=fingerprint)
        backend = expected.pop("neighbors", None)
        meta, arrays = read_index(path, expected=expected, layout=layout, key=key)
        if backend is not None:
            check_index_backend(path, meta, backend)
        return check_index_arrays(path, rules, arrays, y, labels)

    def _restore(self, X: torch.Tensor, y: torch.Tensor, labels: list[int], tensors: dict[str, torch.Tensor]) -> None:
        """The fitted state from an index's arrays, whose row indices are rows of ``X``."""
        counts = tensors["pool_count"].tolist()
        splits = torch.split(tensors["base_rows"], counts)
        neighbor_splits = torch.split(tensors["neighbors"], counts) if "neighbors" in tensors else [None] * len(counts)
        self._set_pools(X, y, labels, [ClassPool(b, n) for b, n in zip(splits, neighbor_splits)])
        self._load_arrays(tensors)
