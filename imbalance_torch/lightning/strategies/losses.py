"""The loss entries of the strategy table (:data:`LOSSES`), in display order.

A new loss is one entry here (its module exported by :mod:`imbalance_torch.losses` or any
dotted path): the comparison then runs it as an arm of its own name on the natural ratio,
``model.loss_options`` sets its constructor's arguments, and its entry states the class prior
it trains the raw model to (:func:`imbalance_torch.losses.effective_prior`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from imbalance_torch.lightning.strategies.parts import Loss

if TYPE_CHECKING:
    from torch import Tensor, nn

__all__ = ["LOSSES"]


def _sampled_prior(options: Mapping[str, Any], sampled: Tensor) -> Tensor:
    from imbalance_torch.losses import effective_prior

    return effective_prior(sampled)


def _cross_entropy(options: Mapping[str, Any], sampled: Tensor) -> nn.Module:
    from torch import nn

    return nn.CrossEntropyLoss(**options)


_WEIGHT_OPTIONS = ("scheme", "beta", "smoothing")  # class_weights' settable arguments


def _class_weight(options: Mapping[str, Any], sampled: Tensor) -> Tensor:
    from imbalance_torch.losses import class_weights

    settings = {k: v for k, v in options.items() if k in _WEIGHT_OPTIONS}
    return class_weights(counts=sampled.long(), **settings)


def _class_weighted(options: Mapping[str, Any], sampled: Tensor) -> nn.Module:
    from torch import nn

    rest = {k: v for k, v in options.items() if k not in _WEIGHT_OPTIONS}
    return nn.CrossEntropyLoss(weight=_class_weight(options, sampled).float(), **rest)


def _class_weighted_prior(options: Mapping[str, Any], sampled: Tensor) -> Tensor:
    from imbalance_torch.losses import effective_prior

    return effective_prior(sampled, class_weight=_class_weight(options, sampled))


def _focal(options: Mapping[str, Any], sampled: Tensor) -> nn.Module:
    import torch

    from imbalance_torch.losses import FocalLoss

    alpha = options["alpha"]
    weight = None if alpha is None else torch.tensor([1.0 - alpha, alpha])
    rest = {k: v for k, v in options.items() if k != "alpha"}
    return FocalLoss(alpha=weight, task="multiclass", **rest)


def _check_focal(options: Mapping[str, Any], num_classes: int) -> None:
    alpha = options["alpha"]
    if alpha is not None and (isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not 0.0 < alpha < 1.0):
        raise ValueError(f"loss_options alpha must be in (0, 1) or None, got {alpha!r}.")
    if alpha is not None and num_classes != 2:
        raise ValueError(
            f"loss_options alpha={alpha} weights the positive class of a binary task, but "
            f"num_classes={num_classes}; set alpha to null for multi-class data."
        )


def _logit_adjusted(options: Mapping[str, Any], sampled: Tensor) -> nn.Module:
    from imbalance_torch.losses import LogitAdjustedLoss

    return LogitAdjustedLoss(prior=sampled / sampled.sum(), **options)


def _logit_adjusted_prior(options: Mapping[str, Any], sampled: Tensor) -> Tensor:
    from imbalance_torch.losses import effective_prior

    return effective_prior(sampled, logit_adjust_tau=options["tau"])


def _mixing(class_path: str):
    def build(options: Mapping[str, Any], sampled: Tensor) -> nn.Module:
        from imbalance_torch.lightning.strategies.mixing_loss import MixingLoss, seed_of_run
        from imbalance_torch.lightning.strategies.parts import resolve

        transform = resolve(class_path)(class_counts=sampled, seed=seed_of_run(), **options)
        return MixingLoss(transform)

    return build


def drw_schedule(drw_share: float = 0.8) -> None:
    """The deferred re-weighting schedule of the ``ldam_drw`` strategy: class weights switch
    on after ``drw_share`` of the run's optimizer steps (Cao et al. train 160 of 200 epochs
    unweighted: 0.8), so the switch falls inside the comparison's equal step budget whatever
    its length. ``TabularClassifier`` sets the step when the fit starts."""


def _ldam(options: Mapping[str, Any], sampled: Tensor) -> nn.Module:
    from imbalance_torch.losses import LDAMLoss

    share = float(options.get("drw_share", 0.8))
    rest = {k: v for k, v in options.items() if k != "drw_share"}
    # drw_start_step is set from the step budget at fit start (TabularClassifier.on_fit_start)
    criterion = LDAMLoss(class_counts=sampled, drw_start_step=0, **rest)
    criterion.drw_share = share
    return criterion


def _check_ldam(options: Mapping[str, Any], num_classes: int) -> None:
    share = options.get("drw_share", 0.8)
    if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0.0 <= share <= 1.0:
        raise ValueError(f"loss_options drw_share must be a number in [0, 1] (a share of the run's steps), got {share!r}.")


def _warmed(class_path: str, **fixed: Any):
    """A ranking loss behind the cross-entropy warm-up (``warmup_share`` of the steps)."""

    def build(options: Mapping[str, Any], sampled: Tensor) -> nn.Module:
        from imbalance_torch.lightning.strategies.parts import resolve
        from imbalance_torch.lightning.strategies.schedules import WarmupLoss

        rest = {k: v for k, v in options.items() if k != "warmup_share"}
        loss = resolve(class_path)(**fixed, **rest)
        return WarmupLoss(loss, options.get("warmup_share", 0.2))

    return build


_WARMUP = "imbalance_torch.lightning.strategies.schedules.warmup_schedule"


# torch's cross-entropy arguments a strategy may set (label_smoothing, ...); the class
# weights and reductions of the comparison's losses stay the entry's.
_CE = "torch.nn.CrossEntropyLoss"

LOSSES: dict[str, Loss] = {
    loss.name: loss
    for loss in (
        Loss(
            "cross_entropy", "Cross-entropy (the baseline's loss).", _cross_entropy,
            _sampled_prior, owners=(_CE,), fixed=("weight", "reduction", "size_average", "reduce"),
        ),
        Loss(
            "class_weighted",
            "Class weights: cross-entropy weighted by a scheme of the training class counts "
            "(default sklearn's balanced, n_rows / (n_classes * n_rows_of_class)); no resampling.",
            _class_weighted, _class_weighted_prior,
            owners=("imbalance_torch.losses.class_weights", _CE), options={"scheme": "balanced"},
            fixed=("labels", "counts", "num_classes", "weight", "reduction", "size_average", "reduce"),
            needs_class_counts=True,
        ),
        # focal alpha is the weight of the POSITIVE (minority) class, the negative class gets
        # 1 - alpha: 0.75 weights the minority UP. torchvision's sigmoid_focal_loss default
        # alpha=0.25 (RetinaNet's choice, tuned for detection where gamma already mutes the many
        # easy background anchors) weights the positive class DOWN; in our reference run on 24
        # KEEL datasets it was slightly worse than no strategy, while 0.75 helped. No closed
        # form for focal loss's prior: treated like cross-entropy, so its "corrected"
        # calibration is an approximation (see effective_prior).
        Loss(
            "focal", "Focal loss (Lin et al. 2017) on the natural ratio (gamma 2, alpha 0.75 on "
            "the minority class).", _focal, _sampled_prior,
            owners=("imbalance_torch.losses.FocalLoss",), options={"gamma": 2.0, "alpha": 0.75},
            fixed=("task", "weight", "reduction", "validate_args"), check=_check_focal,
        ),
        Loss(
            "logit_adjusted",
            "Logit-adjusted cross-entropy (Menon et al. 2021): trains logits + tau * log(prior), "
            "so the raw logits target the balanced error; no resampling.",
            _logit_adjusted, _logit_adjusted_prior,
            owners=("imbalance_torch.losses.LogitAdjustedLoss",), options={"tau": 1.0},
            fixed=("prior", "weight", "reduction", "validate_args"), needs_class_counts=True,
        ),
        # Mixing shifts label mass toward the rarer class of each pair, so the raw outputs
        # are calibrated to no closed-form prior: treated like cross-entropy's (approximate,
        # as for focal loss). Opt-in until the comparison shows what they do.
        Loss(
            "remix",
            "Remix (Chou et al. 2020): mixup whose label goes wholly to the rarer class of a "
            "pair when the count ratio is >= kappa and lambda < tau; soft targets.",
            _mixing("imbalance_torch.mixing.Remix"), _sampled_prior,
            owners=("imbalance_torch.mixing.Remix",), options={"alpha": 1.0, "kappa": 3.0, "tau": 0.5},
            fixed=("class_counts", "seed"), in_default=False,
        ),
        Loss(
            "mamix",
            "MAMix (Cheng, Mai, Lin 2023): mixup whose label weight bends at the pair's class "
            "share; soft targets.",
            _mixing("imbalance_torch.mixing.MAMix"), _sampled_prior,
            owners=("imbalance_torch.mixing.MAMix",), options={"alpha": 1.0},
            fixed=("class_counts", "seed"), in_default=False,
        ),
        # The ranking losses train scores, not calibrated probabilities: no closed-form prior
        # (treated like cross-entropy's for the correction; thresholds are chosen on
        # validation either way). Binary tasks; the sampler's batches hold positives.
        Loss(
            "ap",
            "Average precision (SOAP, Qi et al. 2021): a squared-hinge AP surrogate with per-row "
            "moving averages kept by row id (a synthetic row uses its base row's).",
            _warmed("imbalance_torch.losses.AveragePrecisionLoss"), _sampled_prior,
            owners=("imbalance_torch.losses.AveragePrecisionLoss", _WARMUP),
            options={"margin": 1.0, "gamma": 0.9, "warmup_share": 0.2},
            fixed=("num_rows", "gather"), in_default=False, rows_option="num_rows",
        ),
        Loss(
            "pauc",
            "One-way partial AUC at FPR <= max_fpr (the hardest negatives of each batch, top-k "
            "form; Zhu et al. 2022): the alert-budget view.",
            _warmed("imbalance_torch.losses.PartialAUCLoss", form="topk"), _sampled_prior,
            owners=("imbalance_torch.losses.PartialAUCLoss", _WARMUP),
            options={"max_fpr": 0.05, "warmup_share": 0.2},
            fixed=("num_rows", "form", "tau", "gamma", "gather"), in_default=False,
        ),
        Loss(
            "auc_margin",
            "AUC-M (Yuan et al. 2021): square-margin AUC loss, its dual variable maximised; the "
            "prevalence from each batch's exact counts.",
            _warmed("imbalance_torch.losses.AUCMarginLoss"), _sampled_prior,
            owners=("imbalance_torch.losses.AUCMarginLoss", _WARMUP),
            options={"margin": 1.0, "warmup_share": 0.2},
            fixed=("gather",), in_default=False,
        ),
        Loss(
            "ldam_drw",
            "LDAM (Cao et al. 2019): class margins proportional to n^(-1/4), with deferred "
            "re-weighting after 80 % of the steps.",
            _ldam, _sampled_prior,
            owners=("imbalance_torch.losses.LDAMLoss", drw_schedule),
            options={"max_margin": 0.5, "s": 30.0, "drw_share": 0.8},
            fixed=("class_counts", "weight", "drw_start_step", "reduction"),
            needs_class_counts=True, in_default=False, check=_check_ldam,
        ),
    )
}
"""``loss`` name -> :class:`Loss`, in display order."""
