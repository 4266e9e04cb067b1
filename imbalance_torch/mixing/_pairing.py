"""What Remix and MAMix share: argument checks, the seeded pairing, the Beta draw, the mix.

NOTE [mixing draws]: a batch's partners and its lambda are pure functions of
``(seed, epoch, batch)``: one 64-bit key ``absorb(MIXING_DOMAIN, seed, epoch, batch)`` feeds
:func:`imbalance_torch._random.words` (NOTE [counter-based draws]), with row numbers as
counters for the pairing and counter 0 of its own stream for lambda. No generator state, so a
restart, any number of DataLoader workers and any device give the same pairs and lambda.

The partners are one random cycle through the batch (the rows in a random order, each mixed
with the next one in that order, the last with the first): never consecutive rows, never a row
with itself (for two rows or more), so a class-sorted batch is mixed across its classes.
``torch.randperm``-style pairing would leave about one row per batch unmixed (a fixed point).

One lambda per batch, as mixup, Remix and MAMix draw it (their reference code and benchmark
figures use a scalar per batch); it is ``Beta(alpha, alpha)``'s inverse CDF
(``scipy.special.betaincinv``) at a counter-based uniform.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from scipy.special import betaincinv
from torch import Tensor

from imbalance_torch._random import absorb, uniform_float, words
from imbalance_torch._validation import check_float, check_int, check_seed, describe

__all__ = ["MixedBatch"]

#: Separates the mixing draws from every other user of ``absorb`` ("MIX").
MIXING_DOMAIN = 0x4D4958
#: The two streams under a batch key.
STREAM_PAIR = 0
STREAM_LAMBDA = 1


@dataclass(frozen=True, eq=False)
class MixedBatch:
    """A mixed batch: unpacks as ``features, target`` for a training loop.

    Attributes:
        features: ``lam * x + (1 - lam) * x[partner]``, the input's shape and dtype.
        target: Class probabilities ``(N, C)``, rows summing to 1: a target for the losses of
            :mod:`imbalance_torch.losses` (``task='multiclass'`` for the focal loss) and for
            ``torch.nn.functional.cross_entropy``.
        partner: ``(N,)`` int64: row ``i`` is mixed with row ``partner[i]``.
        lam: The batch's lambda, the weight of each row's own features.
        label_weight: ``(N,)``: the weight of each row's own class in ``target`` (the rest
            goes to its partner's class).
    """

    features: Tensor
    target: Tensor
    partner: Tensor
    lam: float
    label_weight: Tensor

    def __iter__(self) -> Iterator[Tensor]:
        yield self.features
        yield self.target


def check_alpha(alpha: object) -> float:
    """Beta(alpha, alpha)'s parameter: a finite real > 0."""
    return check_float(
        "alpha",
        alpha,
        minimum=0.0,
        low_open=True,
        fix="lambda is drawn from Beta(alpha, alpha); pass e.g. alpha=1.0 (uniform lambda) "
        "or alpha=0.2 (lambda near 0 or 1).",
    )


def check_counts(counts: object) -> Tensor:
    """The training class counts: a 1-D vector of >= 2 positive finite numbers, as float64."""
    if isinstance(counts, Tensor):
        tensor = counts.detach().cpu()
    elif isinstance(counts, (np.ndarray, Sequence)) and not isinstance(counts, (str, bytes)):
        try:
            tensor = torch.as_tensor(np.asarray(counts))
        except (TypeError, ValueError) as error:
            raise TypeError(
                f"class_counts must be a 1-D tensor, array or list of numbers, got "
                f"{describe(counts)}."
            ) from error
    else:
        raise TypeError(
            f"class_counts must be a 1-D tensor, array or list of numbers (one count per "
            f"class), got {describe(counts)} of type {type(counts).__name__}."
        )
    if tensor.dtype == torch.bool or tensor.is_complex() or not _is_real(tensor):
        raise TypeError(
            f"class_counts must hold numbers, got dtype {tensor.dtype}; pass one count per "
            "class, e.g. torch.bincount(train_labels)."
        )
    if tensor.ndim != 1 or tensor.numel() < 2:
        raise ValueError(
            f"class_counts must be 1-D with one count per class (at least 2), got shape "
            f"{tuple(tensor.shape)}; pass e.g. torch.bincount(train_labels)."
        )
    tensor = tensor.to(torch.float64)
    bad = ~torch.isfinite(tensor) | (tensor <= 0)
    if bool(bad.any()):
        index = int(bad.nonzero()[0, 0])
        raise ValueError(
            f"class_counts[{index}]={tensor[index].item()!r}: every class needs a positive, "
            "finite training count (the label rule divides by it); leave classes without "
            "training rows out of the label set."
        )
    return tensor


