"""Losses for class imbalance: focal loss, class weights, logit adjustment, LDAM, and
ranking losses (average precision, partial AUC, AUC margin) with per-row state.

Each loss is a function plus an ``nn.Module`` (tensors held as buffers), with the argument
names and reductions of ``torch.nn.functional.cross_entropy`` /
``binary_cross_entropy_with_logits``. Class weights are fed to torch's own weighted losses
(``weighted_cross_entropy``, ``weighted_bce_with_logits``) rather than reimplementing them.
"""

from ._auc_margin import AUCMarginLoss, auc_margin_loss
from ._average_precision import AveragePrecisionLoss, average_precision_loss
from ._focal import FocalLoss, focal_loss
from ._ldam import LDAMLoss, ldam_loss, ldam_margins
from ._logit_adjustment import (
    LogitAdjustedLoss,
    adjust_logits,
    logit_adjusted_loss,
    prior_shift_correction,
)
from ._partial_auc import PartialAUCLoss, partial_auc_loss
from ._prior import effective_prior
from ._weights import class_prior, class_weights, weighted_bce_with_logits, weighted_cross_entropy

__all__ = [
    "AUCMarginLoss",
    "AveragePrecisionLoss",
    "FocalLoss",
    "LDAMLoss",
    "LogitAdjustedLoss",
    "PartialAUCLoss",
    "adjust_logits",
    "auc_margin_loss",
    "average_precision_loss",
    "class_prior",
    "class_weights",
    "effective_prior",
    "focal_loss",
    "ldam_loss",
    "ldam_margins",
    "logit_adjusted_loss",
    "partial_auc_loss",
    "prior_shift_correction",
    "weighted_bce_with_logits",
    "weighted_cross_entropy",
]
