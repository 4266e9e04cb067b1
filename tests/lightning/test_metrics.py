from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.metrics import (
    average_precision_score,
    balanced_accuracy_score,
    brier_score_loss,
    f1_score,
    matthews_corrcoef,
    precision_recall_curve,
    roc_auc_score,
)

from imbalance_torch.lightning import (
    METRIC_NAMES,
    classification_metrics,
    effective_prior,
    max_f1_threshold,
)


def predictions(n=3000, positive_fraction=0.05, seed=0):
    rng = np.random.default_rng(seed)
    target = (rng.random(n) < positive_fraction).astype(np.int64)
    logit = rng.normal(size=n) + 2.0 * target - 2.0
    score = 1.0 / (1.0 + np.exp(-logit))
    probs = torch.tensor(np.column_stack([1 - score, score]), dtype=torch.float32)
    return probs, torch.tensor(target), score, target


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_binary_metrics_match_scikit_learn(seed):
    probs, target, score, y = predictions(seed=seed)
    threshold = 0.3
    out = classification_metrics(probs, target, threshold=threshold)
    assert set(out) == set(METRIC_NAMES)
    assert out["auprc"] == pytest.approx(average_precision_score(y, score), abs=1e-5)
    assert out["auroc"] == pytest.approx(roc_auc_score(y, score), abs=1e-5)
    predicted = (score >= threshold).astype(int)
    assert out["f1"] == pytest.approx(f1_score(y, predicted), abs=1e-5)
    assert out["mcc"] == pytest.approx(matthews_corrcoef(y, predicted), abs=1e-5)
    assert out["balanced_accuracy"] == pytest.approx(balanced_accuracy_score(y, predicted), abs=1e-5)
    assert out["brier"] == pytest.approx(brier_score_loss(y, score), abs=1e-6)
    precision, recall, _ = precision_recall_curve(y, score)
    assert out["recall_at_precision"] == pytest.approx(recall[precision >= 0.9].max(), abs=1e-5)
    assert out["brier_corrected"] == out["brier"] and out["ece_corrected"] == out["ece"]


def test_expected_calibration_error_matches_its_definition():
    probs, target, score, y = predictions(seed=4)
    out = classification_metrics(probs, target, calibration_bins=10)
    # Binary ECE: |mean p(positive) - positive rate| per equal-width bin of p, bin-weighted.
    confidence = probs[:, 1].numpy().astype(np.float64)
    correct = y.astype(float)
    bins = np.minimum((confidence * 10).astype(int), 9)
    ece = sum(
        abs(confidence[bins == b].mean() - correct[bins == b].mean()) * (bins == b).mean()
        for b in range(10)
        if (bins == b).any()
    )
    assert out["ece"] == pytest.approx(ece, abs=1e-3)


def test_max_f1_threshold_maximises_f1():
    probs, target, score, y = predictions(seed=5)
    threshold = max_f1_threshold(probs[:, 1], target)
    score = probs[:, 1].numpy()  # the float32 scores the threshold was chosen on
    best = max(f1_score(y, (score >= t).astype(int)) for t in np.unique(score))
    assert f1_score(y, (score >= threshold).astype(int)) == pytest.approx(best, abs=1e-6)
    assert max_f1_threshold(probs[:, 1], torch.zeros_like(target)) == 0.5


def test_corrected_probabilities_feed_the_corrected_calibration():
    probs, target, score, y = predictions(seed=6)
    corrected = torch.stack([1 - probs[:, 1] / 2, probs[:, 1] / 2], dim=1)
    out = classification_metrics(probs, target, corrected_probs=corrected)
    assert out["brier_corrected"] == pytest.approx(brier_score_loss(y, score / 2), abs=1e-6)


def test_multiclass_metrics_match_scikit_learn():
    rng = np.random.default_rng(0)
    target = rng.integers(0, 3, 900)
    logits = rng.normal(size=(900, 3))
    logits[np.arange(900), target] += 1.5
    probs = torch.softmax(torch.tensor(logits, dtype=torch.float32), dim=1)
    out = classification_metrics(probs, torch.tensor(target))
    expected_auroc = roc_auc_score(target, probs.numpy(), multi_class="ovr", average="macro")
    assert out["auroc"] == pytest.approx(expected_auroc, abs=1e-4)
    one_hot = np.eye(3)[target]
    expected_ap = np.mean([average_precision_score(one_hot[:, c], probs[:, c]) for c in range(3)])
    assert out["auprc"] == pytest.approx(expected_ap, abs=1e-4)
    predicted = probs.argmax(1).numpy()
    assert out["balanced_accuracy"] == pytest.approx(balanced_accuracy_score(target, predicted), abs=1e-5)
    assert out["mcc"] == pytest.approx(matthews_corrcoef(target, predicted), abs=1e-5)


def test_shapes_are_checked():
    with pytest.raises(ValueError, match=r"probs must be \(n, C\) and target \(n,\), got \(4,\) and \(4,\)"):
        classification_metrics(torch.rand(4), torch.zeros(4))


def test_effective_prior():
    counts = torch.tensor([900.0, 100.0])
    torch.testing.assert_close(effective_prior(counts), torch.tensor([0.9, 0.1]))
    balanced = effective_prior(counts, class_weight=torch.tensor([1 / 900, 1 / 100]))
    torch.testing.assert_close(balanced, torch.tensor([0.5, 0.5]))
    torch.testing.assert_close(effective_prior(counts, logit_adjust_tau=1.0), torch.tensor([0.5, 0.5]))
