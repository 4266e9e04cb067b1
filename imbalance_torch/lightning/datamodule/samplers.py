"""Batch-index samplers and loaders for in-memory tensors (the fast loader path)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import torch
from torch import Tensor
from torch.utils.data import DataLoader, Dataset, DistributedSampler

from imbalance_torch._validation import check_int

__all__ = ["EvalShardSampler", "RowsDataset", "ShuffledBatchSampler", "eval_loader", "identity_collate"]

# NOTE [plain batches]: the natural-ratio arm ("none") and the frozen-SMOTE arm need a plain
# shuffle of every index of their dataset, nothing resampled. This sampler yields that shuffle
# as int64 index tensors, one per batch, like BalancedSampler(batch_size=...), so every arm
# takes the same fast path (one gather per batch). It is a DistributedSampler subclass, so
# Lightning does not wrap it, and each rank takes a disjoint strided share of the epoch.
# On a SMOTEDataset its indices are plain (not epoch-encoded), so the dataset serves the
# synthetic rows of its own `epoch` attribute, which nothing advances: the frozen arm.


class ShuffledBatchSampler(DistributedSampler):
    """Every index of a dataset once per epoch, shuffled, as index tensors of ``batch_size``.

    A pure function of ``(seed, epoch, rank, num_replicas)``; see NOTE [plain batches].

    Args:
        dataset: the dataset to index (only its length is used).
        batch_size: indices per yielded tensor.
        seed: shuffle seed.
        num_replicas: DDP world size (1 without DDP).
        rank: this process's rank.
        drop_last: drop the tail so every rank gets the same number of rows (otherwise the
            epoch is padded by repeating its first indices, like ``DistributedSampler``).
        labels: the class of every index of ``dataset`` (``(len(dataset),)``), for
            :meth:`epoch_counts`; optional.
    """

    def __init__(
        self,
        dataset: Dataset,
        *,
        batch_size: int,
        seed: int = 0,
        num_replicas: int = 1,
        rank: int = 0,
        drop_last: bool = False,
        labels: Tensor | None = None,
    ) -> None:
        batch_size = check_int("batch_size", batch_size, minimum=1)
        if labels is not None and (not isinstance(labels, Tensor) or labels.shape != (len(dataset),)):  # type: ignore[arg-type]
            raise ValueError(
                f"labels must be a tensor of one class per index of the dataset "
                f"({len(dataset)},), got {getattr(labels, 'shape', type(labels).__name__)}."  # type: ignore[arg-type]
            )
        self.labels = labels
        super().__init__(
            dataset,  # type: ignore[arg-type]
            num_replicas=num_replicas,
            rank=rank,
            shuffle=True,
            seed=seed,
            drop_last=drop_last,
        )
        self.batch_size = batch_size

    def epoch_counts(self) -> dict[int, int]:
        """Rows of each class in every epoch (every index once), before sharding; like
        ``BalancedSampler.epoch_counts``.

        Raises:
            ValueError: the sampler was built without ``labels``.
        """
        if self.labels is None:
            raise ValueError(
                "epoch_counts needs the class of every index: build the sampler with "
                "ShuffledBatchSampler(dataset, labels=..., batch_size=...)."
            )
        classes, counts = torch.unique(self.labels, return_counts=True)
        return {int(c): int(n) for c, n in zip(classes, counts)}

    def _rank_indices(self) -> Tensor:
        mixed = np.random.SeedSequence([self.seed, self.epoch]).generate_state(1, np.uint64)[0]
        generator = torch.Generator().manual_seed(int(mixed) & 0x7FFF_FFFF_FFFF_FFFF)
        order = torch.randperm(len(self.dataset), generator=generator)  # type: ignore[arg-type]
        if self.drop_last:
            order = order[: self.total_size]
        elif order.numel() < self.total_size:
            repeats = -(-self.total_size // max(order.numel(), 1))
            order = order.repeat(repeats)[: self.total_size]
        return order[self.rank : self.total_size : self.num_replicas]

    def __iter__(self) -> Iterator[Tensor]:  # type: ignore[override]
        yield from torch.split(self._rank_indices(), self.batch_size)

    def __len__(self) -> int:
        return -(-self.num_samples // self.batch_size)

    def state_dict(self) -> dict[str, Any]:
        """The epoch, plus the settings a restored sampler must match."""
        return {"version": 1, "epoch": self.epoch, "seed": self.seed, "num_rows": len(self.dataset)}  # type: ignore[arg-type]

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore :meth:`state_dict`; the next iteration reproduces that epoch exactly.

        Raises:
            ValueError: the state comes from another seed or dataset size.
        """
        mine = self.state_dict()
        for key in ("version", "seed", "num_rows"):
            if not isinstance(state, dict) or state.get(key) != mine[key]:
                raise ValueError(
                    f"cannot restore a ShuffledBatchSampler state with {key}="
                    f"{state.get(key) if isinstance(state, dict) else state!r} into one with "
                    f"{key}={mine[key]!r}; build it with the data and seed of the saved run."
                )
        self.set_epoch(int(state["epoch"]))


class EvalShardSampler(DistributedSampler):
    """Rank ``r`` of ``n`` evaluates rows ``r, r + n, r + 2n, ...``: every row exactly once.

    Unlike ``DistributedSampler`` it never pads with repeated rows, so a validation or test
    split keeps its natural class ratio exactly under DDP (torchmetrics gathers shards of
    unequal length). A ``DistributedSampler`` subclass, so Lightning leaves it in place.
    """

    def __init__(self, dataset: Dataset, *, num_replicas: int, rank: int) -> None:
        super().__init__(dataset, num_replicas=num_replicas, rank=rank, shuffle=False)  # type: ignore[arg-type]

    def __iter__(self) -> Iterator[int]:  # type: ignore[override]
        return iter(range(self.rank, len(self.dataset), self.num_replicas))  # type: ignore[arg-type]

    def __len__(self) -> int:
        return len(range(self.rank, len(self.dataset), self.num_replicas))  # type: ignore[arg-type]


class RowsDataset(Dataset):
    """Feature and label tensors with a batched ``__getitems__`` (one gather per batch).

    Use with :func:`identity_collate`: ``DataLoader(rows, batch_size=B,
    collate_fn=identity_collate)`` yields ``(features (B, d), labels (B,))``. It is a plain
    natural-ratio loader that Lightning can still shard with its ``DistributedSampler``.
    """

    def __init__(self, features: Tensor, labels: Tensor) -> None:
        self.features = features
        self.labels = labels

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    def __getitem__(self, index: int) -> tuple[Tensor, Tensor]:
        return self.features[index], self.labels[index]

    def __getitems__(self, indices: list[int]) -> tuple[Tensor, Tensor]:
        index = torch.as_tensor(indices, dtype=torch.int64)
        return self.features[index], self.labels[index]


def identity_collate(batch: tuple[Tensor, Tensor]) -> tuple[Tensor, Tensor]:
    """Collate for datasets whose ``__getitems__`` already returns a whole batch."""
    return batch


def eval_loader(
    features: Tensor, labels: Tensor, *, batch_size: int, num_replicas: int = 1, rank: int = 0
) -> DataLoader:
    """A validation/test loader: every row once at its natural ratio, in order, in batches
    of ``batch_size``; under DDP each rank gets its :class:`EvalShardSampler` share."""
    rows = RowsDataset(features, labels)
    sampler = EvalShardSampler(rows, num_replicas=num_replicas, rank=rank) if num_replicas > 1 else None
    return DataLoader(rows, batch_size=batch_size, sampler=sampler, shuffle=False, collate_fn=identity_collate)
