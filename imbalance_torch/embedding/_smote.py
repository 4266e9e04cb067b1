"""Representation-space SMOTE: the library's "fit once, generate per (seed, epoch, slot)"
engine applied to embeddings that a training encoder produces, on an index refreshed as it
trains.

NOTE [refreshed index]: SMOTE's premise (a point between two minority rows is a plausible
minority row) fails on raw images and any input space where straight lines leave the data;
in a learned representation the classes are closer to linear (DOS, Ando and Huang 2017). The
embeddings move as the encoder trains, so :meth:`EmbeddingSMOTE.refresh` embeds the training
rows again (no grad, eval mode) and rebuilds the neighbour index, which is a
:class:`~imbalance_torch.SMOTEDataset` over the embeddings: the synthetic embedding of
``(epoch, slot)`` is exactly the row ``SMOTEDataset(embeddings, labels, oversampler,
sampling_strategy, seed)`` serves for that slot, so with a frozen encoder this *is* SMOTE on
the embeddings. The refresh keeps the embeddings and labels it indexed
(:meth:`~EmbeddingSMOTE.state_dict`), so a resumed fit rebuilds the same index and draws the
same synthetic embeddings although the encoder has moved on since. Each epoch's synthetic
slots are dealt to its batches round-robin (slot ``s`` to batch ``s mod num_batches``), so
every batch holds its share of every over-sampled class.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn

from imbalance_torch._validation import check_positive_int, check_seed

__all__ = ["EmbeddingSMOTE", "SyntheticEmbeddings", "embed"]

LABEL_MODES = ("hard", "soft")


@torch.no_grad()
def embed(encoder: Callable[[Tensor], Tensor], features: Tensor, *, batch_size: int = 4096) -> Tensor:
    """``encoder(features)`` in chunks of ``batch_size`` rows, without gradients and with a
    module in eval mode (dropout and batch-norm statistics off), its mode restored after.

    Args:
        encoder: a module or function mapping ``(b, ...)`` inputs to ``(b, d)`` embeddings.
        features: ``(n, ...)`` inputs, on the encoder's device.
        batch_size: rows per forward pass.

    Returns:
        ``(n, d)`` embeddings (detached).

    Raises:
        ValueError: ``batch_size`` < 1, or an encoder whose output is not ``(b, d)``.
    """
    check_positive_int(batch_size, "batch_size")
    training = isinstance(encoder, nn.Module) and encoder.training
    if isinstance(encoder, nn.Module):
        encoder.eval()
    try:
        chunks = [encoder(features[i : i + batch_size]) for i in range(0, len(features), batch_size)]
    finally:
        if training:
            encoder.train()
    out = torch.cat(chunks) if chunks else features.new_zeros((0, 0))
    if out.dim() != 2:
        raise ValueError(
            f"the encoder must map each row to a vector ((b, d) output), got shape "
            f"{tuple(out.shape)}; flatten its output (e.g. end it with nn.Flatten())."
        )
    return out.detach()


@dataclass(frozen=True)
class SyntheticEmbeddings:
    """One batch's synthetic embeddings.

    Attributes:
        embeddings: ``(m, d)`` synthetic embeddings.
        target: ``(m,)`` class codes (``label_mode="hard"``) or ``(m, C)`` probabilities
            (``"soft"``: ``(1 - gap) * e_base + gap * e_neighbour``).
        base_index: ``(m,)`` the real row each was interpolated from (a row of the refresh).
        neighbor_index: ``(m,)`` its neighbour row (``-1`` for random over-sampling).
        gap: ``(m,)`` the interpolation gap in ``[0, 1)``.
        slot: ``(m,)`` the synthetic slot within the epoch.
        index_epoch: the epoch of the refresh whose index drew them.
    """

    embeddings: Tensor
    target: Tensor
    base_index: Tensor
    neighbor_index: Tensor
    gap: Tensor
    slot: Tensor
    index_epoch: int


class EmbeddingSMOTE:
    """SMOTE on embeddings, with an index refreshed from the current encoder (NOTE [refreshed
    index]).

    Args:
        oversampler: the unfitted over-sampler of the SMOTE family that draws the rows
            (default ``SMOTE(k_neighbors=k_neighbors)``; ``BorderlineSMOTE(kind="borderline-2")``
            interpolates towards other classes too, where ``label_mode="soft"`` matters).
        k_neighbors: neighbours of the default ``SMOTE`` (ignored with ``oversampler``).
        sampling_strategy: imbalanced-learn's ``sampling_strategy`` (default ``"auto"``: every
            class up to the largest), counted on the refreshed rows.
        seed: seed of every draw.
        label_mode: ``"hard"`` (the synthetic row's class) or ``"soft"`` (a probability
            vector: the gap's share goes to the neighbour's class; equal to the hard label
            where base and neighbour share a class).

    Raises:
        ValueError: a ``label_mode`` other than ``hard``/``soft``; bad ``k_neighbors`` or
            ``seed`` (from the core checks).

    References:
        Ando and Huang, "Deep Over-sampling Framework for Classifying Imbalanced Data",
        ECML-PKDD 2017; Chawla et al., "SMOTE", JAIR 2002.

    Example:
        >>> import torch
        >>> from torch import nn
        >>> encoder = nn.Linear(4, 3)
        >>> x = torch.randn(60, 4, generator=torch.Generator().manual_seed(0))
        >>> y = torch.tensor([0] * 50 + [1] * 10)
        >>> engine = EmbeddingSMOTE(k_neighbors=3, seed=0)
        >>> _ = engine.refresh(embed(encoder, x), y, epoch=0)
        >>> part = engine.batch(epoch=0, batch=0, num_batches=4)
        >>> part.embeddings.shape, part.target.unique().tolist()
        (torch.Size([10, 3]), [1])
    """

    def __init__(
        self,
        *,
        oversampler: Any = None,
        k_neighbors: int = 5,
        sampling_strategy: Any = "auto",
        seed: int = 0,
        label_mode: str = "hard",
    ) -> None:
        if label_mode not in LABEL_MODES:
            raise ValueError(f"label_mode must be 'hard' or 'soft', got {label_mode!r}.")
        self.k_neighbors = check_positive_int(k_neighbors, "k_neighbors")
        self.seed = check_seed(seed)
        self.oversampler = oversampler
        self.sampling_strategy = sampling_strategy
        self.label_mode = label_mode
        self.dataset_: Any = None
        self.index_epoch_: int | None = None
        self.refresh_seconds_: float | None = None

    def _fresh_oversampler(self) -> Any:
        if self.oversampler is None:
            from imbalance_torch import SMOTE

            return SMOTE(k_neighbors=self.k_neighbors)
        # a fresh, unfitted copy for every refresh (the family's get_params are its arguments)
        return type(self.oversampler)(**self.oversampler.get_params())

    def refresh(self, embeddings: Tensor, labels: Tensor, *, epoch: int) -> float:
        """Index ``embeddings`` (one row per training row) for the epochs from ``epoch`` on.

        Args:
            embeddings: ``(n, d)`` embeddings of the training rows (:func:`embed`).
            labels: ``(n,)`` their class codes.
            epoch: the epoch this index serves from (kept in provenance).

        Returns:
            The refresh's wall time in seconds (the index build; also
            :attr:`refresh_seconds_`).

        Raises:
            ValueError: shapes that do not match, or a class too small for the neighbours
                (the core SMOTE messages).
        """
        from imbalance_torch import SMOTEDataset

        epoch = check_seed(epoch, "epoch")
        if embeddings.dim() != 2 or labels.shape != (embeddings.shape[0],):
            raise ValueError(
                f"embeddings must be (n, d) with labels (n,), got {tuple(embeddings.shape)} "
                f"and {tuple(labels.shape)}; embed the same rows whose labels you pass."
            )
        start = time.perf_counter()
        self.dataset_ = SMOTEDataset(
            embeddings.detach(), labels, oversampler=self._fresh_oversampler(),
            sampling_strategy=self.sampling_strategy, seed=self.seed,
        )
        self.index_epoch_ = epoch
        self.num_classes_ = int(labels.max()) + 1 if len(labels) else 0
        self.refresh_seconds_ = time.perf_counter() - start
        return self.refresh_seconds_

    @property
    def num_synthetic(self) -> int:
        """Synthetic embeddings per epoch (0 before the first refresh)."""
        return 0 if self.dataset_ is None else int(self.dataset_.num_synthetic)

    def batch(self, *, epoch: int, batch: int, num_batches: int) -> SyntheticEmbeddings:
        """The synthetic embeddings of batch ``batch`` of ``num_batches`` in ``epoch``: the
        epoch's slots ``batch, batch + num_batches, ...`` (a pure function of the refresh,
        ``seed``, ``epoch`` and the slots).

        Raises:
            RuntimeError: before the first :meth:`refresh`.
            ValueError: ``batch`` outside ``[0, num_batches)``.
        """
        if self.dataset_ is None:
            raise RuntimeError("call refresh(embeddings, labels, epoch=...) before drawing batches.")
        check_positive_int(num_batches, "num_batches")
        if isinstance(batch, bool) or not isinstance(batch, int) or not 0 <= batch < num_batches:
            raise ValueError(f"batch must be an int in [0, num_batches={num_batches}), got {batch!r}.")
        dataset = self.dataset_
        dataset.set_epoch(check_seed(epoch, "epoch"))
        slots = torch.arange(batch, dataset.num_synthetic, num_batches, dtype=torch.int64)
        index = slots + dataset.num_real
        embeddings, labels = dataset.fetch(index)
        origin = dataset.provenance(index)
        target: Tensor = labels
        if self.label_mode == "soft":
            target = _soft_labels(labels, origin, dataset.labels, self.num_classes_).to(embeddings.dtype)
        return SyntheticEmbeddings(
            embeddings, target, origin["base_index"], origin["neighbor_index"],
            origin["gap"], slots, int(self.index_epoch_),  # type: ignore[arg-type]
        )

    def state_dict(self) -> dict[str, Any]:
        """The refreshed rows and the refresh epoch (plain tensors and ints), enough to
        rebuild the same index: a resumed fit draws the same synthetic embeddings."""
        if self.dataset_ is None:
            return {}
        return {
            "embeddings": self.dataset_.features, "labels": self.dataset_.labels,
            "index_epoch": int(self.index_epoch_),  # type: ignore[arg-type]
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Rebuild the index of a saved refresh (:meth:`state_dict`)."""
        if state:
            self.refresh(state["embeddings"], state["labels"], epoch=int(state["index_epoch"]))


def _soft_labels(labels: Tensor, origin: dict[str, Tensor], real: Tensor, num_classes: int) -> Tensor:
    """``(1 - gap) * e_label + gap * e_neighbour_label`` per row (hard where they agree)."""
    probs = torch.nn.functional.one_hot(labels, num_classes).to(torch.float64)
    neighbor = origin["neighbor_index"]
    has = neighbor >= 0
    if bool(has.any()):
        other = real.index_select(0, neighbor[has].to(real.device)).to(labels.device)
        gap = origin["gap"][has].to(torch.float64)
        rows = has.nonzero().squeeze(1)
        probs[rows] *= (1.0 - gap).unsqueeze(1)
        probs[rows, other] += gap
    return probs
