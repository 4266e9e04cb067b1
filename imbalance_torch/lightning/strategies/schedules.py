"""Schedules of the ranking strategies: a cross-entropy warm-up before the ranking loss.

Imported when such a strategy is built (the strategy table itself reads no torch)."""

from __future__ import annotations

import torch
from torch import Tensor, nn

__all__ = ["WarmupLoss", "warmup_schedule"]


def warmup_schedule(warmup_share: float = 0.2) -> None:
    """LibAUC's two-stage recipe, as a schedule: cross-entropy for the first ``warmup_share``
    of the run's optimizer steps, then the ranking loss, both inside the comparison's equal
    step budget (``TabularClassifier`` sets the step count when the fit starts)."""


class WarmupLoss(nn.Module):
    """Cross-entropy for the first ``warmup_steps`` training steps, then ``loss`` (and for a
    batch that holds a single class, which has no pair to rank).

    The step count is a buffer (a resumed fit continues the schedule exactly); ``set_budget``
    turns ``warmup_share`` into steps. The ranking loss's own parameters (AUC-M's ``a``, ``b``
    and dual ``alpha``) are reached through :meth:`dual_parameters` and
    :meth:`project_dual_`, so the model optimises them as it would the bare loss.

    Args:
        loss: the ranking loss (called ``loss(input, target[, index])``).
        warmup_share: share of the run's steps trained with cross-entropy, in [0, 1).
    """

    def __init__(self, loss: nn.Module, warmup_share: float = 0.2) -> None:
        super().__init__()
        if isinstance(warmup_share, bool) or not isinstance(warmup_share, (int, float)) or not 0.0 <= warmup_share < 1.0:
            raise ValueError(
                f"loss_options warmup_share must be a number in [0, 1) (a share of the run's "
                f"steps trained with cross-entropy first), got {warmup_share!r}."
            )
        self.loss = loss
        self.warmup_share = float(warmup_share)
        self.warmup_steps = 0
        self.one_class_batches = 0
        self.register_buffer("step", torch.zeros((), dtype=torch.int64))

    def set_budget(self, total_steps: int) -> None:
        """The run's optimizer steps: the warm-up is ``int(warmup_share * total_steps)``."""
        self.warmup_steps = int(self.warmup_share * int(total_steps))

    def forward(self, input: Tensor, target: Tensor, index: Tensor | None = None) -> Tensor:  # noqa: D102
        warm = int(self.step) < self.warmup_steps
        if self.training:
            self.step += 1
        # A batch holding one class has no pair to rank: the comparison's natural-ratio
        # epochs are a plain shuffle, whose last batch can miss the rare class. Such a batch
        # trains with cross-entropy (counted in one_class_batches) instead of stopping the run.
        one_class = bool((target == target.reshape(-1)[0]).all()) if target.numel() else True
        if one_class and not warm and self.training:
            self.one_class_batches += 1
        if warm or one_class:
            return nn.functional.cross_entropy(input, target.long())
        return self.loss(input, target) if index is None else self.loss(input, target, index)

    def dual_parameters(self) -> list[nn.Parameter]:
        """The ranking loss's dual variables (none for most)."""
        dual = getattr(self.loss, "dual_parameters", None)
        return list(dual()) if dual is not None else []

    def project_dual_(self) -> None:
        """Project the ranking loss's dual variables after a step (if it has any)."""
        project = getattr(self.loss, "project_dual_", None)
        if project is not None:
            project()
