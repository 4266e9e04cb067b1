"""Every error message of the losses: the type, and that it names the argument and value."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

from imbalance_torch.losses import (
    FocalLoss,
    LogitAdjustedLoss,
    adjust_logits,
    class_prior,
    class_weights,
    focal_loss,
    logit_adjusted_loss,
    prior_shift_correction,
    weighted_bce_with_logits,
    weighted_cross_entropy,
)

BINARY = (torch.tensor([0.5, -0.5, 1.0]), torch.tensor([1, 0, 1]))
MULTI = (torch.zeros(4, 3), torch.tensor([0, 1, 2, 1]))
LABEL = (torch.zeros(2, 3), torch.tensor([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0]]))


def _focal(data, **kwargs):
    return lambda: focal_loss(*data, **kwargs)


CASES = [
    # ---- focal options
    ("gamma negative", _focal(BINARY, gamma=-1.0), ValueError, "gamma=-1.0 is negative"),
    ("gamma bool", _focal(BINARY, gamma=True), TypeError, "gamma must be a real number, got True"),
    ("gamma str", _focal(BINARY, gamma="2"), TypeError, "gamma must be a real number, got '2'"),
    ("gamma nan", _focal(BINARY, gamma=float("nan")), ValueError, "gamma=nan is not finite"),
    ("alpha > 1", _focal(BINARY, alpha=1.5), ValueError, r"alpha=1.5 is outside \[0, 1\]; alpha"),
    ("alpha -1", _focal(BINARY, alpha=-1), ValueError, "torchvision's alpha=-1 is alpha=None"),
    ("alpha bool", _focal(BINARY, alpha=True), TypeError, "alpha must be None, a float"),
    ("alpha str", _focal(BINARY, alpha="0.5"), TypeError, "alpha must be a tensor or a sequence"),
    (
        "alpha 2-D",
        _focal(MULTI, alpha=torch.ones(3, 1) / 2),
        ValueError,
        r"alpha must be a float or a 1-D per-class tensor, got a tensor of shape \(3, 1\)",
    ),
    (
        "alpha entry > 1",
        _focal(MULTI, alpha=[0.5, 1.2, 0.5]),
        ValueError,
        r"alpha\[1\]=1.2\d* is outside \[0, 1\]; .* use weight=",
    ),
    (
        "alpha bool tensor",
        _focal(MULTI, alpha=torch.tensor([True, False, True])),
        TypeError,
        "alpha must hold real numbers, got a tensor of dtype torch.bool",
    ),
    (
        "alpha ragged",
        _focal(MULTI, alpha=[0.5, [0.1, 0.2]]),
        TypeError,
        "alpha must be a tensor or a sequence of numbers, got",
    ),
    (
        "alpha float multiclass (task given)",
        lambda: FocalLoss(alpha=0.25, task="multiclass"),
        TypeError,
        "alpha=0.25 is a float, but a multi-class focal loss needs one alpha per class",
    ),
    (
        "alpha float multiclass (inferred)",
        _focal(MULTI, alpha=0.25),
        TypeError,
        "alpha=0.25 is a float, but a multi-class focal loss needs one alpha per class",
    ),
    (
        "alpha length binary",
        _focal(BINARY, alpha=[0.2, 0.3, 0.5]),
        ValueError,
        r"alpha has 3 entries, but a binary focal loss takes a float or 2 entries",
    ),
    (
        "alpha length multilabel",
        _focal(LABEL, alpha=[0.2, 0.3]),
        ValueError,
        r"alpha has 2 entries, but the input has 3 classes \(input.shape\[1\]\)",
    ),
    (
        "alpha length multiclass",
        _focal(MULTI, alpha=[0.2, 0.3]),
        ValueError,
        r"alpha has shape \(2,\), but the input has 3 classes .* shape \(3,\)",
    ),
    (
        "weight length multiclass",
        _focal(MULTI, weight=[1.0, 2.0]),
        ValueError,
        r"weight has shape \(2,\), but the input has 3 classes",
    ),
    (
        "weight negative",
        _focal(MULTI, weight=[1.0, -2.0, 1.0]),
        ValueError,
        r"weight\[1\]=-2.0: weights must be finite and >= 0",
    ),
    (
        "weight 2-D nan",
        _focal(LABEL, weight=torch.tensor([[1.0, float("nan"), 1.0]])),
        ValueError,
        r"weight\[\(0, 1\)\]=nan: weights must be finite",
    ),
    (
        "weight object",
        _focal(MULTI, weight=3),
        TypeError,
        "weight must be a tensor or a sequence of numbers, got 3 of type int",
    ),
    (
        "weight not broadcastable",
        _focal(BINARY, weight=torch.ones(2)),
        ValueError,
        r"weight of shape \(2,\) does not broadcast to the input's shape \(3,\)",
    ),
    (
        "ignore_index float",
        _focal(MULTI, ignore_index=1.5),
        TypeError,
        "ignore_index must be an int, got 1.5",
    ),
    (
        "ignore_index bool",
        _focal(MULTI, ignore_index=False),
        TypeError,
        "ignore_index must be an int, got False",
    ),
    (
        "reduction unknown",
        _focal(MULTI, reduction="avg"),
        ValueError,
        "reduction='avg' is not one of",
    ),
    ("reduction type", _focal(MULTI, reduction=None), TypeError, "reduction must be a string"),
    ("task unknown", _focal(MULTI, task="multi"), ValueError, "task='multi' is not one of"),
    ("task type", _focal(MULTI, task=2), TypeError, "task must be None or a string"),
    # ---- focal input and target
    (
        "input list",
        lambda: focal_loss([0.5], torch.tensor([1])),
        TypeError,
        "input must be a tensor of logits, got list",
    ),
    (
        "input integer",
        lambda: focal_loss(torch.tensor([1, 0]), torch.tensor([1, 0])),
        TypeError,
        r"input must be a floating tensor of logits, got dtype torch.int64; convert it with input.float\(\)",
    ),
    (
        "input 0-d",
        lambda: focal_loss(torch.tensor(0.5), torch.tensor(1)),
        ValueError,
        "input is a 0-d tensor",
    ),
    (
        "target list",
        lambda: focal_loss(torch.zeros(2), [1, 0]),
        TypeError,
        "target must be a tensor, got list",
    ),
    (
        "binary task on several logits",
        _focal(MULTI, task="binary"),
        ValueError,
        r"task='binary' needs one logit per sample, .* got input of shape \(4, 3\)",
    ),
    (
        "binary target shape",
        lambda: focal_loss(torch.zeros(4, 1), torch.zeros(3)),
        ValueError,
        r"target of shape \(3,\) does not match input of shape \(4, 1\); .* or \(4,\)",
    ),
    (
        "multilabel target shape",
        lambda: focal_loss(torch.zeros(2, 3), torch.zeros(2, 2), task="multilabel"),
        ValueError,
        r"task='multilabel' needs .* got input \(2, 3\) and target \(2, 2\)",
    ),
    (
        "multiclass one class",
        lambda: focal_loss(torch.zeros(2, 1), torch.zeros(2, dtype=torch.long), task="multiclass"),
        ValueError,
        "task='multiclass' needs at least 2 classes",
    ),
    (
        "multiclass target shape",
        lambda: focal_loss(torch.zeros(4, 3), torch.zeros(5, dtype=torch.long)),
        ValueError,
        r"target of shape \(5,\) does not match input of shape \(4, 3\); .* shape \(4,\) or "
        r"class probabilities of the input's shape \(4, 3\)\.$",
    ),
    (
        "multiclass one-hot target",
        lambda: focal_loss(
            torch.zeros(4, 3), torch.zeros(4, 3, dtype=torch.long), task="multiclass"
        ),
        ValueError,
        r"For one-hot targets of the input's shape use task='multilabel'",
    ),
    (
        "multiclass probability rows",
        lambda: focal_loss(torch.zeros(4, 3), torch.zeros(4, 3), task="multiclass"),
        ValueError,
        r"row 0 of target sums to 0\.0, not 1 \(tolerance 0\.0001\)",
    ),
    (
        "multiclass float target",
        lambda: focal_loss(torch.zeros(4, 3), torch.zeros(4)),
        TypeError,
        r"target has dtype torch.float32, but multi-class targets are integer class indices; convert them with target.long\(\)",
    ),
    (
        "multiclass target out of range",
        lambda: focal_loss(torch.zeros(4, 3), torch.tensor([0, 1, 3, -100])),
        ValueError,
        r"target holds class 3, outside \[0, 3\) for an input with 3 classes; .* ignore_index=-100",
    ),
    (
        "multiclass negative target",
        lambda: focal_loss(torch.zeros(2, 3), torch.tensor([0, -1])),
        ValueError,
        r"target holds class -1, outside \[0, 3\)",
    ),
    (
        "binary target 2",
        lambda: focal_loss(torch.zeros(3), torch.tensor([0, 2, 1])),
        ValueError,
        r"target holds 2; task='binary' needs targets 0 or 1",
    ),
    (
        "multilabel target 1.5",
        lambda: focal_loss(torch.zeros(1, 2), torch.tensor([[0.0, 1.5]])),
        ValueError,
        r"target holds 1.5; task='multilabel' needs targets 0 or 1",
    ),
    (
        "binary complex target",
        lambda: focal_loss(torch.zeros(1), torch.tensor([1j])),
        TypeError,
        "target has dtype torch.complex64; pass real 0/1 targets",
    ),
    # ---- logit adjustment
    (
        "tau negative",
        lambda: logit_adjusted_loss(*MULTI, prior=[0.5, 0.3, 0.2], tau=-1),
        ValueError,
        "tau=-1 is negative",
    ),
    (
        "tau bool",
        lambda: adjust_logits(MULTI[0], [0.5, 0.3, 0.2], tau=True),
        TypeError,
        "tau must be a real number, got True",
    ),
    (
        "prior zero",
        lambda: LogitAdjustedLoss(prior=[0.5, 0.5, 0.0]),
        ValueError,
        r"prior\[2\]=0.0: every class needs a positive, finite prior .* class_prior\(labels, smoothing=1.0\)",
    ),
    (
        "prior 2-D",
        lambda: adjust_logits(MULTI[0], torch.ones(3, 1)),
        ValueError,
        r"prior must be a 1-D vector with one probability per class \(at least 2\), got shape \(3, 1\)",
    ),
    (
        "prior length vs classes",
        lambda: logit_adjusted_loss(*MULTI, prior=[0.5, 0.5]),
        ValueError,
        r"prior has 2 classes, but logits of shape \(4, 3\) have 3 \(dim 1\)",
    ),
    (
        "prior length vs single logit",
        lambda: adjust_logits(torch.zeros(4), [0.2, 0.3, 0.5]),
        ValueError,
        r"prior has 3 classes, but logits of shape \(4,\) hold a single logit per sample",
    ),
    (
        "train and true prior lengths",
        lambda: prior_shift_correction(MULTI[0], [0.2, 0.3, 0.5], [0.5, 0.5]),
        ValueError,
        "train_prior has 3 classes and true_prior has 2",
    ),
    (
        "true prior zero",
        lambda: prior_shift_correction(MULTI[0], [0.2, 0.3, 0.5], [0.5, 0.5, 0.0]),
        ValueError,
        r"true_prior\[2\]=0.0: every class needs a positive",
    ),
    (
        "logit adjusted weight length",
        lambda: logit_adjusted_loss(*MULTI, prior=[0.5, 0.3, 0.2], weight=[1.0, 2.0]),
        ValueError,
        r"weight has shape \(2,\), but the input has 3 classes",
    ),
    (
        "logit adjusted target out of range",
        lambda: logit_adjusted_loss(torch.zeros(2, 3), torch.tensor([0, 5]), [0.5, 0.3, 0.2]),
        ValueError,
        r"target holds class 5, outside \[0, 3\)",
    ),
    (
        "logit adjusted logits integer",
        lambda: adjust_logits(torch.tensor([1, 2]), [0.5, 0.5]),
        TypeError,
        "logits must be a floating tensor of logits, got dtype torch.int64",
    ),
    # ---- class weights
    (
        "scheme unknown",
        lambda: class_weights([0, 1], scheme="focal"),
        ValueError,
        "scheme='focal' is not one of",
    ),
    ("scheme type", lambda: class_weights([0, 1], scheme=1), TypeError, "scheme must be a string"),
    (
        "beta 1",
        lambda: class_weights([0, 1], beta=1.0),
        ValueError,
        r"beta=1.0 is outside \[0, 1\)",
    ),
    (
        "beta bool",
        lambda: class_weights([0, 1], beta=False),
        TypeError,
        "beta must be a real number, got False",
    ),
    (
        "smoothing negative",
        lambda: class_weights([0, 1], smoothing=-1),
        ValueError,
        "smoothing=-1 is negative",
    ),
    (
        "num_classes type",
        lambda: class_weights([0, 1], num_classes=2.0),
        TypeError,
        "num_classes must be an int, got 2.0",
    ),
    (
        "num_classes zero",
        lambda: class_prior(counts=[1], num_classes=0),
        ValueError,
        "num_classes=0 must be at least 1",
    ),
    (
        "num_classes too small",
        lambda: class_weights([0, 1, 4], num_classes=3),
        ValueError,
        r"labels hold class 4, outside \[0, 3\) for num_classes=3; raise num_classes to 5",
    ),
    (
        "num_classes vs counts",
        lambda: class_weights(counts=[3, 4], num_classes=3),
        ValueError,
        "num_classes=3 does not match the 2 counts",
    ),
    (
        "labels and counts",
        lambda: class_weights([0, 1], counts=[1, 1]),
        TypeError,
        "pass exactly one of labels and counts=, got both",
    ),
    (
        "neither",
        lambda: class_prior(),
        TypeError,
        "pass exactly one of labels and counts=, got neither",
    ),
    (
        "zero count inverse",
        lambda: class_weights(counts=[5, 0, 3], scheme="inverse"),
        ValueError,
        r"class 1 has count 0, so its weight 1/N_c would be infinite .* 'effective_number' included\). Pass smoothing=1.0",
    ),
    (
        "labels str",
        lambda: class_weights("0101"),
        TypeError,
        "labels must be a tensor, an ndarray or a sequence of numbers, got str",
    ),
    (
        "labels strings",
        lambda: class_weights(["a", "b"]),
        TypeError,
        "labels must hold numbers, got",
    ),
    (
        "labels float",
        lambda: class_weights(torch.tensor([0.0, 1.0])),
        TypeError,
        r"labels must be integer class indices, got dtype torch.float32; .* counts=",
    ),
    (
        "labels 2-D",
        lambda: class_weights(np.zeros((2, 2), dtype=int)),
        ValueError,
        r"labels must be 1-D .* got shape \(2, 2\)",
    ),
    (
        "labels empty",
        lambda: class_weights(torch.tensor([], dtype=torch.long)),
        ValueError,
        "labels is empty",
    ),
    (
        "labels negative",
        lambda: class_weights([0, -1, 1]),
        ValueError,
        "labels hold -1; class labels must be integers >= 0",
    ),
    (
        "counts bool",
        lambda: class_weights(counts=[True, False]),
        TypeError,
        "counts must hold numbers, got dtype torch.bool",
    ),
    (
        "counts 2-D",
        lambda: class_weights(counts=[[1, 2]]),
        ValueError,
        r"counts must be a non-empty 1-D tensor .* got shape \(1, 2\)",
    ),
    (
        "counts negative",
        lambda: class_prior(counts=[3, -1]),
        ValueError,
        r"counts\[1\]=-1.0; counts must be finite and >= 0",
    ),
    ("counts all zero", lambda: class_prior(counts=[0, 0]), ValueError, "the counts sum to 0"),
    (
        "weight in CE kwargs",
        lambda: weighted_cross_entropy([0, 1], weight=torch.ones(2)),
        TypeError,
        r"weighted_cross_entropy\(\) computes weight from the labels, so it does not take weight=",
    ),
    (
        "pos_weight in BCE kwargs",
        lambda: weighted_bce_with_logits([0, 1], pos_weight=torch.ones(1)),
        TypeError,
        r"weighted_bce_with_logits\(\) computes pos_weight from the labels",
    ),
    (
        "bce neither",
        lambda: weighted_bce_with_logits(),
        TypeError,
        "pass exactly one of labels and counts=, got neither",
    ),
    (
        "bce labels 2",
        lambda: weighted_bce_with_logits([0, 2, 1]),
        ValueError,
        "labels hold 2.0; binary labels must be 0 or 1",
    ),
    (
        "bce labels 3-D",
        lambda: weighted_bce_with_logits(np.zeros((1, 1, 1))),
        ValueError,
        r"labels must be non-empty 0/1 labels .* got shape \(1, 1, 1\)",
    ),
    (
        "bce labels complex",
        lambda: weighted_bce_with_logits(torch.tensor([1j])),
        TypeError,
        "labels must hold 0/1 values, got dtype torch.complex64",
    ),
    (
        "bce counts shape",
        lambda: weighted_bce_with_logits(counts=[1, 2, 3]),
        ValueError,
        r"counts of shape \(3,\) are not \[n_negative, n_positive\]",
    ),
    (
        "bce no positives",
        lambda: weighted_bce_with_logits([0, 0, 0]),
        ValueError,
        "class 1 has count 0",
    ),
    (
        "bce multilabel column without positives",
        lambda: weighted_bce_with_logits([[1, 0], [0, 0]]),
        ValueError,
        "class 1 of column 1 has count 0",
    ),
]


@pytest.mark.parametrize(("name", "call", "error", "match"), CASES, ids=[c[0] for c in CASES])
def test_error_message(name, call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_validate_args_false_skips_value_checks_only():
    # Data-dependent checks are skipped; shape and type checks still run.
    focal_loss(torch.zeros(2, 3), torch.tensor([0, 1]), alpha=[0.5, 2.0, 0.5], validate_args=False)
    adjust_logits(torch.zeros(2, 3), torch.tensor([0.5, 0.5, 0.0]), validate_args=False)
    with pytest.raises(ValueError, match=re.escape("does not match input of shape (4, 3)")):
        focal_loss(torch.zeros(4, 3), torch.zeros(5, dtype=torch.long), validate_args=False)
