"""Per-epoch filtering of synthetic rows: ``safe=`` (the safe-region rule) and ``filter=``
(Tomek links, edited nearest neighbours) on every member of the SMOTE family.

NOTE [per-epoch filtering]: a filtered oversampler checks each synthetic row against the real
training rows as it is generated. A row the rule rejects is replaced by the next attempt of its
own slot: attempt ``a`` is the same draw (base row, neighbour, gap) with the class key table
re-keyed by ``words(table, a, STREAM_FILTER_ATTEMPT)`` (attempt 0 is the unfiltered draw, so an
accepted first attempt is exactly the row plain SMOTE gives). Counts therefore stay exact, and
a row stays a pure function of ``(seed, epoch, class, slot)``: the same with any number of
workers, any batch size, any rank. The loop runs over attempts, never over rows: each attempt
redraws the rejected rows of the batch at once.

At most :data:`MAX_ATTEMPTS` attempts are made. At fit, first attempts of a fixed probe
(:data:`PROBE_DRAWS` per class, keyed apart from every ``(seed, epoch)``) measure each class's
acceptance rate (``acceptance_``); a class below :data:`MIN_ACCEPTANCE` is refused with the
rate, since its rows would need many draws and some would exhaust the attempts. A row that
still exhausts them (expected share ``(1 - rate) ** MAX_ATTEMPTS``, about 0.1 % at the floor)
takes one of its class's *reserve* rows: accepted probe draws, chosen by the slot number. So
every served synthetic row passes the rule (as the chosen search computes it), and
:func:`filter_report` counts how many came from the reserve.

The rules look at real rows only. imbalanced-learn's ``SMOTETomek`` / ``SMOTEENN`` clean the
whole resampled set once, synthetic rows included: there a synthetic row's neighbours may be
other synthetic rows, and a real row can be removed because of a synthetic one. Here the real
rows are cleaned once at fit (``BalancedSampler(cleaning=...)``, on real rows only) and each
epoch's synthetic rows are checked against the real rows only.

Search (``filter_search``): ``"exact"`` finds a synthetic row's nearest real rows among all of
them (a search against every real row, per attempt). ``"candidates"`` (default) bounds the
cost: at fit, every row that can be a base row or a neighbour gets its
:data:`CANDIDATE_NEIGHBORS` nearest real rows of any class; a synthetic row's nearest real rows
are then taken from the union of its base's and its neighbour's lists (itself included), with
one small batched distance computation. The synthetic row lies on the segment between the two,
so its true neighbours are usually among theirs; benchmarks/filters.py measures how often the
two searches agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from imbalance_torch._random import STREAM_FILTER_ATTEMPT, key_table, words
from imbalance_torch._validation import check_int, describe
from imbalance_torch.neighbors import kneighbors
from imbalance_torch.oversample._base import SyntheticDraw, compute_dtype
from imbalance_torch.undersample import EditedNearestNeighbours, TomekLinks
from imbalance_torch.undersample._base import check_kind_sel, check_n_neighbors, vote

__all__ = [
    "CANDIDATE_NEIGHBORS",
    "FILTER_PARAMS",
    "FILTER_SEARCHES",
    "MAX_ATTEMPTS",
    "MIN_ACCEPTANCE",
    "PROBE_DRAWS",
    "SyntheticFilter",
    "check_filter_params",
    "filter_agreement",
    "filter_report",
    "fit_filter",
]

#: Attempts per synthetic row before it takes a reserve row (NOTE [per-epoch filtering]).
MAX_ATTEMPTS = 64
#: A class whose probe accepts fewer first attempts than this is refused at fit.
MIN_ACCEPTANCE = 0.1
#: First attempts per class in the fit-time probe.
PROBE_DRAWS = 4096
#: Nearest real rows (any class) kept per base/neighbour row for the bounded search.
CANDIDATE_NEIGHBORS = 20
#: The values of ``filter_search``.
FILTER_SEARCHES = ("candidates", "exact")
#: The constructor arguments every SMOTE-family member takes for filtering, with defaults.
FILTER_PARAMS = {"safe": False, "safe_k": 5, "filter": None, "filter_search": "candidates"}
#: Keys the probe apart from every (seed, epoch, class): a prefix no (seed, epoch) pair has.
_PROBE_PREFIX = (0x5AFE, 0xF117E4, 0x9E0BE)
_CHUNK = 4096
#: Largest (pairs x candidates) table of NOTE [distances along a segment], in elements.
_SEGMENT_BUDGET = 2**24


@dataclass(frozen=True)
class _Rule:
    """One rule: ``kind`` is ``"safe"`` (at most half of the ``k`` nearest real rows of another
    class), ``"enn"`` (edited rule with ``kind_sel``) or ``"tomek"`` (no Tomek link)."""

    kind: str
    k: int
    kind_sel: str = "all"

    def describe(self) -> str:
        if self.kind == "safe":
            return f"safe=True: at most half of the {self.k} nearest real rows of another class"
        if self.kind == "enn":
            which = "all" if self.kind_sel == "all" else "most"
            return f"EditedNearestNeighbours: {which} of the {self.k} nearest real rows of its class"
        return "TomekLinks: no Tomek link with its nearest real row"


def check_filter_params(owner: Any) -> list[_Rule]:
    """Validate ``safe``, ``safe_k``, ``filter`` and ``filter_search`` of ``owner`` (a
    SMOTE-family oversampler); the rules they name, in the order they are checked."""
    safe = getattr(owner, "safe", False)
    if not isinstance(safe, bool):
        raise TypeError(f"safe must be a bool; got {describe(safe)}. Pass safe=True to keep only synthetic rows in the class's own region.")
    safe_k = check_int("safe_k", getattr(owner, "safe_k", 5), minimum=1)
    search = getattr(owner, "filter_search", "candidates")
    if search not in FILTER_SEARCHES:
        raise ValueError(
            f"filter_search={describe(search)} is not known; use 'candidates' (bounded cost, "
            f"approximate) or 'exact' (a search against every real row per batch)."
        )
    rules = [_Rule("safe", safe_k)] if safe else []
    cleaner = getattr(owner, "filter", None)
    if cleaner is None:
        return rules
    if isinstance(cleaner, TomekLinks):
        return rules + [_Rule("tomek", 1)]
    if type(cleaner) is EditedNearestNeighbours:
        k = check_n_neighbors(cleaner.n_neighbors)
        return rules + [_Rule("enn", k, check_kind_sel(cleaner.kind_sel))]
    raise TypeError(
        f"filter must be TomekLinks(...) or EditedNearestNeighbours(...) (rules a synthetic row "
        f"can be checked against the real rows with), or None; got {type(cleaner).__name__} "
        f"{describe(cleaner)}. Other cleaning methods select real rows only: pass them to "
        f"BalancedSampler(cleaning=...)."
    )


class SyntheticFilter:
    """The fitted filter of one oversampler (``oversampler.filter_``; NOTE [per-epoch
    filtering]). Built by :func:`fit_filter`; holds tensors on the training rows' device.

    Attributes:
        rules: the rules a synthetic row must pass, all of them.
        search: ``"candidates"`` or ``"exact"``.
        acceptance_: ``{class: share}`` of the fit-time probe's first attempts accepted.
    """

    def __init__(self, oversampler: Any, rules: list[_Rule], search: str) -> None:
        self.rules = rules
        self.search = search
        X = oversampler.X_
        # distances in float32 or float64 (half precision and integer features are converted)
        self.X = X if X.dtype in (torch.float32, torch.float64) else X.to(compute_dtype(X.dtype))
        self.y = oversampler.y_
        self.labels = torch.unique(self.y)
        self.depth = max(rule.k for rule in rules)
        n = X.shape[0]
        if self.depth > n:
            name = next(("safe_k" if r.kind == "safe" else "filter.n_neighbors") for r in rules if r.k == self.depth)
            raise ValueError(f"{name}={self.depth} needs at least {self.depth} real rows; there are {n}. Lower {name} to {n}.")
        self.tomek = any(rule.kind == "tomek" for rule in rules)
        if search == "candidates":
            self._fit_candidates(oversampler)

    # -- the bounded search ------------------------------------------------------------------
    def _fit_candidates(self, oversampler: Any) -> None:
        """Per row that can be a base or a neighbour: itself and its nearest real rows."""
        involved = oversampler.base_rows_
        if oversampler.neighbors_ is not None:
            involved = torch.cat([involved, oversampler.neighbors_.flatten()])
        self.involved = torch.unique(involved)
        m = min(max(CANDIDATE_NEIGHBORS, self.depth), self.X.shape[0] - 1)
        if m > 0:
            _, near = kneighbors(self.X.index_select(0, self.involved), self.X, m, query_indices=self.involved)
            self.candidates = torch.cat([self.involved.unsqueeze(1), near], 1)
        else:
            self.candidates = self.involved.unsqueeze(1)
        if self.tomek:  # each candidate's distance to its nearest other real row
            self.universe = torch.unique(self.candidates)
            self.universe_gap = self._nearest_other(self.universe)
        self.segments: tuple[torch.Tensor, ...] | None = None
        pairs = 0 if oversampler.neighbors_ is None else oversampler.neighbors_.numel()
        on_segments = pairs and getattr(oversampler, "votes_", None) is None and oversampler.X_.is_floating_point()
        if on_segments and pairs * 2 * self.candidates.shape[1] <= _SEGMENT_BUDGET:
            self._fit_segments(oversampler.base_rows_, oversampler.neighbors_)

    def _candidate_lists(self, base: torch.Tensor, neighbor: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(near, repeated)``: the union of ``base``'s and ``neighbor``'s candidate lists,
        sorted, with the second copy of a row shared by both marked."""
        lists = self.candidates
        near = torch.cat([lists[torch.searchsorted(self.involved, base)], lists[torch.searchsorted(self.involved, neighbor)]], 1)
        near, _ = torch.sort(near, 1)
        repeated = torch.zeros_like(near, dtype=torch.bool)
        repeated[:, 1:] = near[:, 1:] == near[:, :-1]
        return near, repeated

    # NOTE [distances along a segment]: a synthetic row is s = b + g (n - b) (base b, neighbour
    # n, gap g), so for any real row c, |s - c|^2 = |b - c|^2 + g (2 (b - c).(n - b) + g |n - b|^2).
    # At fit, for every (pool entry, neighbour) pair and every candidate c of the pair, the two
    # terms that do not depend on g are stored; per synthetic row the distances to its
    # candidates are then a gather and a multiply-add of width 2 (m + 1), with no feature
    # columns read. Used when rows are plain interpolations (no categorical vote) and the
    # tables stay below _SEGMENT_BUDGET elements; otherwise the candidates' rows are gathered.
    def _fit_segments(self, base_rows: torch.Tensor, neighbors: torch.Tensor) -> None:
        k = neighbors.shape[1]
        base, neighbor = base_rows.repeat_interleave(k), neighbors.flatten()
        near, repeated = self._candidate_lists(base, neighbor)
        square = torch.empty(near.shape, dtype=self.X.dtype, device=near.device)
        cross = torch.empty_like(square)
        for start in range(0, len(base), _CHUNK):
            stop = min(start + _CHUNK, len(base))
            xb = self.X.index_select(0, base[start:stop])
            step = self.X.index_select(0, neighbor[start:stop]) - xb
            away = xb.unsqueeze(1) - self.X.index_select(0, near[start:stop].flatten()).view(stop - start, near.shape[1], -1)
            square[start:stop] = away.square().sum(2)
            cross[start:stop] = 2 * (away * step.unsqueeze(1)).sum(2)
        length = (self.X.index_select(0, neighbor) - self.X.index_select(0, base)).square().sum(1)
        square.masked_fill_(repeated, float("inf"))
        self.segments = (near, square, cross, length.unsqueeze(1), neighbors)

    def _nearest_other(self, rows: torch.Tensor) -> torch.Tensor:
        if self.X.shape[0] < 2:
            return torch.full(rows.shape, float("inf"), dtype=self.X.dtype, device=rows.device)
        distance, _ = kneighbors(self.X.index_select(0, rows), self.X, 1, query_indices=rows)
        return distance[:, 0]

    def _segment_nearest(self, draw: SyntheticDraw) -> tuple[torch.Tensor, torch.Tensor]:
        near, square, cross, length, neighbors = self.segments  # type: ignore[misc]
        choice = (neighbors.index_select(0, draw.pool) == draw.neighbor.unsqueeze(1)).to(torch.int8).argmax(1)
        pair = draw.pool * neighbors.shape[1] + choice
        gap = draw.gap.to(square.dtype).unsqueeze(1)
        distance = square.index_select(0, pair).addcmul_(gap, cross.index_select(0, pair) + gap * length.index_select(0, pair))
        if self.depth == 1:  # Tomek links alone: the nearest row
            distance, at = distance.min(1, keepdim=True)
        else:
            distance, at = torch.topk(distance, self.depth, dim=1, largest=False, sorted=True)
        return distance.clamp_(min=0).sqrt_(), near.index_select(0, pair).gather(1, at)

    def _candidate_nearest(self, rows: torch.Tensor, draw: SyntheticDraw) -> tuple[torch.Tensor, torch.Tensor]:
        if self.segments is not None:
            return self._segment_nearest(draw)
        near, repeated = self._candidate_lists(draw.base, torch.where(draw.neighbor < 0, draw.base, draw.neighbor))
        points = rows.to(self.X.dtype).unsqueeze(1)
        distance = (self.X.index_select(0, near.flatten()).view(*near.shape, -1) - points).square_().sum(2).sqrt_()
        distance.masked_fill_(repeated, float("inf"))
        distance, at = torch.topk(distance, self.depth, dim=1, largest=False, sorted=True)
        return distance, near.gather(1, at)

    # -- the rules ---------------------------------------------------------------------------
    def _nearest(self, rows: torch.Tensor, draw: SyntheticDraw) -> tuple[torch.Tensor, torch.Tensor]:
        if self.search == "exact":
            return kneighbors(rows.to(self.X.dtype), self.X, self.depth)
        return self._candidate_nearest(rows, draw)

    def _gap_of(self, rows: torch.Tensor) -> torch.Tensor:
        if self.search == "exact":
            unique, inverse = torch.unique(rows, return_inverse=True)
            return self._nearest_other(unique)[inverse]
        return self.universe_gap[torch.searchsorted(self.universe, rows.contiguous())]

    def accept(self, rows: torch.Tensor, draw: SyntheticDraw) -> torch.Tensor:
        """``(b,)`` bool: which synthetic ``rows`` (with their ``draw``) pass every rule."""
        if len(rows) > _CHUNK:
            parts = [self.accept(rows[i : i + _CHUNK], _slice(draw, i, i + _CHUNK)) for i in range(0, len(rows), _CHUNK)]
            return torch.cat(parts)
        distance, near = self._nearest(rows, draw)
        label = draw.label.unsqueeze(1)
        near_labels = self.y[near]
        ok = torch.ones(len(rows), dtype=torch.bool, device=rows.device)
        for rule in self.rules:
            own = near_labels[:, : rule.k]
            if rule.kind == "safe":
                ok &= 2 * (own != label).sum(1) <= rule.k
            elif rule.kind == "enn" and rule.kind_sel == "all":
                ok &= (own == label).all(1)
            elif rule.kind == "enn":
                ok &= vote(own, self.labels) == draw.label
            else:  # a Tomek link: its nearest real row is of another class and closer to it
                nearest = near[:, 0]  # than that row's own nearest real row
                ok &= (near_labels[:, 0] == draw.label) | (distance[:, 0] >= self._gap_of(nearest).to(distance.dtype))
        return ok

    # -- attempts ----------------------------------------------------------------------------
    @staticmethod
    def attempt_table(table: torch.Tensor, attempt: int) -> torch.Tensor:
        """The class key table of ``attempt`` (attempt 0 is ``table`` itself)."""
        if attempt == 0:
            return table
        return words(table, torch.full_like(table, attempt), STREAM_FILTER_ATTEMPT)

    def run(
        self, oversampler: Any, positions: torch.Tensor, slots: torch.Tensor, table: torch.Tensor
    ) -> tuple[SyntheticDraw, torch.Tensor, torch.Tensor]:
        """``(draw, rows, attempt)`` of accepted synthetic rows: ``attempt`` is the attempt that
        was kept per row, :data:`MAX_ATTEMPTS` for a reserve row."""
        draw = _per_row(oversampler.unfiltered_draw_at(positions, slots, table))
        rows = oversampler.rows(draw)
        attempt = torch.zeros(len(slots), dtype=torch.int64, device=slots.device)
        pending = (~self.accept(rows, draw)).nonzero().squeeze(1)
        positions = positions.expand(len(slots)) if positions.dim() == 0 else positions
        for a in range(1, MAX_ATTEMPTS):
            if len(pending) == 0:
                return draw, rows, attempt
            retry = _per_row(oversampler.unfiltered_draw_at(positions[pending], slots[pending], self.attempt_table(table, a)))
            retry_rows = oversampler.rows(retry)
            ok = self.accept(retry_rows, retry)
            _merge(draw, rows, pending[ok], retry, retry_rows, ok)
            attempt[pending[ok]] = a
            pending = pending[~ok]
        if len(pending):
            reserve = self._reserve_at(positions[pending], slots[pending])
            _merge(draw, rows, pending, _per_row(reserve), oversampler.rows(reserve), None)
            attempt[pending] = MAX_ATTEMPTS
        return draw, rows, attempt

    # -- the probe and the reserve -------------------------------------------------------------
    def probe(self, oversampler: Any) -> None:
        """Measure ``acceptance_`` per class and keep the accepted probe draws as the reserve;
        refuse a class below :data:`MIN_ACCEPTANCE` (NOTE [per-epoch filtering])."""
        device = oversampler.classes_.device
        classes = oversampler.classes_.tolist()
        table = key_table(classes, _PROBE_PREFIX, device=device)
        positions = torch.arange(len(classes), device=device).repeat_interleave(PROBE_DRAWS)
        slots = torch.arange(PROBE_DRAWS, device=device).repeat(len(classes))
        draw = _per_row(oversampler.unfiltered_draw_at(positions, slots, table))
        ok = self.accept(oversampler.rows(draw), draw)
        rates = ok.view(len(classes), PROBE_DRAWS).double().mean(1).tolist()
        self.acceptance_ = dict(zip(classes, rates))
        for label, rate in self.acceptance_.items():
            if rate < MIN_ACCEPTANCE:
                raise ValueError(self._refusal(oversampler, label, rate))
        kept = ok.nonzero().squeeze(1)
        self.reserve = _slice_at(draw, kept)
        counts = torch.bincount(positions[kept], minlength=len(classes))
        self.reserve_count = counts
        self.reserve_start = torch.cumsum(counts, 0) - counts

    def _refusal(self, oversampler: Any, label: int, rate: float) -> str:
        rules = "; ".join(rule.describe() for rule in self.rules)
        tail = ", or filter_search='exact' (the bounded search may reject rows the exact one keeps)" if self.search == "candidates" else ""
        return (
            f"{type(oversampler).__name__}'s filter accepted {rate:.1%} of class {label}'s "
            f"synthetic rows in a probe of {PROBE_DRAWS} draws (rule: {rules}); at least "
            f"{MIN_ACCEPTANCE:.0%} is needed, or rows would take about {1 / max(rate, 1e-9):.0f} "
            f"draws each and many would exhaust the {MAX_ATTEMPTS} attempts. Most of this "
            f"class's synthetic rows land among other classes' rows: lower safe_k or the "
            f"filter's n_neighbors, use kind_sel='mode'{tail}, or drop safe=True / filter=."
        )

    def _reserve_at(self, positions: torch.Tensor, slots: torch.Tensor) -> SyntheticDraw:
        count = self.reserve_count.index_select(0, positions)
        at = self.reserve_start.index_select(0, positions) + slots % count
        return _slice_at(self.reserve, at)


