"""Losses for class imbalance: focal loss, class weights, logit adjustment.

Each loss is a function plus an ``nn.Module`` (tensors held as buffers), with the argument
names and reductions of ``torch.nn.functional.cross_entropy`` /
``binary_cross_entropy_with_logits``. Class weights are fed to torch's own weighted losses
(``weighted_cross_entropy``, ``weighted_bce_with_logits``) rather than reimplementing them.
"""

from ._focal import FocalLoss, focal_loss
from ._logit_adjustment import (
    LogitAdjustedLoss,
    adjust_logits,
    logit_adjusted_loss,
    prior_shift_correction,
)
from ._prior import effective_prior
from ._weights import class_prior, class_weights, weighted_bce_with_logits, weighted_cross_entropy

__all__ = [
    "FocalLoss",
    "LogitAdjustedLoss",
    "adjust_logits",
    "class_prior",
    "class_weights",
    "effective_prior",
    "focal_loss",
    "logit_adjusted_loss",
    "prior_shift_correction",
    "weighted_bce_with_logits",
    "weighted_cross_entropy",
]
