"""The train split as served per epoch: the training dataset and its samplers.

Built from one :class:`~imbalance_torch.lightning.strategies.Resampler` entry: a
``SMOTEDataset`` (with the oversampler the entry builds) for synthetic strategies, plain rows
otherwise; a ``BalancedSampler`` with the entry's sampler arguments (and its cleaning method,
fitted once on the real rows), or a plain shuffle
(:class:`~imbalance_torch.lightning.datamodule.samplers.ShuffledBatchSampler`) for the natural and the
frozen-synthetic epochs. The rows per class of an epoch are always the sampler's answer
(``epoch_counts``), never recomputed here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import Tensor
from torch.utils.data import TensorDataset

from imbalance_torch.lightning.datamodule.samplers import ShuffledBatchSampler
from imbalance_torch.lightning.strategies import Resampler, sampling_strategy

__all__ = ["RowIdsDataset", "TrainingData"]


class TrainingData:
    """The training dataset of one resampling strategy and its per-rank samplers.

    Args:
        features: ``(n, d)`` preprocessed train features.
        labels: ``(n,)`` train class codes.
        resampler: the strategy's table entry.
        settings: the data module's settings (``ratio``, ``resampling_options`` merged,
            ``frozen_synthetic``, ``sampler_seed``, ``batch_size``).
        categorical_features: indices of the categorical columns (every SMOTE variant gets
            them).
    """

    def __init__(
        self,
        features: Tensor,
        labels: Tensor,
        *,
        resampler: Resampler,
        settings: Mapping[str, Any],
        categorical_features: Sequence[int] = (),
    ) -> None:
        self.resampler = resampler
        self.settings = dict(settings)
        self.features, self.labels = features, labels
        resampler.check_columns(categorical_features, int(features.shape[1]))
        if resampler.cleaner is not None and self.settings["frozen_synthetic"]:
            raise ValueError(
                f"frozen_synthetic=True serves one fixed epoch with a plain shuffle of every row, "
                f"so resampling={resampler.name!r} could not leave out the real rows its cleaning "
                "drops; set frozen_synthetic: false (the real rows are still cleaned only once, "
                "at fit)."
            )
        if resampler.synthetic:
            from imbalance_torch import SMOTEDataset

            self.dataset: Any = SMOTEDataset(
                features,
                labels,
                oversampler=resampler.build_oversampler(
                    settings["resampling_options"], categorical_features, settings["ratio"]
                ),
                sampling_strategy=sampling_strategy(settings["ratio"]),
                seed=settings["sampler_seed"],
            )
        else:
            self.dataset = TensorDataset(features, labels)
        self._index_labels: Tensor | None = None
        self._epoch_counts: dict[int, int] | None = None
        self._samplers: dict[tuple[int, int], Any] = {}

    @property
    def plain_shuffle(self) -> bool:
        """Whether every epoch is every index of the dataset once (natural or frozen)."""
        return self.resampler.sampler_arguments(self.settings["ratio"]) is None or bool(
            self.settings["frozen_synthetic"]
        )

    def _labels_of_every_index(self) -> Tensor:
        # NOTE [plain batches]: a plain shuffle serves every index once, so its class counts
        # are the labels of every index, synthetic ones (of the frozen epoch 0) included.
        if self._index_labels is None:
            if self.resampler.synthetic:
                index = torch.arange(len(self.dataset))
                self._index_labels = self.dataset.provenance(index)["label"].cpu()
            else:
                self._index_labels = self.labels
        return self._index_labels

    def sampler(self, *, num_replicas: int = 1, rank: int = 0) -> Any:
        """The training sampler (yields index tensors of ``batch_size``) of one DDP rank, built
        once per rank: the epoch counts and the training loader ask for the same one, so a
        cleaning strategy's cleaner is fitted once per run, not once per question."""
        key = (num_replicas, rank)
        if key not in self._samplers:
            self._samplers[key] = self._build_sampler(num_replicas=num_replicas, rank=rank)
        return self._samplers[key]

    def _build_sampler(self, *, num_replicas: int, rank: int) -> Any:
        common = {
            "batch_size": self.settings["batch_size"],
            "seed": self.settings["sampler_seed"],
            "num_replicas": num_replicas,
            "rank": rank,
        }
        if self.plain_shuffle:
            return ShuffledBatchSampler(self.dataset, labels=self._labels_of_every_index(), **common)
        from imbalance_torch import BalancedSampler

        # On a SMOTEDataset no oversampling is passed: the sampler serves the dataset's own
        # targets (NOTE [one epoch mix]), so len(dataset) is the epoch.
        arguments = self.resampler.sampler_arguments(self.settings["ratio"]) or {}
        labels = None if self.resampler.synthetic else self.labels
        cleaning = self.resampler.build_cleaner(self.settings["ratio"])
        if cleaning is not None:
            # NOTE [cleaned rows] in data/_sampler.py: fitted here on every real train row; a
            # SMOTEDataset lends its own features, plain rows pass them.
            arguments["cleaning"] = cleaning
            if not self.resampler.synthetic:
                arguments["features"] = self.features
        return BalancedSampler(self.dataset, labels=labels, **arguments, **common)

    def epoch_counts(self, num_classes: int) -> list[int]:
        """Rows of each class in every training epoch, as the sampler serves them."""
        if self._epoch_counts is None:
            self._epoch_counts = self.sampler().epoch_counts()
        return [int(self._epoch_counts.get(c, 0)) for c in range(num_classes)]

    def crossing_share(self, *, k: int = 5, max_rows: int = 5000) -> float | None:
        """Share of synthetic rows whose ``k`` nearest real train rows are mostly of another
        class (interpolation that crossed into another class's region).

        Uses epoch 0's synthetic rows (at most ``max_rows`` of them, evenly spaced). Returns
        None for strategies that make no synthetic rows.
        """
        dataset = self.dataset
        if not self.resampler.synthetic or dataset.num_synthetic == 0:
            return None
        from imbalance_torch.neighbors import kneighbors

        step = max(1, dataset.num_synthetic // max_rows)
        index = torch.arange(dataset.num_real, len(dataset), step)[:max_rows]
        previous = dataset.epoch
        dataset.set_epoch(0)
        rows, labels = dataset[index]
        dataset.set_epoch(previous)
        _, neighbors = kneighbors(rows, dataset.features, k)
        other = (dataset.labels[neighbors] != labels[:, None]).float().mean(dim=1)
        return float((other > 0.5).float().mean())


class RowIdsDataset:
    """The training dataset with each served row's base row id: batches ``(features, labels,
    ids)`` for losses that keep per-row state (issue 23's ranking losses).

    The id of a real row is its position in the training split; a synthetic row's is its base
    row's (``SMOTEDataset.provenance``): the per-row state estimates a real positive's rank
    statistics, and a row interpolated from it shares them (NOTE [row ids of the ranking
    losses] in ``imbalance_torch/losses/_ranking.py``).

    Args:
        dataset: the training dataset (a ``SMOTEDataset`` or rows indexed by position).
    """

    def __init__(self, dataset: Any) -> None:
        self.dataset = dataset

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, index: Any) -> tuple[Tensor, Tensor, Tensor]:
        features, labels = self.dataset[index]
        if hasattr(self.dataset, "provenance"):
            ids = self.dataset.provenance(index)["base_index"]
        else:
            ids = torch.as_tensor(index, dtype=torch.int64)
        return features, labels, ids.to(labels.device)
