"""Metrics on sets that lack a class: NaN with a warning naming them, never a number
(NOTE [undefined metrics]); scikit-learn as the oracle of which ones are undefined."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch
from sklearn.metrics import (
    average_precision_score,
    balanced_accuracy_score,
    brier_score_loss,
    f1_score,
    roc_auc_score,
)

from imbalance_torch.lightning.compare.report import markdown_table, summarize
from imbalance_torch.lightning.model.metrics import (
    METRIC_NAMES,
    UndefinedMetricWarning,
    classification_metrics,
    undefined_metrics,
)


def binary_probs(rows: int = 40, seed: int = 0) -> torch.Tensor:
    positive = torch.rand(rows, generator=torch.Generator().manual_seed(seed))
    return torch.stack([1 - positive, positive], dim=1)


def sklearn_warns(function, *args) -> float:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            value = function(*args)
        except ValueError:
            return math.nan
    assert caught, f"scikit-learn's {function.__name__} did not warn"
    return value


@pytest.mark.parametrize("label", [0, 1])
def test_one_class_binary_set_gives_nan_where_sklearn_refuses(label):
    probs = binary_probs()
    target = torch.full((40,), label)
    with pytest.warns(UndefinedMetricWarning, match=rf"auprc, auroc, mcc, recall_at_precision, balanced_accuracy are undefined on this set \(all 40 rows are of class {label}\)"):
        out = classification_metrics(probs, target, threshold=0.5)
    y, scores = target.numpy(), probs[:, 1].numpy()
    predicted = (scores >= 0.5).astype(int)
    # The oracle: scikit-learn warns (or gives NaN) for each of these on this set.
    assert math.isnan(sklearn_warns(roc_auc_score, y, scores))
    sklearn_warns(balanced_accuracy_score, y, predicted)
    if label == 0:
        sklearn_warns(average_precision_score, y, scores)
    for name in ("auprc", "auroc", "mcc", "recall_at_precision", "balanced_accuracy"):
        assert math.isnan(out[name]), name
    # Still defined: F1 (false alarms, or positives found), Brier and calibration.
    assert out["f1"] == pytest.approx(f1_score(y, predicted, zero_division=0.0), abs=1e-6)
    assert out["brier"] == pytest.approx(brier_score_loss(y, scores, labels=[0, 1]), abs=1e-6)
    assert math.isfinite(out["ece"]) and math.isfinite(out["brier_corrected"])


def test_f1_is_undefined_only_when_it_is_zero_over_zero():
    probs = binary_probs()
    probs[:, 1] = probs[:, 1] * 0.4  # nothing reaches the threshold
    with pytest.warns(UndefinedMetricWarning, match="auprc, auroc, f1, mcc, recall_at_precision, balanced_accuracy are undefined"):
        out = classification_metrics(probs, torch.zeros(40), threshold=0.5)
    assert math.isnan(out["f1"])
    assert undefined_metrics(probs, torch.zeros(40), threshold=0.45)[0].count("f1") == 1
    assert "f1" not in undefined_metrics(probs, torch.zeros(40), threshold=0.1)[0]


def test_a_set_with_both_classes_is_unchanged_and_silent():
    probs = binary_probs(200, seed=3)
    target = (torch.rand(200, generator=torch.Generator().manual_seed(4)) < probs[:, 1]).long()
    with warnings.catch_warnings():
        warnings.simplefilter("error", UndefinedMetricWarning)
        out = classification_metrics(probs, target)
    assert all(math.isfinite(out[name]) for name in METRIC_NAMES)
    assert out["auroc"] == pytest.approx(roc_auc_score(target, probs[:, 1]), abs=1e-6)
    assert out["auprc"] == pytest.approx(average_precision_score(target, probs[:, 1]), abs=1e-5)


def test_multiclass_set_lacking_a_class_gives_nan_macro_averages():
    probs = torch.softmax(torch.randn(60, 3, generator=torch.Generator().manual_seed(0)), dim=1)
    target = torch.arange(60) % 2  # class 2 absent
    with pytest.warns(UndefinedMetricWarning, match=r"auprc, auroc, f1, recall_at_precision, balanced_accuracy are undefined on this set \(class\(es\) 2 have no row among its 60\)"):
        out = classification_metrics(probs, target)
    assert math.isfinite(out["mcc"])
    with pytest.raises(ValueError, match="Number of classes in y_true not equal"):
        roc_auc_score(target.numpy(), probs.numpy(), multi_class="ovr")
    with pytest.warns(UndefinedMetricWarning, match="auprc, auroc, f1, mcc, recall_at_precision, balanced_accuracy"):
        out = classification_metrics(probs, torch.zeros(60, dtype=torch.long))
    assert math.isnan(out["mcc"])


def test_an_empty_set_gives_nan_everywhere():
    with pytest.warns(UndefinedMetricWarning, match="every metric is undefined: the set has no rows"):
        out = classification_metrics(torch.zeros(0, 2), torch.zeros(0, dtype=torch.long))
    assert all(math.isnan(out[name]) for name in METRIC_NAMES)


def test_the_report_shows_undefined_metrics_as_undefined():
    probs = binary_probs()
    rows = []
    for seed in range(2):
        with pytest.warns(UndefinedMetricWarning):
            metrics = classification_metrics(probs, torch.zeros(40))
        rows.append({"arm": "none", "seed": seed, "val_auprc": 0.5,
                     **{f"test_{k}": v for k, v in metrics.items()}})
    table = markdown_table(summarize(rows), ["auprc", "auroc", "brier"])
    body = table.splitlines()[2].split(" | ")
    assert body[1:3] == ["undefined", "undefined"]
    assert np.isfinite(float(body[3].split(" ")[0]))
