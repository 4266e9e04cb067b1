"""``BalancedSampler``: each epoch's class mix, reproducible from ``(seed, epoch)``, DDP-aware."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch
import torch.distributed as dist
from torch.utils.data import DistributedSampler

from imbalance_torch._random import absorb
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
        position = torch.searchsorted(torch.tensor(self.class_labels), labels)
        self._rows_by_class = torch.argsort(position, stable=True)
        self._position = position
        self.epoch_size = int(self._keep.sum() + self._add.sum())
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

    def epoch_indices(self, epoch: int | None = None) -> torch.Tensor:
        """The whole epoch's dataset indices (all ranks, before sharding), int64 on CPU."""
        epoch = self.epoch if epoch is None else epoch
        g = self._generator(epoch)
        n = len(self._labels)
        if bool((self._keep < self._counts).any()):
            perm = torch.randperm(n, generator=g)
            order = torch.argsort(self._position[perm], stable=True)
            grouped = perm[order]
            grouped_position = self._position[grouped]
            rank_in_class = torch.arange(n) - self._class_start[grouped_position]
            kept = grouped[rank_in_class < self._keep[grouped_position]]
            kept = kept.sort().values
        else:
            kept = torch.arange(n)
        kept_position = self._position[kept]
        added_position = torch.repeat_interleave(torch.arange(len(self.class_labels)), self._add)
        if self._synthetic:
            slot = torch.arange(len(added_position)) - torch.repeat_interleave(torch.cumsum(self._add, 0) - self._add, self._add)
            fitted = torch.tensor(self.dataset.classes, dtype=torch.int64)
            dataset_position = torch.searchsorted(fitted, torch.tensor(self.class_labels)[added_position])
            added = encode(epoch, dataset_position, slot)
        else:
            offset = (torch.rand(len(added_position), generator=g, dtype=torch.float64) * self._counts[added_position]).long()
            offset = torch.minimum(offset, self._counts[added_position] - 1)
            added = self._rows_by_class[self._class_start[added_position] + offset]
        indices = torch.cat([kept, added])
        positions = torch.cat([kept_position, added_position])
        if self.stratify_batches:
            perm = torch.randperm(len(indices), generator=g)
            indices, positions = indices[perm], positions[perm]
            order = torch.argsort(positions, stable=True)
            sizes = torch.bincount(positions, minlength=len(self.class_labels))
            start = torch.cumsum(sizes, 0) - sizes
            rank_in_class = torch.empty_like(order)
            rank_in_class[order] = torch.arange(len(order)) - start[positions[order]]
            phase = torch.rand(len(self.class_labels), generator=g, dtype=torch.float64)
            key = (rank_in_class.to(torch.float64) + phase[positions]) / sizes[positions].to(torch.float64)
            indices = indices[torch.argsort(key, stable=True)]
        elif self.shuffle:
            indices = indices[torch.randperm(len(indices), generator=g)]
        return indices

    def shard(self, epoch: int | None = None) -> torch.Tensor:
        """This rank's share of the epoch (strided; padded or cut to ``num_samples``)."""
        indices = self.epoch_indices(epoch)
        if self.total_size > len(indices):
            repeats = math.ceil((self.total_size - len(indices)) / len(indices))
            indices = torch.cat([indices] + [indices] * repeats)[: self.total_size]
        else:
            indices = indices[: self.total_size]
        return indices[self.rank : self.total_size : self.num_replicas]

    def __iter__(self) -> Iterator[Any]:
        shard = self.shard()
        if self.batch_size is None:
            return iter(shard.tolist())
        batches = list(shard.split(self.batch_size))
        if self.drop_last_batch and batches and len(batches[-1]) < self.batch_size:
            batches.pop()
        return iter(batches)

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
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore :meth:`state_dict`; the next iteration then reproduces that epoch exactly.

        Raises:
            ValueError: the state comes from another version, seed or class mix.
        """
        if not isinstance(state, dict) or state.get("version") != _STATE_VERSION:
            raise ValueError(f"state is not a BalancedSampler state of version {_STATE_VERSION}: {describe(state)}.")
        mine = self.state_dict()
        for key in ("seed", "epoch_size", "epoch_counts"):
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