def fit_filter(oversampler: Any) -> SyntheticFilter | None:
    """The fitted filter of a fitted SMOTE-family ``oversampler`` (``None`` without one)."""
    rules = check_filter_params(oversampler)
    if not rules:
        return None
    fitted = SyntheticFilter(oversampler, rules, getattr(oversampler, "filter_search", "candidates"))
    fitted.probe(oversampler)
    return fitted


def filter_report(oversampler: Any, target_counts: dict[int, int], *, seed: int, epoch: int) -> dict[int, dict[str, float]]:
    """How one epoch's synthetic rows were accepted, per class.

    Args:
        oversampler: a fitted oversampler with a filter (``safe=True`` or ``filter=``).
        target_counts: ``{class: synthetic rows per epoch}``, e.g. a SMOTEDataset's
            ``target_counts``.
        seed, epoch: the epoch to report.

    Returns:
        ``{class: {"rows", "draws", "acceptance_rate", "reserve_rows"}}``: draws made,
        rows / draws, and rows that exhausted :data:`MAX_ATTEMPTS` and took a reserve row.

    Raises:
        ValueError: an oversampler without a filter.
    """
    fitted = getattr(oversampler, "filter_", None)
    if fitted is None:
        raise ValueError(f"{oversampler!r} filters nothing; pass safe=True or filter=TomekLinks()/EditedNearestNeighbours() to report on.")
    table = oversampler.class_keys(seed, epoch)
    report = {}
    for label, count in sorted(target_counts.items()):
        if count <= 0:
            continue
        positions = oversampler.class_positions(torch.full((count,), label, dtype=torch.int64, device=table.device))
        _, _, attempt = fitted.run(oversampler, positions, torch.arange(count, device=table.device), table)
        draws = int((attempt.clamp(max=MAX_ATTEMPTS - 1) + 1).sum())
        report[int(label)] = {
            "rows": count,
            "draws": draws,
            "acceptance_rate": count / draws,
            "reserve_rows": int((attempt == MAX_ATTEMPTS).sum()),
        }
    return report


