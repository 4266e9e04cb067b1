"""``BalancedSampler``: each epoch's class mix, reproducible from ``(seed, epoch)``, DDP-aware."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch
import torch.distributed as dist
from torch.utils.data import DistributedSampler

from imbalance_torch._random import absorb, key_table, uniform_int, words
from imbalance_torch._search import block_of
from imbalance_torch._validation import as_label_tensor, check_positive_int, check_seed, describe
from imbalance_torch.data._encoding import MAX_EPOCH, encode
from imbalance_torch.targets import (
    SamplingStrategy,
    class_counts,
    oversampling_targets,
    undersampling_targets,
)

__all__ = ["BalancedSampler"]

_STATE_VERSION = 1


class BalancedSampler(DistributedSampler):
    """Decides which real rows and which synthetic (or duplicated) rows form each epoch.

    Per epoch, for every class: under-sampling keeps a random subset of its rows (drawn afresh
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

    Args:
        dataset: a :class:`SMOTEDataset`, or any map-style dataset together with ``labels``.
        labels: one class label per row of ``dataset``; taken from a :class:`SMOTEDataset`
            when omitted.
        oversampling: target after over-sampling, an imbalanced-learn ``sampling_strategy``
            applied to the counts left by under-sampling (``"auto"``: every class up to the
            largest; a float ``r``: minority = ``r`` x majority), or ``None`` for none.
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
        oversampling: SamplingStrategy | None = "auto",
        undersampling: SamplingStrategy | None = None,
        seed: int = 0,
        shuffle: bool = True,
        batch_size: int | None = None,
        stratify_batches: bool = False,
        drop_last: bool = False,
        drop_last_batch: bool = False,
        num_replicas: int | None = None,
        rank: int | None = None,
    ) -> None:
        self.seed = check_seed(seed)
        for name, flag in (("shuffle", shuffle), ("stratify_batches", stratify_batches), ("drop_last", drop_last), ("drop_last_batch", drop_last_batch)):
            if not isinstance(flag, bool):
                raise TypeError(f"{name} must be a bool; got {describe(flag)}.")
        self.batch_size = None if batch_size is None else check_positive_int(batch_size, "batch_size")
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
        self.oversampling = oversampling
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
        self._labels = labels
        counts = class_counts(labels)
        keep = dict(counts)
        if undersampling is not None:
            keep.update(undersampling_targets(labels, undersampling))
        add: dict[int, int] = {}
        if oversampling is not None:
            kept_labels = np.repeat(np.array(list(keep)), np.array(list(keep.values())))
            add = {c: n for c, n in oversampling_targets(kept_labels, oversampling).items() if n > 0}
        if self._synthetic:
            missing = sorted(set(add) - set(dataset.classes))
            if missing:
                raise ValueError(
                    f"oversampling={describe(oversampling)} adds rows to class(es) {missing}, but "
                    f"the SMOTEDataset was fitted to over-sample {dataset.classes} only; include "
                    f"them in the dataset's sampling_strategy."
                )
        self.class_labels = sorted(counts)
        self._counts = torch.tensor([counts[c] for c in self.class_labels])
        self._keep = torch.tensor([keep[c] for c in self.class_labels])
        self._add = torch.tensor([add.get(c, 0) for c in self.class_labels])
        self._class_start = torch.cumsum(self._counts, 0) - self._counts
        self._add_end = torch.cumsum(self._add, 0)
        self._add_start = self._add_end - self._add
        self._num_kept = int(self._keep.sum())
        self._position = torch.searchsorted(torch.tensor(self.class_labels), labels)
        # rows grouped by class: only needed to draw duplicates (any dataset but SMOTEDataset)
        self._rows_by_class = None if self._synthetic else torch.argsort(self._position, stable=True)
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
        if bool((self._keep < self._counts).any()):
            n = len(self._labels)
            perm = torch.randperm(n, generator=g)
            grouped = perm[torch.argsort(self._position[perm], stable=True)]
            del perm
            grouped_position = self._position[grouped]
            rank_in_class = torch.arange(n) - self._class_start[grouped_position]
            plan["kept"] = grouped[rank_in_class < self._keep[grouped_position]].to(self._index_dtype)
        if self.shuffle and not self.stratify_batches:
            plan["perm"] = torch.randperm(self.epoch_size, generator=g, dtype=self._index_dtype)
        if self.stratify_batches:
            plan["order"] = self._stratified_order(plan, g)
        self._plan_cache = plan
        return plan

    def _elements(self, plan: dict[str, Any], positions: torch.Tensor) -> torch.Tensor:
        """Dataset indices of the virtual list E at ``positions`` (int64 on CPU)."""
        num_kept = self._num_kept
        out = torch.empty_like(positions)
        is_kept = positions < num_kept
        kept_at = is_kept.nonzero().squeeze(1)
        if len(kept_at):
            where = positions.index_select(0, kept_at)
            out.index_copy_(0, kept_at, where if plan["kept"] is None else plan["kept"].index_select(0, where).long())
        added_at = (~is_kept).nonzero().squeeze(1)
        if len(added_at):
            j = positions.index_select(0, added_at) - num_kept
            block = block_of(j, self._add_end)
            local = j - self._add_start.index_select(0, block)
            if self._synthetic:
                values = encode(plan["epoch"], self._dataset_position.index_select(0, block), local)
            else:
                keys = plan["duplicate_keys"].index_select(0, block)
                offset = uniform_int(words(keys, local, 7), self._counts.index_select(0, block))
                values = self._rows_by_class.index_select(0, self._class_start.index_select(0, block) + offset)
            out.index_copy_(0, added_at, values)
        return out

    def _duplicate_keys(self, epoch: int) -> torch.Tensor:
        return key_table(self.class_labels, (self.seed, epoch), (1,))

    def _stratified_order(self, plan: dict[str, Any], g: torch.Generator) -> torch.Tensor:
        """Positions of E in an order that spreads every class evenly (random within class)."""
        size = self.epoch_size
        positions = torch.cat([
            torch.repeat_interleave(torch.arange(len(self.class_labels)), self._keep),
            torch.repeat_interleave(torch.arange(len(self.class_labels)), self._add),
        ])
        # classes of the kept block are class-major only with under-sampling; without it the
        # kept rows are in index order
        if plan["kept"] is None:
            positions[: self._num_kept] = self._position
        perm = torch.randperm(size, generator=g)
        classes = positions[perm]
        order = torch.argsort(classes, stable=True)
        sizes = torch.bincount(classes, minlength=len(self.class_labels))
        start = torch.cumsum(sizes, 0) - sizes
        rank_in_class = torch.empty_like(order)
        rank_in_class[order] = torch.arange(size) - start[classes[order]]
        phase = torch.rand(len(self.class_labels), generator=g, dtype=torch.float64)
        key = (rank_in_class.to(torch.float64) + phase[classes]) / sizes[classes].to(torch.float64)
        return perm[torch.argsort(key, stable=True)].to(self._index_dtype)

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

    def _shard_positions(self, start: int, stop: int) -> torch.Tensor:
        """Epoch positions of this rank's shard items ``start .. stop - 1`` (padding wraps)."""
        return (torch.arange(start, stop) * self.num_replicas + self.rank) % self.epoch_size

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
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore :meth:`state_dict`; the next iteration then reproduces that epoch exactly.

        Raises:
            ValueError: the state comes from another version, seed or class mix.
        """
        if not isinstance(state, dict) or state.get("version") != _STATE_VERSION:
            raise ValueError(f"state is not a BalancedSampler state of version {_STATE_VERSION}: {describe(state)}.")
        mine = self.state_dict()
        for key in ("seed", "epoch_size", "epoch_counts", "shuffle", "stratify_batches", "synthetic"):
            if state.get(key) != mine[key]:
                raise ValueError(
                    f"cannot restore a BalancedSampler state with {key}={describe(state.get(key))} "
                    f"into one with {key}={describe(mine[key])}; build the sampler with the same "
                    f"data and settings as the run that saved it."
                )
        self.set_epoch(int(state["epoch"]))


def _world(num_replicas: int | None, rank: int | None) -> tuple[int, int]:
    initialised = dist.is_available() and dist.is_initialized()
    if num_replicas is None:
        num_replicas = dist.get_world_size() if initialised else 1
    if rank is None:
        rank = dist.get_rank() if initialised else 0
    num_replicas = check_positive_int(num_replicas, "num_replicas")
    rank = check_positive_int(rank, "rank", minimum=0)
    if rank >= num_replicas:
        raise ValueError(f"rank={rank} must be below num_replicas={num_replicas}.")
    return num_replicas, rank
