"""The loss of the mixing strategies (Remix, MAMix): cross-entropy on probability targets,
with the batch transform the model applies before its forward pass.

Imported when a mixing strategy is built (the strategy table itself reads no torch)."""

from __future__ import annotations

import torch
from torch import Tensor, nn

__all__ = ["MixingLoss"]


class MixingLoss(nn.Module):
    """Cross-entropy whose batches are mixed first (``mix``: Remix or MAMix of
    :mod:`imbalance_torch.mixing`).

    ``TabularClassifier.training_step`` calls :meth:`mix` on each training batch (features
    and class indices) before the forward pass, keyed by ``(epoch, batch)`` (the transform
    draws partners and lambda as pure functions of ``(seed, epoch, batch)``), and the loss on
    the mixed features' logits and the probability targets. Validation and test rows are
    never mixed.

    Args:
        transform: a built :class:`~imbalance_torch.mixing.Remix` or
            :class:`~imbalance_torch.mixing.MAMix`.
    """

    def __init__(self, transform) -> None:
        super().__init__()
        self.transform = transform

    def mix(self, features: Tensor, target: Tensor, *, epoch: int, batch: int) -> tuple[Tensor, Tensor]:
        """The mixed features and their probability targets ``(N, C)``."""
        mixed = self.transform(features, target.long(), epoch=int(epoch), batch=int(batch))
        return mixed.features, mixed.target.to(features.dtype)

    def forward(self, logits: Tensor, target: Tensor) -> Tensor:  # noqa: D102
        return nn.functional.cross_entropy(logits, target if target.is_floating_point() else target.long())

    def extra_repr(self) -> str:  # noqa: D102
        return repr(self.transform)


def seed_of_run() -> int:
    """The run's seed (``seed_everything`` sets torch's initial seed), so paired runs of
    different seeds mix differently and the same seed mixes the same."""
    return int(torch.initial_seed()) % 2**63
