"""Evaluation metrics for imbalanced classification, on top of torchmetrics.

AUPRC (average precision of the positive class) is the primary metric. Threshold metrics
(F1, MCC, balanced accuracy) use a threshold chosen on validation (the one with maximal F1)
and applied unchanged to test. Calibration (Brier score, expected calibration error) is
reported on the raw probabilities and after the prior-shift correction, which maps a model
trained on a resampled or re-weighted class mix back to the natural class ratio.

Ranking metrics (AUPRC, AUROC, recall at fixed precision) and thresholds picked on validation
are unchanged by the correction for binary data, because the correction is a monotone map
of the positive-class score; only calibration moves.

NOTE [undefined metrics]: on a set that lacks a class, some metrics have no value, and the
formulas still return numbers (torchmetrics gave AUROC 0.0, AUPRC -0.0 or 1.0, MCC +-0.016 on
a set of one class), which a report would then rank. :func:`classification_metrics` returns
NaN for them with an :class:`UndefinedMetricWarning` naming them. Binary, a set with one class:
AUROC, AUPRC and recall at fixed precision (they rank positives against negatives; with no
negatives AUPRC is 1 for any model), MCC (its denominator is 0) and balanced accuracy (the
recall or the specificity is 0/0); F1 when it is 0/0 (no positive row, none predicted).
Multi-class, a class absent from the set: every macro average (AUPRC, AUROC, F1, recall at
fixed precision, balanced accuracy) and, with one class left, MCC. scikit-learn, the oracle,
warns and returns NaN for ROC AUC, warns for average precision, balanced accuracy and recall
of such sets, but returns MCC 0.0 silently; here MCC is NaN too, because 0.0 ("no better than
chance") is a claim the set cannot support. Brier score and calibration error stay defined.
"""

from __future__ import annotations

import math
import warnings

import torch
from torch import Tensor
from torchmetrics.functional.classification import (
    binary_auroc,
    binary_average_precision,
    binary_calibration_error,
    binary_f1_score,
    binary_matthews_corrcoef,
    binary_precision_recall_curve,
    binary_recall,
    binary_recall_at_fixed_precision,
    binary_specificity,
    multiclass_auroc,
    multiclass_average_precision,
    multiclass_calibration_error,
    multiclass_f1_score,
    multiclass_matthews_corrcoef,
    multiclass_recall,
    multiclass_recall_at_fixed_precision,
)

__all__ = [
    "METRIC_NAMES",
    "UndefinedMetricWarning",
    "classification_metrics",
    "max_f1_threshold",
    "undefined_metrics",
]

METRIC_NAMES = (
    "auprc",
    "auroc",
    "f1",
    "mcc",
    "recall_at_precision",
    "balanced_accuracy",
    "brier",
    "ece",
    "brier_corrected",
    "ece_corrected",
)
"""Metric keys returned by :func:`classification_metrics`, primary first."""

LOWER_IS_BETTER = frozenset({"brier", "ece", "brier_corrected", "ece_corrected"})

_RANKING = ("auprc", "auroc", "recall_at_precision")


class UndefinedMetricWarning(UserWarning):
    """Metrics that have no value on the set given (NOTE [undefined metrics]); they are NaN."""


def undefined_metrics(probs: Tensor, target: Tensor, *, threshold: float = 0.5) -> tuple[list[str], str]:
    """The metrics of :data:`METRIC_NAMES` that have no value on ``(probs, target)`` (NOTE
    [undefined metrics]), and why.

    Args:
        probs: ``(n, C)`` predicted class probabilities.
        target: ``(n,)`` class codes.
        threshold: positive-class decision threshold (binary).

    Returns:
        ``(names, reason)``; ``([], "")`` when every metric is defined.
    """
    rows, classes = int(target.shape[0]), int(probs.shape[1])
    if rows == 0:
        return list(METRIC_NAMES), "the set has no rows"
    counts = torch.bincount(target.long().cpu(), minlength=classes)
    present = int((counts > 0).sum())
    if classes == 2:
        positives = int(counts[1])
        if 0 < positives < rows:
            return [], ""
        names = [*_RANKING, "mcc", "balanced_accuracy"]
        flagged = int((probs[:, 1] >= threshold).sum())
        if positives == 0 and flagged == 0:  # F1 = 2TP / (2TP + FP + FN) = 0 / 0
            names.append("f1")
        return [n for n in METRIC_NAMES if n in names], f"all {rows} rows are of class {1 if positives else 0}"
    if present == classes:
        return [], ""
    names = [*_RANKING, "f1", "balanced_accuracy"] + (["mcc"] if present == 1 else [])
    absent = [str(c) for c in range(classes) if int(counts[c]) == 0]
    return [n for n in METRIC_NAMES if n in names], f"class(es) {', '.join(absent)} have no row among its {rows}"


def max_f1_threshold(scores: Tensor, target: Tensor) -> float:
    """The positive-class score threshold with the largest F1 on ``(scores, target)``.

    Args:
        scores: ``(n,)`` positive-class probabilities.
        target: ``(n,)`` 0/1 labels.

    Returns:
        The threshold (predict positive when ``score >= threshold``); 0.5 when the target has
        no positive.
    """
    if int(target.sum()) == 0:
        return 0.5
    precision, recall, thresholds = binary_precision_recall_curve(scores, target.long())
    precision, recall = precision[:-1], recall[:-1]
    f1 = 2 * precision * recall / (precision + recall).clamp_min(1e-12)
    return float(thresholds[int(torch.argmax(f1))])