def _is_real(tensor: Tensor) -> bool:
    return tensor.is_floating_point() or tensor.dtype in (
        torch.uint8,
        torch.int8,
        torch.int16,
        torch.int32,
        torch.int64,
    )


def check_batch(x: object, y: object, num_classes: int) -> tuple[Tensor, Tensor]:
    """Floating features ``(N, ...)`` and integer class labels ``(N,)`` in ``[0, C)``."""
    if not isinstance(x, Tensor):
        raise TypeError(f"x must be a tensor of features, got {type(x).__name__}.")
    if not x.is_floating_point():
        raise TypeError(
            f"x has dtype {x.dtype}; mixing interpolates features, so pass floating features "
            "(e.g. x.float(), images scaled to [0, 1])."
        )
    if x.ndim == 0:
        raise ValueError("x is a 0-d tensor; pass a batch of shape (N, ...).")
    if not isinstance(y, Tensor):
        raise TypeError(f"y must be a tensor of class indices, got {type(y).__name__}.")
    if y.dtype == torch.bool or y.is_floating_point() or y.is_complex():
        raise TypeError(
            f"y has dtype {y.dtype}; pass integer class indices of shape (N,) (y.long())."
        )
    if tuple(y.shape) != (x.shape[0],):
        raise ValueError(
            f"y has shape {tuple(y.shape)}, but x holds {x.shape[0]} rows; pass one class "
            f"index per row, shape ({x.shape[0]},)."
        )
    if y.numel() > 0:
        bad = (y < 0) | (y >= num_classes)
        if bool(bad.any()):
            index = int(bad.nonzero()[0, 0])
            raise ValueError(
                f"y[{index}]={int(y[index])} is outside the classes [0, {num_classes}) of "
                f"class_counts; labels must be class indices of the training counts."
            )
    return x, y.long()


def check_lam(lam: object) -> float:
    """A given lambda: a real in [0, 1]."""
    return check_float("lam", lam, minimum=0.0, maximum=1.0, fix="lambda is a mixing weight.")


def check_partner(partner: object, num_rows: int, device: torch.device) -> Tensor:
    """A given partner index ``(N,)`` of rows of the batch."""
    if not isinstance(partner, Tensor) or partner.dtype not in (torch.int32, torch.int64):
        raise TypeError(f"partner must be an int64 tensor of row indices, got {describe(partner)}.")
    if tuple(partner.shape) != (num_rows,):
        raise ValueError(
            f"partner has shape {tuple(partner.shape)}; pass one row index per row, shape "
            f"({num_rows},)."
        )
    if num_rows and bool(((partner < 0) | (partner >= num_rows)).any()):
        raise ValueError(f"partner holds indices outside [0, {num_rows}); pass rows of the batch.")
    return partner.to(device=device, dtype=torch.int64)


def batch_key(seed: int, epoch: object, batch: object) -> int:
    """The signed 64-bit key of one batch's draws (NOTE [mixing draws])."""
    epoch = check_int("epoch", epoch, minimum=0)
    batch = check_int("batch", batch, minimum=0)
    key = absorb(MIXING_DOMAIN, seed, epoch, batch)
    return key - (1 << 64) if key >= 1 << 63 else key


def draw_partners(key: int, num_rows: int, device: torch.device) -> Tensor:
    """One random cycle through the rows: ``partner[order[k]] = order[k + 1]`` (cyclic)."""
    counters = torch.arange(num_rows, dtype=torch.int64, device=device)
    keys = torch.full((num_rows,), key, dtype=torch.int64, device=device)
    order = torch.argsort(words(keys, counters, STREAM_PAIR), stable=True)
    partner = torch.empty_like(order)
    partner[order] = order.roll(-1)
    return partner


