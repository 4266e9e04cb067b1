"""``BalancedSampler``: each epoch's class mix, reproducible from ``(seed, epoch)``, DDP-aware."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch
import torch.distributed as dist
from torch.utils.data import DistributedSampler

from imbalance_torch._memory import check_fits_in_memory
from imbalance_torch._random import STREAM_DUPLICATE, absorb, key_table, uniform_int, words
from imbalance_torch._search import block_of
from imbalance_torch._validation import (
    as_feature_tensor,
    as_label_tensor,
    check_int,
    check_seed,
    describe,
)
from imbalance_torch.data._encoding import MAX_EPOCH, encode
from imbalance_torch.targets import (
    SamplingStrategy,
    class_counts,
    oversampling_targets,
    undersampling_targets,
)
from imbalance_torch.undersample import Cleaner

__all__ = ["BalancedSampler"]

_STATE_VERSION = 2  # 2: under-sampled rows drawn per class (other rows than version 1)


class _DatasetTargets:
    """The default of ``oversampling``: a :class:`SMOTEDataset`'s own targets, else ``"auto"``."""

    def __repr__(self) -> str:
        return "DATASET_TARGETS"


DATASET_TARGETS = _DatasetTargets()


class BalancedSampler(DistributedSampler):
    """Decides which real rows and which synthetic (or duplicated) rows form each epoch.

    Once, at construction, an optional ``cleaning`` method (:mod:`imbalance_torch.undersample`)
    selects the real rows that may be served (NOTE [cleaned rows]). Per epoch, for every
    class: under-sampling keeps a random subset of its rows (drawn afresh
    each epoch, without replacement), then over-sampling adds rows up to the target mix:
    synthetic slots on a :class:`SMOTEDataset`, duplicates drawn uniformly with replacement on
    any other dataset. Counts are exact and fixed across epochs; which rows is a pure function
    of ``(seed, epoch)`` (a fresh ``torch.Generator`` per epoch, seeded by a 64-bit hash). A
    class is chosen before a row, so there is no ``torch.multinomial`` and no 2**24-row limit.

    It subclasses :class:`~torch.utils.data.DistributedSampler` so Lightning neither wraps nor
    replaces it and calls :meth:`set_epoch` on it directly. Every rank computes the same epoch
    and takes a strided shard: shards are disjoint and of equal length; when the epoch size is
    not a multiple of ``num_replicas`` the shards are padded with rows from the start of the
    epoch (``drop_last=False``, torch's rule) or the tail is dropped (``drop_last=True``).

    With ``stratify_batches=True`` each rank instead takes a contiguous window of the
    stratified epoch (NOTE [stratified shards]), so every rank's batches hold the class mix.

    Args:
        dataset: a :class:`SMOTEDataset`, or any map-style dataset together with ``labels``.
        labels: one class label per row of ``dataset``; taken from a :class:`SMOTEDataset`
            when omitted.
        oversampling: rows added per epoch. Default: on a :class:`SMOTEDataset` exactly the
            dataset's own ``target_counts`` (its ``sampling_strategy``), so ``len(dataset)`` is
            the epoch served; on any other dataset ``"auto"``. Otherwise an imbalanced-learn
            ``sampling_strategy`` applied to the counts left by under-sampling (``"auto"``:
            every class up to the largest; a float ``r``: minority = ``r`` x majority), or
            ``None`` for none. On a :class:`SMOTEDataset`, an explicit value whose counts
            differ from the dataset's is an override: the dataset then serves this sampler's
            counts (its ``len``, ``target_counts`` and ``num_synthetic`` follow, see
            NOTE [one epoch mix]); a second sampler overriding the same dataset with other
            counts is refused.
        undersampling: rows to keep per class, applied first (RandomUnderSampler semantics: a
            float ``r`` keeps ``int(N_min / r)`` majority rows; a dict ``{class: rows}``), or
            ``None``. Example for "keep 10% of the majority and fill the minority to 1:3":
            ``undersampling={0: n0 // 10}, oversampling=1/3``.
        seed: non-negative int.
        shuffle: shuffle the epoch (``False`` keeps kept rows in index order, then added rows).
        batch_size: if given, yield one int64 index tensor per batch (use
            ``DataLoader(dataset, sampler=sampler, batch_size=None)``: the fast path); else
            yield ints.
        stratify_batches: spread every class evenly through the epoch so that each batch holds
            the epoch's class mix (within one row per class).
        drop_last: for ``num_replicas > 1``, drop the tail instead of padding.
        drop_last_batch: in batch mode, drop each rank's last incomplete batch.
        num_replicas: DDP world size (default: from ``torch.distributed`` if initialised,
            else 1).
        rank: this process's rank (same default rule).
        cleaning: an unfitted cleaning method such as
            :class:`~imbalance_torch.undersample.EditedNearestNeighbours` or
            :class:`~imbalance_torch.undersample.TomekLinks`, or ``None`` (default). It is
            fitted here, once, on every real row (``features`` and the labels); the rows it
            drops are never served, and every count above (``undersampling``,
            ``oversampling``, :meth:`epoch_counts`) is computed on the kept rows only
            (NOTE [cleaned rows]). See :attr:`kept_rows` and :meth:`dropped_counts`.
        features: ``(n, d)`` features of the real rows, for ``cleaning`` only (tensor, array
            or DataFrame, one row per dataset row). Default: a :class:`SMOTEDataset`'s own
            ``features``; required with ``cleaning`` on any other dataset; unused (and not
            read) without ``cleaning``, so a config can switch cleaning on and off alone.

    Raises:
        TypeError: ``cleaning`` that is not a cleaning method, or ``cleaning`` without
            ``features`` on a dataset that is not a :class:`SMOTEDataset`.
        ValueError: ``features`` whose row count differs from the dataset's, or a cleaning
            method whose arguments do not fit the data (its own message).

    Example:
        >>> import torch
        >>> from torch.utils.data import TensorDataset
        >>> y = torch.tensor([0] * 90 + [1] * 10)
        >>> ds = TensorDataset(torch.randn(100, 3), y)
        >>> sampler = BalancedSampler(ds, labels=y, oversampling=0.5, seed=0)
        >>> sampler.epoch_counts()
        {0: 90, 1: 45}
    """

    def __init__(
        self,
        dataset: Any,
        labels: Any = None,
        *,
        oversampling: SamplingStrategy | None | _DatasetTargets = DATASET_TARGETS,
        undersampling: SamplingStrategy | None = None,
        seed: int = 0,
        shuffle: bool = True,
        batch_size: int | None = None,
        stratify_batches: bool = False,
        drop_last: bool = False,
        drop_last_batch: bool = False,
        num_replicas: int | None = None,
        rank: int | None = None,
        cleaning: Cleaner | None = None,
        features: Any = None,
    ) -> None:
        self.seed = check_seed(seed)
        for name, flag in (("shuffle", shuffle), ("stratify_batches", stratify_batches), ("drop_last", drop_last), ("drop_last_batch", drop_last_batch)):
            if not isinstance(flag, bool):
                raise TypeError(f"{name} must be a bool; got {describe(flag)}.")
        self.batch_size = None if batch_size is None else check_int("batch_size", batch_size, minimum=1)
        if drop_last_batch and batch_size is None:
            raise ValueError(
                "drop_last_batch=True needs batch_size: without it the sampler yields single "
                "indices (use DataLoader(drop_last=True) with the DataLoader's batch_size instead)."
            )
        self.num_replicas, self.rank = _world(num_replicas, rank)
        self.dataset = dataset
        self.shuffle = shuffle
        self.stratify_batches = stratify_batches
        self.drop_last = drop_last
        self.drop_last_batch = drop_last_batch
        self.undersampling = undersampling
        self.epoch = 0

        self._synthetic = hasattr(dataset, "synthetic_indices") and hasattr(dataset, "num_real")
        if labels is None:
            if not self._synthetic:
                raise TypeError(
                    f"labels is required for a {type(dataset).__name__}: pass one class label per "
                    f"row, e.g. BalancedSampler(dataset, labels=y). (Labels are only read from "
                    f"a SMOTEDataset.)"
                )
            labels = dataset.labels
        num_rows = dataset.num_real if self._synthetic else len(dataset)
        device = labels.device if isinstance(labels, torch.Tensor) else torch.device("cpu")
        labels = as_label_tensor(labels, num_rows, device, "labels").cpu()
        if len(labels) == 0:
            raise ValueError("the dataset is empty (0 labels); a sampler needs at least one row of two classes.")
        # NOTE [cleaned rows]: cleaning is a fit-time selection of real rows (NOTE [cleaning is
        # a selection]). The sampler keeps `_kept_rows` (sorted dataset indices) and works on
        # the kept rows only: `_labels`, `_position` and every row id of the epoch plan are
        # local to the kept rows and mapped back through `_kept_rows` when indices are
        # emitted (`_elements`), so a dropped row can appear in no epoch, shard or batch, and
        # every count is a count of kept rows. Synthetic slots are the dataset's (its
        # over-sampler was fitted on all real rows; only which real rows are served changes).
        self.cleaning = cleaning
        self._all_counts = class_counts(labels)
        self._kept_rows: torch.Tensor | None = None
        if cleaning is not None:
            self._kept_rows = _clean(cleaning, dataset, features, labels, self._synthetic)
            labels = labels.index_select(0, self._kept_rows)
        self._labels = labels
        counts = {c: 0 for c in self._all_counts} | class_counts(labels)
        keep = dict(counts)
        if undersampling is not None:
            keep.update(undersampling_targets(labels, undersampling) if len(labels) else {})
        add: dict[int, int] = {}
        if isinstance(oversampling, _DatasetTargets):
            if self._synthetic:
                add = {c: n for c, n in dataset.target_counts.items() if n > 0}
            else:
                oversampling = "auto"
        if oversampling is not None and not isinstance(oversampling, _DatasetTargets):
            kept_labels = np.repeat(np.array(list(keep)), np.array(list(keep.values()), dtype=np.int64))
            add = {c: n for c, n in oversampling_targets(kept_labels, oversampling).items() if n > 0}
        self.oversampling = oversampling
        # an epoch plan holds one permutation of the epoch (int32 per row, int64 beyond 2**31;
        # a stratified order about five int64 tensors of that length): refuse, before any
        # allocation, an epoch that could never fit
        epoch_size = sum(keep.values()) + sum(add.values())
        per_row = 40 if stratify_batches else (4 if epoch_size < 2**31 else 8)
        check_fits_in_memory(
            epoch_size * per_row,
            what=f"an epoch of {epoch_size:,} rows (rows added per class: {add})",
            fix="lower oversampling, or under-sample the majority",
        )
        if self._synthetic:
            missing = sorted(set(add) - set(dataset.classes))
            if missing:
                raise ValueError(
                    f"oversampling={describe(oversampling)} adds rows to class(es) {missing}, but "
                    f"the SMOTEDataset was fitted to over-sample {dataset.classes} only; include "
                    f"them in the dataset's sampling_strategy."
                )
            # NOTE [one epoch mix]: the sampler is the one place a target mix becomes counts;
            # the dataset serves exactly these counts (len, target_counts, plain indices).
            dataset.serve_counts(add, source=f"BalancedSampler(oversampling={describe(oversampling)})")
        self.class_labels = sorted(counts)
        self._counts = torch.tensor([counts[c] for c in self.class_labels])
        self._keep = torch.tensor([keep[c] for c in self.class_labels])
        self._add = torch.tensor([add.get(c, 0) for c in self.class_labels])
        self._class_start = torch.cumsum(self._counts, 0) - self._counts
        self._add_end = torch.cumsum(self._add, 0)
        self._add_start = self._add_end - self._add
        self._num_kept = int(self._keep.sum())
        self._position = torch.searchsorted(torch.tensor(self.class_labels), labels)
        # rows grouped by class: to draw duplicates (any dataset but SMOTEDataset) and under-sample
        self._undersampled = bool((self._keep < self._counts).any())
        self._rows_by_class = (
            None if self._synthetic and not self._undersampled else torch.argsort(self._position, stable=True)
        )
        if self._synthetic:
            fitted = torch.tensor(dataset.classes, dtype=torch.int64)
            self._dataset_position = torch.searchsorted(fitted, torch.tensor(self.class_labels)).clamp_(max=max(len(fitted) - 1, 0))
        self.epoch_size = int(self._keep.sum() + self._add.sum())
        self._index_dtype = torch.int32 if self.epoch_size < 2**31 and len(labels) < 2**31 else torch.int64

        if self.epoch_size == 0:
            raise ValueError("the sampling targets leave an empty epoch; keep or add at least one row.")
        if drop_last and self.epoch_size % self.num_replicas:
            self.num_samples = self.epoch_size // self.num_replicas
        else:
            self.num_samples = math.ceil(self.epoch_size / self.num_replicas)
        if self.num_samples == 0:
            raise ValueError(
                f"an epoch of {self.epoch_size} rows cannot give each of num_replicas="
                f"{self.num_replicas} ranks a row with drop_last=True; use drop_last=False."
            )
        self.total_size = self.num_samples * self.num_replicas

    # -- the epoch ---------------------------------------------------------------------------
    def epoch_counts(self) -> dict[int, int]:
        """Rows of each class in every epoch (kept real rows + added rows), before sharding."""
        return {c: int(k + a) for c, k, a in zip(self.class_labels, self._keep, self._add)}

    def added_counts(self) -> dict[int, int]:
        """Synthetic (or duplicated) rows of each class per epoch."""
        return {c: int(a) for c, a in zip(self.class_labels, self._add)}

    @property
    def kept_rows(self) -> torch.Tensor:
        """``(n_kept,)`` sorted int64 indices of the real rows this sampler may serve: those
        ``cleaning`` kept, or every real row without it (NOTE [cleaned rows])."""
        if self._kept_rows is None:
            return torch.arange(len(self._labels))
        return self._kept_rows.clone()

    def dropped_counts(self) -> dict[int, int]:
        """Real rows of each class that ``cleaning`` removed (never served); all 0 without it."""
        return {c: self._all_counts[c] - int(n) for c, n in zip(self.class_labels, self._counts)}

    def set_epoch(self, epoch: int) -> None:
        """Select the epoch; the next iteration yields exactly that epoch's rows."""
        epoch = check_seed(epoch, "epoch")
        if epoch > MAX_EPOCH:
            raise ValueError(f"epoch={epoch} is above the supported {MAX_EPOCH}.")
        self.epoch = epoch

    def _generator(self, epoch: int) -> torch.Generator:
        return torch.Generator().manual_seed(absorb(self.seed, epoch) & (2**63 - 1))

    # NOTE [epoch plan]: an epoch is a virtual list E of `epoch_size` dataset indices: the kept
    # real rows (class by class), then the added rows (class blocks of synthetic slots or
    # duplicates). Only what cannot be computed per position is stored: the shuffle (one int32
    # permutation) and, when under-sampling, the kept rows. Batches are computed from their
    # positions, so an epoch never holds an int64 array of its indices (nor the encoded
    # synthetic indices) in memory, whatever its size.
    def _plan(self, epoch: int) -> dict[str, Any]:
        cached = getattr(self, "_plan_cache", None)
        if cached is not None and cached["epoch"] == epoch:
            return cached
        g = self._generator(epoch)
        plan: dict[str, Any] = {"epoch": epoch, "kept": None, "perm": None}
        if not self._synthetic:
            plan["duplicate_keys"] = self._duplicate_keys(epoch)
        if self._undersampled:
            plan["kept"] = self._kept_rows_of_epoch(g)
        if self.shuffle and not self.stratify_batches:
            plan["perm"] = torch.randperm(self.epoch_size, generator=g, dtype=self._index_dtype)
        if self.stratify_batches:
            plan["order"] = self._stratified_order(plan, g)
        self._plan_cache = plan
        return plan

    def _kept_rows_of_epoch(self, g: torch.Generator) -> torch.Tensor:
        """The real rows under-sampling keeps this epoch, class by class: a fresh subset
        (without replacement) of each under-sampled class, every row of the others. One
        permutation per under-sampled class of its own rows (no sort of all rows), since an
        under-sampled epoch can be a single batch and this runs every epoch."""
        parts = []
        for start, count, keep in zip(self._class_start.tolist(), self._counts.tolist(), self._keep.tolist()):
            rows = self._rows_by_class[start : start + count]
            if keep < count:
                rows = rows.index_select(0, torch.randperm(count, generator=g)[:keep])
            parts.append(rows)
        return torch.cat(parts).to(self._index_dtype)

    def _elements(self, plan: dict[str, Any], positions: torch.Tensor) -> torch.Tensor:
        """Dataset indices of the virtual list E at ``positions`` (int64 on CPU)."""
        num_kept = self._num_kept
        out = torch.empty_like(positions)
        is_kept = positions < num_kept
        kept_at = is_kept.nonzero().squeeze(1)
        if len(kept_at):
            where = positions.index_select(0, kept_at)
            local = where if plan["kept"] is None else plan["kept"].index_select(0, where).long()
            out.index_copy_(0, kept_at, local if self._kept_rows is None else self._kept_rows.index_select(0, local))
        added_at = (~is_kept).nonzero().squeeze(1)
        if len(added_at):
            j = positions.index_select(0, added_at) - num_kept
            block = block_of(j, self._add_end)
            local = j - self._add_start.index_select(0, block)
            if self._synthetic:
                values = encode(plan["epoch"], self._dataset_position.index_select(0, block), local)
            else:
                keys = plan["duplicate_keys"].index_select(0, block)
                offset = uniform_int(words(keys, local, STREAM_DUPLICATE), self._counts.index_select(0, block))
                values = self._rows_by_class.index_select(0, self._class_start.index_select(0, block) + offset)
                if self._kept_rows is not None:
                    values = self._kept_rows.index_select(0, values)
            out.index_copy_(0, added_at, values)
        return out

    def _duplicate_keys(self, epoch: int) -> torch.Tensor:
        return key_table(self.class_labels, (self.seed, epoch), (1,))

    def _stratified_order(self, plan: dict[str, Any], g: torch.Generator) -> torch.Tensor:
        """Positions of E in an order whose every batch (of every rank, NOTE [stratified
        shards]) holds each class's share of the epoch within one row (random within class)."""
        size = self.epoch_size
        num_classes = len(self.class_labels)
        positions = torch.cat([
            torch.repeat_interleave(torch.arange(num_classes), self._keep),
            torch.repeat_interleave(torch.arange(num_classes), self._add),
        ])
        # classes of the kept block are class-major only with under-sampling; without it the
        # kept rows are in index order
        if plan["kept"] is None:
            positions[: self._num_kept] = self._position
        # each class's positions of E, in a random order
        perm = torch.randperm(size, generator=g)
        by_class = perm[torch.argsort(positions[perm], stable=True)]
        totals = (self._keep + self._add).tolist()
        class_start = torch.tensor([0] + totals[:-1]).cumsum(0)
        # which class sits at each place of the order, batch by batch
        chunks = self._chunk_sizes()
        counts = _apportion(chunks, totals)  # (chunks, classes)
        sequence = torch.repeat_interleave(
            torch.arange(num_classes).repeat(len(chunks)), counts.flatten()
        )
        # shuffle within each batch so classes are not in blocks inside a batch
        chunk_of = torch.repeat_interleave(torch.arange(len(chunks)), torch.tensor(chunks))
        within = torch.argsort(chunk_of.to(torch.float64) + torch.rand(size, generator=g, dtype=torch.float64))
        sequence = sequence[within]
        # the j-th place of class c takes the j-th of class c's shuffled positions
        order = torch.argsort(sequence, stable=True)
        rank_in_class = torch.empty_like(order)
        rank_in_class[order] = torch.arange(size) - class_start[sequence[order]]
        return by_class[class_start[sequence] + rank_in_class].to(self._index_dtype)

    def _chunk_sizes(self) -> list[int]:
        """The epoch cut into the pieces whose class mix must hold: each rank's window
        (NOTE [stratified shards]) cut into batches of ``batch_size`` (the whole window when
        the sampler yields single indices), then the dropped tail, if any."""
        size, per_rank = self.epoch_size, self.num_samples
        step = self.batch_size or per_rank
        chunks: list[int] = []
        for rank in range(self.num_replicas):
            start, stop = rank * per_rank, min((rank + 1) * per_rank, size)
            full, rest = divmod(max(stop - start, 0), step)
            chunks += [step] * full + ([rest] if rest else [])
        covered = min(self.num_replicas * per_rank, size)
        if covered < size:
            chunks.append(size - covered)
        return chunks

    def _positions_to_indices(self, plan: dict[str, Any], positions: torch.Tensor) -> torch.Tensor:
        if "order" in plan:
            positions = plan["order"].index_select(0, positions).long()
        elif plan["perm"] is not None:
            positions = plan["perm"].index_select(0, positions).long()
        return self._elements(plan, positions)

    def epoch_indices(self, epoch: int | None = None) -> torch.Tensor:
        """The whole epoch's dataset indices (all ranks, before sharding), int64 on CPU."""
        plan = self._plan(self.epoch if epoch is None else epoch)
        return self._positions_to_indices(plan, torch.arange(self.epoch_size))

    # NOTE [stratified shards]: a strided shard (item i of rank r is epoch position
    # i * num_replicas + r, torch's rule) of a stratified order picks one phase of a sequence
    # that repeats with the class mix's period: at 1:1 on 2 ranks one rank got every majority
    # row and the other every minority row. With stratify_batches each rank takes a contiguous
    # window of the stratified order instead; every window of that order, and so every rank and
    # every batch in it, holds the epoch's class mix within a row per class. Shards stay
    # disjoint, equal and complete; padding wraps to the start as before.
    def _shard_positions(self, start: int, stop: int) -> torch.Tensor:
        """Epoch positions of this rank's shard items ``start .. stop - 1`` (padding wraps)."""
        items = torch.arange(start, stop)
        if self.stratify_batches:
            return (self.rank * self.num_samples + items) % self.epoch_size
        return (items * self.num_replicas + self.rank) % self.epoch_size

    def shard(self, epoch: int | None = None) -> torch.Tensor:
        """This rank's share of the epoch (strided; padded or cut to ``num_samples``)."""
        plan = self._plan(self.epoch if epoch is None else epoch)
        return self._positions_to_indices(plan, self._shard_positions(0, self.num_samples))

    def __iter__(self) -> Iterator[Any]:
        plan = self._plan(self.epoch)
        step = self.batch_size or 8192
        count = self.num_samples
        if self.batch_size is not None and self.drop_last_batch:
            count -= count % self.batch_size
        for start in range(0, count, step):
            batch = self._positions_to_indices(plan, self._shard_positions(start, min(start + step, count)))
            if self.batch_size is None:
                yield from batch.tolist()
            else:
                yield batch

    def __len__(self) -> int:
        if self.batch_size is None:
            return self.num_samples
        if self.drop_last_batch:
            return self.num_samples // self.batch_size
        return math.ceil(self.num_samples / self.batch_size)

    # -- checkpointing -----------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """What restoring needs: the epoch, plus the settings it must match."""
        return {
            "version": _STATE_VERSION,
            "epoch": self.epoch,
            "seed": self.seed,
            "epoch_size": self.epoch_size,
            "epoch_counts": {str(k): v for k, v in self.epoch_counts().items()},
            "shuffle": self.shuffle,
            "stratify_batches": self.stratify_batches,
            "synthetic": self._synthetic,
            "dropped_counts": {str(k): v for k, v in self.dropped_counts().items() if v},
            "kept_rows": None if self._kept_rows is None else _digest(self._kept_rows),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore :meth:`state_dict`; the next iteration then reproduces that epoch exactly.

        Raises:
            ValueError: the state comes from another version, seed or class mix.
        """
        if not isinstance(state, dict) or state.get("version") != _STATE_VERSION:
            raise ValueError(f"state is not a BalancedSampler state of version {_STATE_VERSION}: {describe(state)}.")
        mine = self.state_dict()
        # states saved before cleaning existed hold no "dropped_counts"/"kept_rows": no cleaning
        absent = {"dropped_counts": {}, "kept_rows": None}
        for key in ("seed", "epoch_size", "epoch_counts", "shuffle", "stratify_batches", "synthetic", *absent):
            if state.get(key, absent.get(key)) != mine[key]:
                raise ValueError(
                    f"cannot restore a BalancedSampler state with {key}={describe(state.get(key))} "
                    f"into one with {key}={describe(mine[key])}; build the sampler with the same "
                    f"data and settings as the run that saved it."
                )
        self.set_epoch(int(state["epoch"]))


def _apportion(chunks: list[int], totals: list[int]) -> torch.Tensor:
    """``(len(chunks), len(totals))`` int64 counts: chunk ``k`` holds ``chunks[k]`` rows, class
    ``c`` holds ``totals[c]`` rows in all, and every count is the floor or the ceiling of the
    chunk's share ``chunks[k] * totals[c] / sum(totals)`` (a matrix rounding with integer row
    and column sums, which always exists).

    Chunks of one size share one fractional pattern, so each size group is rounded at once:
    the extra rows a group owes are dealt round-robin (column-major over a chunk x extra grid),
    so no class gets two extras in one chunk; groups are dealt largest first, each taking the
    classes that still owe the most among those whose share has a fraction.
    """
    n = sum(totals)
    sizes = torch.tensor(chunks, dtype=torch.int64)
    total = torch.tensor(totals, dtype=torch.int64)
    counts = sizes[:, None] * total[None, :] // n  # floors, exact integer arithmetic
    owed = total - counts.sum(0)  # extras each class still needs
    for size in sorted(set(chunks), reverse=True):
        rows = (sizes == size).nonzero().flatten()
        fraction = (size * total) % n > 0  # classes whose share has a fraction here
        extras = size - int(counts[rows[0]].sum())  # per chunk of this size
        if extras == 0:
            continue
        # how many of this group's chunks each class takes an extra in (at most one per
        # chunk): first what a class owes beyond what later (smaller) chunks could give it,
        # then the classes that owe the most
        room = len(rows)
        later = torch.zeros_like(owed)
        for other in set(chunks):
            if other < size:
                later += int((sizes == other).sum()) * ((other * total) % n > 0)
        eligible = fraction & (owed > 0)
        take = torch.where(eligible, (owed - later).clamp(0, room), 0)
        need = extras * room - int(take.sum())
        take += _water_fill(torch.where(eligible, owed - take, 0), room - take, need)
        if int(take.sum()) != extras * room:  # pragma: no cover - a matrix rounding exists
            raise RuntimeError(f"stratified batches: no rounding of {chunks} x {totals} found")
        # deal round-robin: a class's run of extras lands in distinct chunks
        sequence = torch.repeat_interleave(torch.arange(len(totals)), take)
        counts[rows[torch.arange(len(sequence)) % room], sequence] += 1
        owed -= take
    return counts


def _water_fill(owed: torch.Tensor, room: torch.Tensor, need: int) -> torch.Tensor:
    """Spread ``need`` units over classes so that what each still owes afterwards is as even
    as possible: ``add = clamp(owed - level, 0, room)`` for the lowest level that fits, the
    rest one each to the classes at the level (so no class is starved for later chunks)."""
    owed_list, room_list = owed.tolist(), room.tolist()

    def added(level: int) -> int:
        return sum(min(max(o - level, 0), r) for o, r in zip(owed_list, room_list))

    low, high = -1, max(owed_list, default=0)  # added(high) == 0 <= need
    while high - low > 1:  # smallest level with added(level) <= need
        middle = (low + high) // 2
        if added(middle) <= need:
            high = middle
        else:
            low = middle
    add = [min(max(o - high, 0), r) for o, r in zip(owed_list, room_list)]
    left = need - sum(add)
    for c, (o, r) in enumerate(zip(owed_list, room_list)):
        if left and o - high >= 0 and add[c] < r and o - add[c] > 0:
            add[c] += 1
            left -= 1
    return torch.tensor(add, dtype=torch.int64)


def _clean(cleaning: Any, dataset: Any, features: Any, labels: torch.Tensor, synthetic: bool) -> torch.Tensor:
    """Fit ``cleaning`` on the real rows; the kept rows' sorted indices (int64, CPU)."""
    if not isinstance(cleaning, Cleaner):
        raise TypeError(
            f"cleaning must be a cleaning method of imbalance_torch.undersample (e.g. "
            f"EditedNearestNeighbours()) or None; got {type(cleaning).__name__} {describe(cleaning)}."
        )
    if features is None:
        features = getattr(dataset, "features", None) if synthetic else None
        if features is None:
            raise TypeError(
                f"cleaning={cleaning!r} needs the features of every row, and a "
                f"{type(dataset).__name__} does not say what they are: pass "
                f"BalancedSampler(dataset, labels=y, cleaning=..., features=X) with one row of X per "
                f"dataset row. (A SMOTEDataset's own features are used when features is omitted.)"
            )
    features = as_feature_tensor(features, "features")
    if features.shape[0] != len(labels):
        raise ValueError(
            f"features has {features.shape[0]} rows but the dataset has {len(labels)} real rows; "
            f"pass one row of features per dataset row, in the dataset's order."
        )
    cleaning.fit(features, labels.to(features.device))
    return cleaning.sample_indices_.cpu()


def _digest(rows: torch.Tensor) -> str:
    """A short digest of the kept rows (a checkpoint must resume with the same selection)."""
    return hashlib.sha256(memoryview(rows.contiguous().numpy()).cast("B")).hexdigest()[:16]


def _world(num_replicas: int | None, rank: int | None) -> tuple[int, int]:
    initialised = dist.is_available() and dist.is_initialized()
    if num_replicas is None:
        num_replicas = dist.get_world_size() if initialised else 1
    if rank is None:
        rank = dist.get_rank() if initialised else 0
    num_replicas = check_int("num_replicas", num_replicas, minimum=1)
    rank = check_int("rank", rank, minimum=0)
    if rank >= num_replicas:
        raise ValueError(f"rank={rank} must be below num_replicas={num_replicas}.")
    return num_replicas, rank