def _binary(
    probs: Tensor, target: Tensor, threshold: float, min_precision: float, bins: int
) -> dict[str, float]:
    scores = probs[:, 1].float().contiguous()
    recall_at, _ = binary_recall_at_fixed_precision(scores, target, min_precision=min_precision)
    balanced = (
        binary_recall(scores, target, threshold=threshold)
        + binary_specificity(scores, target, threshold=threshold)
    ) / 2
    return {
        "auprc": float(binary_average_precision(scores, target)),
        "auroc": float(binary_auroc(scores, target)),
        "f1": float(binary_f1_score(scores, target, threshold=threshold)),
        "mcc": float(binary_matthews_corrcoef(scores, target, threshold=threshold)),
        "recall_at_precision": float(recall_at),
        "balanced_accuracy": float(balanced),
        "brier": float(torch.mean((scores - target.float()) ** 2)),
        "ece": float(binary_calibration_error(scores, target, n_bins=bins)),
    }


def _multiclass(probs: Tensor, target: Tensor, min_precision: float, bins: int) -> dict[str, float]:
    classes = probs.shape[1]
    recall_at, _ = multiclass_recall_at_fixed_precision(
        probs, target, num_classes=classes, min_precision=min_precision
    )
    one_hot = torch.nn.functional.one_hot(target, classes).to(probs.dtype)
    kw = {"num_classes": classes}
    return {
        "auprc": float(multiclass_average_precision(probs, target, average="macro", **kw)),
        "auroc": float(multiclass_auroc(probs, target, average="macro", **kw)),
        "f1": float(multiclass_f1_score(probs, target, average="macro", **kw)),
        "mcc": float(multiclass_matthews_corrcoef(probs, target, **kw)),
        "recall_at_precision": float(torch.stack(list(recall_at)).mean()),
        "balanced_accuracy": float(multiclass_recall(probs, target, average="macro", **kw)),
        "brier": float(((probs - one_hot) ** 2).sum(dim=1).mean()),
        "ece": float(multiclass_calibration_error(probs, target, n_bins=bins, **kw)),
    }


def classification_metrics(
    probs: Tensor,
    target: Tensor,
    *,
    threshold: float = 0.5,
    corrected_probs: Tensor | None = None,
    min_precision: float = 0.9,
    calibration_bins: int = 15,
) -> dict[str, float]:
    """Every metric of :data:`METRIC_NAMES` for one set of predictions.

    Binary data (two columns) uses the positive class (column 1) and ``threshold``;
    multi-class data uses macro averages and the arg-max prediction.

    Args:
        probs: ``(n, C)`` predicted class probabilities.
        target: ``(n,)`` class codes.
        threshold: positive-class decision threshold (binary), e.g. from
            :func:`max_f1_threshold` on validation.
        corrected_probs: the same predictions after the prior-shift correction; the
            ``*_corrected`` calibration metrics are computed on them (equal to the raw ones
            when None).
        min_precision: precision floor of ``recall_at_precision``.
        calibration_bins: bins of the expected calibration error.

    Returns:
        Metric name -> value; NaN for the metrics that a set lacking a class leaves undefined
        (:func:`undefined_metrics`, NOTE [undefined metrics]).

    Warns:
        UndefinedMetricWarning: naming the undefined metrics and the reason.

    Raises:
        ValueError: shapes that do not match.
    """
    if probs.ndim != 2 or probs.shape[0] != target.shape[0]:
        raise ValueError(
            f"probs must be (n, C) and target (n,), got {tuple(probs.shape)} and "
            f"{tuple(target.shape)}."
        )
    target = target.long()
    probs = probs.float()
    undefined, reason = undefined_metrics(probs, target, threshold=threshold)
    if target.shape[0] == 0:
        warnings.warn(f"every metric is undefined: {reason}; reported as NaN.", UndefinedMetricWarning, stacklevel=2)
        return dict.fromkeys(METRIC_NAMES, math.nan)
    with warnings.catch_warnings():
        if undefined:  # torchmetrics' own warnings about these sets: ours names the metrics
            warnings.simplefilter("ignore")
        if probs.shape[1] == 2:
            out = _binary(probs, target, threshold, min_precision, calibration_bins)
        else:
            out = _multiclass(probs, target, min_precision, calibration_bins)
    if undefined:
        out.update(dict.fromkeys(undefined, math.nan))
        warnings.warn(
            f"{', '.join(undefined)} are undefined on this set ({reason}) and are reported as "
            "NaN (NOTE [undefined metrics] in imbalance_torch/lightning/model/metrics.py); evaluate on "
            "a set that holds every class.",
            UndefinedMetricWarning,
            stacklevel=2,
        )
    if corrected_probs is None:
        out["brier_corrected"], out["ece_corrected"] = out["brier"], out["ece"]
    else:
        corrected = corrected_probs.float()
        if probs.shape[1] == 2:
            scores = corrected[:, 1].contiguous()
            out["brier_corrected"] = float(torch.mean((scores - target.float()) ** 2))
            out["ece_corrected"] = float(
                binary_calibration_error(scores, target, n_bins=calibration_bins)
            )
        else:
            one_hot = torch.nn.functional.one_hot(target, probs.shape[1]).to(corrected.dtype)
            out["brier_corrected"] = float(((corrected - one_hot) ** 2).sum(dim=1).mean())
            out["ece_corrected"] = float(
                multiclass_calibration_error(
                    corrected, target, num_classes=probs.shape[1], n_bins=calibration_bins
                )
            )
    return out