def filter_agreement(oversampler: Any, target_counts: dict[int, int], *, seed: int, epoch: int) -> dict[str, float]:
    """How often the bounded search (``"candidates"``) decides as the exact one, on the first
    attempts of one epoch's synthetic rows (the same draws for both).

    Returns:
        ``{"rows", "agreement", "exact_acceptance", "candidate_acceptance",
        "false_accept", "false_reject"}``: shares of the rows; ``false_accept`` is accepted by
        the bounded search but rejected by the exact one.
    """
    rules = check_filter_params(oversampler)
    if not rules:
        raise ValueError(f"{oversampler!r} filters nothing; pass safe=True or filter=TomekLinks()/EditedNearestNeighbours() to compare searches.")
    exact, bounded = SyntheticFilter(oversampler, rules, "exact"), SyntheticFilter(oversampler, rules, "candidates")
    labels = torch.tensor([c for c, n in sorted(target_counts.items()) for _ in range(n)], dtype=torch.int64)
    slots = torch.cat([torch.arange(n) for _, n in sorted(target_counts.items())]).to(oversampler.classes_.device)
    positions = oversampler.class_positions(labels.to(slots.device))
    draw = _per_row(oversampler.unfiltered_draw_at(positions, slots, oversampler.class_keys(seed, epoch)))
    rows = oversampler.rows(draw)
    truth, guess = exact.accept(rows, draw), bounded.accept(rows, draw)
    n = max(len(rows), 1)
    return {
        "rows": len(rows),
        "agreement": float((truth == guess).sum()) / n,
        "exact_acceptance": float(truth.sum()) / n,
        "candidate_acceptance": float(guess.sum()) / n,
        "false_accept": float((guess & ~truth).sum()) / n,
        "false_reject": float((truth & ~guess).sum()) / n,
    }


