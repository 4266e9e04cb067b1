"""``EmbeddingSMOTECallback``: representation-space SMOTE in a Lightning fit.

The model is split into an encoder and a head (two sub-modules, named by ``layer`` and
``head``). At the start of every ``every_n_epochs``-th epoch the callback embeds the training
rows with the current encoder (no grad, eval mode) and rebuilds the neighbour index
(:class:`imbalance_torch.embedding.EmbeddingSMOTE`, NOTE [refreshed index]); in
``training_step`` the model passes its batch's embeddings through
:func:`add_synthetic_embeddings`, which appends that batch's synthetic embeddings and their
labels before the head. The refresh's cost is logged (``embedding_smote_refresh_s``) and kept
in :attr:`EmbeddingSMOTECallback.refreshes`.
"""

from __future__ import annotations

import time
from typing import Any

import torch
from lightning.pytorch import Callback, LightningModule, Trainer
from torch import Tensor, nn

from imbalance_torch.embedding import EmbeddingSMOTE, embed

__all__ = ["EmbeddingSMOTECallback", "add_synthetic_embeddings"]

_ATTRIBUTE = "_embedding_smote"


class EmbeddingSMOTECallback(Callback):
    """Representation-space SMOTE for a model with an encoder and a head.

    Args:
        layer: name of the encoder sub-module (``model.<layer>``): rows -> ``(b, d)``.
        head: name of the head sub-module: embeddings -> logits.
        every_n_epochs: refresh the index every this many epochs (1: every epoch).
        k_neighbors: neighbours of the default SMOTE.
        sampling_strategy: imbalanced-learn's ``sampling_strategy`` on the training rows
            (default ``"auto"``: every class up to the largest; a float is the
            minority/majority ratio of a binary task).
        seed: seed of every draw (a pure function of ``(seed, epoch, slot)``).
        label_mode: ``"hard"`` or ``"soft"`` targets for the synthetic embeddings.
        oversampler: another unfitted SMOTE-family over-sampler instead of SMOTE.
        features: ``(n, ...)`` training rows to embed; default: the data module's
            ``split_tensors("train")``.
        labels: ``(n,)`` their classes (with ``features``).
        batch_size: rows per forward pass of a refresh.

    Raises:
        ValueError: ``every_n_epochs`` < 1; (at fit) a model without the named encoder or
            head sub-modules, or no training rows to embed.
    """

    def __init__(
        self,
        layer: str = "encoder",
        head: str = "head",
        every_n_epochs: int = 1,
        k_neighbors: int = 5,
        sampling_strategy: Any = "auto",
        seed: int = 0,
        label_mode: str = "hard",
        oversampler: Any = None,
        features: Tensor | None = None,
        labels: Tensor | None = None,
        batch_size: int = 4096,
    ) -> None:
        if isinstance(every_n_epochs, bool) or not isinstance(every_n_epochs, int) or every_n_epochs < 1:
            raise ValueError(f"every_n_epochs must be an int >= 1, got {every_n_epochs!r}.")
        if (features is None) != (labels is None):
            raise ValueError("give features and labels together (or neither: the data module's train split).")
        self.layer, self.head, self.every_n_epochs = layer, head, every_n_epochs
        self.features, self.labels, self.batch_size = features, labels, batch_size
        self.engine = EmbeddingSMOTE(
            oversampler=oversampler, k_neighbors=k_neighbors,
            sampling_strategy=sampling_strategy, seed=seed, label_mode=label_mode,
        )
        self.refreshes: list[dict[str, float]] = []
        self._epoch = 0
        self._world = (1, 0)

    # -- checks and data ---------------------------------------------------------------------
    def _parts(self, module: LightningModule) -> tuple[nn.Module, nn.Module]:
        parts = []
        for argument, name in (("layer", self.layer), ("head", self.head)):
            part = getattr(module, name, None)
            if not isinstance(part, nn.Module):
                children = ", ".join(n for n, _ in module.named_children()) or "none"
                raise ValueError(
                    f"{argument}={name!r}: {type(module).__name__} has no sub-module of that name "
                    f"(its sub-modules: {children}); split the model into an encoder and a head "
                    "and name them with layer= and head=."
                )
            parts.append(part)
        return parts[0], parts[1]

    def _rows(self, trainer: Trainer, device: torch.device) -> tuple[Tensor, Tensor]:
        if self.features is not None:
            return self.features.to(device), self.labels.to(device)  # type: ignore[union-attr]
        datamodule = getattr(trainer, "datamodule", None)
        if datamodule is None or not hasattr(datamodule, "split_tensors"):
            raise ValueError(
                "EmbeddingSMOTECallback needs the training rows: pass features= and labels=, or "
                "fit with a data module that has split_tensors('train') (ImbalanceDataModule)."
            )
        features, labels = datamodule.split_tensors("train")
        return features.to(device), labels.to(device)

    # -- Lightning hooks ---------------------------------------------------------------------
    def setup(self, trainer: Trainer, pl_module: LightningModule, stage: str) -> None:  # noqa: D102
        self._parts(pl_module)
        setattr(pl_module, _ATTRIBUTE, self)
        self._world = (int(trainer.world_size), int(trainer.global_rank))

    def on_train_epoch_start(self, trainer: Trainer, pl_module: LightningModule) -> None:  # noqa: D102
        self._epoch = int(trainer.current_epoch)
        due = self.engine.index_epoch_ is None or self._epoch - self.engine.index_epoch_ >= self.every_n_epochs
        if not due:
            return
        encoder, _ = self._parts(pl_module)
        start = time.perf_counter()
        features, labels = self._rows(trainer, pl_module.device)
        embeddings = embed(encoder, features, batch_size=self.batch_size)
        embedded = time.perf_counter() - start
        indexed = self.engine.refresh(embeddings, labels, epoch=self._epoch)
        record = {"epoch": float(self._epoch), "embed_s": embedded, "index_s": indexed, "total_s": embedded + indexed}
        self.refreshes.append(record)
        pl_module.log("embedding_smote_refresh_s", record["total_s"], on_step=False, on_epoch=True)

    def augment(self, embeddings: Tensor, target: Tensor, batch_idx: int, num_batches: int) -> tuple[Tensor, Tensor]:
        """The batch's embeddings and targets with its synthetic ones appended (hard targets
        become probabilities when ``label_mode="soft"``). Under DDP each rank takes its own
        share of the epoch's slots."""
        world, rank = self._world
        part = self.engine.batch(epoch=self._epoch, batch=batch_idx * world + rank, num_batches=num_batches * world)
        synthetic = part.embeddings.to(embeddings.device, embeddings.dtype)
        extra = part.target.to(target.device)
        if extra.dim() == 2 and target.dim() == 1:
            target = nn.functional.one_hot(target.long(), extra.shape[1]).to(extra.dtype)
        if extra.dim() == 2:
            extra = extra.to(target.dtype)
        return torch.cat([embeddings, synthetic]), torch.cat([target, extra])

    def state_dict(self) -> dict[str, Any]:  # noqa: D102
        return {"engine": self.engine.state_dict(), "refreshes": list(self.refreshes)}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:  # noqa: D102
        self.engine.load_state_dict(state_dict.get("engine") or {})
        self.refreshes = list(state_dict.get("refreshes") or [])


def add_synthetic_embeddings(
    module: LightningModule, embeddings: Tensor, target: Tensor, batch_idx: int
) -> tuple[Tensor, Tensor]:
    """In ``training_step``: the batch's ``embeddings`` (the encoder's output) and ``target``
    with the :class:`EmbeddingSMOTECallback`'s synthetic embeddings for this batch appended;
    unchanged when the fit has no such callback.

    Returns:
        ``(embeddings, target)`` with the ``m`` synthetic rows appended: embeddings ``(b, d)``
        become ``(b + m, d)``; a target of class codes ``(b,)`` becomes ``(b + m,)``, or
        ``(b + m, C)`` probabilities with ``label_mode="soft"`` (as does a ``(b, C)`` target).
    """
    callback = getattr(module, _ATTRIBUTE, None)
    if callback is None:
        return embeddings, target
    return callback.augment(embeddings, target, batch_idx, int(module.trainer.num_training_batches))
