"""The class prior a loss trains a model's raw output to (for the prior-shift correction)."""

from __future__ import annotations

from torch import Tensor

__all__ = ["effective_prior"]


def effective_prior(
    sampled_counts: Tensor,
    *,
    class_weight: Tensor | None = None,
    logit_adjust_tau: float | None = None,
) -> Tensor:
    """The class prior that a model's raw softmax output is calibrated to.

    A model trained by (weighted) cross-entropy on rows drawn with class shares ``pi_s``
    estimates ``p(y | x)`` under the prior ``pi_s * w`` (normalised). Logit adjustment with
    ``tau`` trains ``f + tau * log(pi_s)``, so the raw ``f`` is calibrated to
    ``pi_s ** (1 - tau)``. Focal loss has no such closed form; it is treated like
    cross-entropy, so its "corrected" calibration is an approximation. Each loss of the
    strategy table (``imbalance_torch.lightning.strategies.LOSSES``) states its prior
    through this function (``Loss.prior``); a new loss states its own there.

    Args:
        sampled_counts: ``(C,)`` rows per class the model sees per epoch.
        class_weight: ``(C,)`` loss weights, if the loss is class-weighted.
        logit_adjust_tau: ``tau`` of a logit-adjusted loss, if used.

    Returns:
        ``(C,)`` prior summing to 1.
    """
    prior = sampled_counts.double() / sampled_counts.double().sum()
    if class_weight is not None:
        prior = prior * class_weight.double()
    if logit_adjust_tau is not None:
        prior = prior ** (1.0 - logit_adjust_tau)
    return (prior / prior.sum()).float()