def draw_lam(key: int, alpha: float) -> float:
    """Beta(alpha, alpha) at a counter-based uniform (NOTE [mixing draws])."""
    word = words(torch.tensor([key]), torch.zeros(1, dtype=torch.int64), STREAM_LAMBDA)
    uniform = float(uniform_float(word, torch.float64)[0])
    return float(betaincinv(alpha, alpha, uniform))


def mix(
    x: Tensor, y: Tensor, partner: Tensor, lam: float, label_weight: Tensor, num_classes: int
) -> MixedBatch:
    """Mix features by ``lam`` and labels by ``label_weight`` (each row's own class)."""
    features = lam * x + (1.0 - lam) * x.index_select(0, partner)
    weight = label_weight.to(device=x.device, dtype=x.dtype)
    target = torch.zeros((x.shape[0], num_classes), dtype=x.dtype, device=x.device)
    target.index_put_((torch.arange(x.shape[0], device=x.device), y), weight)
    target.index_put_(
        (torch.arange(x.shape[0], device=x.device), y.index_select(0, partner)),
        1.0 - weight,
        accumulate=True,
    )
    return MixedBatch(features, target, partner, lam, weight)


def check_common(seed: object, alpha: object, class_counts: object) -> tuple[int, float, Tensor]:
    """The constructor arguments both transforms share."""
    return check_seed(seed), check_alpha(alpha), check_counts(class_counts)


class CountAwareMixing(ABC):
    """The call shape both transforms share; subclasses define :meth:`label_weight`."""

    class_counts: Tensor
    seed: int
    alpha: float

    @abstractmethod
    def label_weight(self, count_own: Tensor, count_partner: Tensor, lam: float) -> Tensor:
        """The weight of each row's own class, from the two classes' training counts."""

    @property
    def num_classes(self) -> int:
        """The number of classes (the length of ``class_counts``)."""
        return self.class_counts.numel()

    def __call__(self, x: Tensor, y: Tensor, *, epoch: int, batch: int) -> MixedBatch:
        """Mix batch ``batch`` of epoch ``epoch``: partners and lambda drawn from
        ``(seed, epoch, batch)`` (NOTE [mixing draws]).

        Args:
            x: Floating features ``(N, ...)``.
            y: Integer class indices ``(N,)`` in ``[0, C)``.
            epoch: The epoch, an int >= 0.
            batch: The batch's index in the epoch, an int >= 0.

        Returns:
            A :class:`MixedBatch`; ``features, target = transform(x, y, epoch=e, batch=b)``.

        Raises:
            TypeError: Non-tensor or integer features, non-integer labels, a bool or float
                ``epoch`` / ``batch``.
            ValueError: Labels outside ``[0, C)``, a label vector of the wrong length, a
                negative ``epoch`` / ``batch``.
        """
        key = batch_key(self.seed, epoch, batch)
        x, y = check_batch(x, y, self.num_classes)
        partner = draw_partners(key, x.shape[0], x.device)
        return self._mix(x, y, partner, draw_lam(key, self.alpha))

    def apply(self, x: Tensor, y: Tensor, *, partner: Tensor, lam: float) -> MixedBatch:
        """Mix with given partners and lambda (no draw): for tests and replaying a batch.

        Raises:
            TypeError, ValueError: As :meth:`__call__`, and for a partner index that is not
                ``(N,)`` rows of the batch or a ``lam`` outside [0, 1].
        """
        x, y = check_batch(x, y, self.num_classes)
        partner = check_partner(partner, x.shape[0], x.device)
        return self._mix(x, y, partner, check_lam(lam))

    def _mix(self, x: Tensor, y: Tensor, partner: Tensor, lam: float) -> MixedBatch:
        counts = self.class_counts.to(y.device)
        weight = self.label_weight(counts[y], counts[y.index_select(0, partner)], lam)
        return mix(x, y, partner, lam, weight, self.num_classes)