# -- draws as columns ---------------------------------------------------------------------------
_FIELDS = ("label", "base", "neighbor", "gap", "pool", "keys", "slots")


def _per_row(draw: SyntheticDraw) -> SyntheticDraw:
    """``draw`` with a key per row (a one-class draw broadcasts one key)."""
    if draw.keys.dim() == 0:
        draw.keys = draw.keys.expand(len(draw.slots)).contiguous()
    return draw


def _slice(draw: SyntheticDraw, start: int, stop: int) -> SyntheticDraw:
    keys = draw.keys if draw.keys.dim() == 0 else draw.keys[start:stop]
    return SyntheticDraw(*(getattr(draw, f)[start:stop] for f in _FIELDS[:5]), keys, draw.slots[start:stop])


def _slice_at(draw: SyntheticDraw, at: torch.Tensor) -> SyntheticDraw:
    return SyntheticDraw(*(getattr(draw, f).index_select(0, at) for f in _FIELDS))


def _merge(
    draw: SyntheticDraw, rows: torch.Tensor, at: torch.Tensor, other: SyntheticDraw, other_rows: torch.Tensor, take: torch.Tensor | None
) -> None:
    """Write ``other``'s rows (those ``take`` selects, or all) into ``draw`` and ``rows`` at ``at``."""
    for name in _FIELDS:
        values = getattr(other, name)
        getattr(draw, name)[at] = values if take is None else values[take]
    rows[at] = other_rows if take is None else other_rows[take]
