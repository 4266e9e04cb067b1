"""Class weights against scikit-learn and the effective-number formula; torch's weighted losses."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.utils.class_weight import compute_class_weight

from imbalance_torch.losses import (
    class_prior,
    class_weights,
    weighted_bce_with_logits,
    weighted_cross_entropy,
)

SCHEMES = ("balanced", "inverse", "sqrt_inverse", "effective_number")


@pytest.mark.parametrize("seed", range(5))
def test_balanced_equals_sklearn(seed):
    rng = np.random.default_rng(seed)
    num_classes = int(rng.integers(2, 7))
    probabilities = rng.dirichlet(np.ones(num_classes))
    labels = rng.choice(num_classes, size=200, p=probabilities)
    labels[:num_classes] = np.arange(num_classes)  # every class present
    expected = compute_class_weight("balanced", classes=np.arange(num_classes), y=labels)
    actual = class_weights(labels, scheme="balanced")
    assert actual.dtype == torch.float32 and actual.shape == (num_classes,)
    np.testing.assert_allclose(actual.numpy(), expected, rtol=1e-6)


@pytest.mark.parametrize("beta", [0.0, 0.9, 0.99, 0.999, 0.9999])
def test_effective_number_formula(beta):
    counts = np.array([5000.0, 300.0, 20.0, 1.0])
    raw = (1 - beta) / (1 - np.power(beta, counts))
    expected = raw / raw.sum() * len(counts)
    actual = class_weights(counts=counts, scheme="effective_number", beta=beta)
    np.testing.assert_allclose(actual.numpy(), expected, rtol=1e-6)
    np.testing.assert_allclose(actual.sum().item(), len(counts), rtol=1e-6)


def test_effective_number_limits():
    counts = [400, 40, 4]
    np.testing.assert_allclose(class_weights(counts=counts, scheme="effective_number", beta=0.0), 1)
    near_one = class_weights(counts=counts, scheme="effective_number", beta=1 - 1e-9)
    torch.testing.assert_close(near_one, class_weights(counts=counts, scheme="inverse"))


def test_inverse_and_sqrt_inverse_normalisation():
    counts = np.array([90.0, 9.0, 1.0])
    inverse = class_weights(counts=counts, scheme="inverse").double().numpy()
    np.testing.assert_allclose(inverse, (1 / counts) / (1 / counts).sum() * 3, rtol=1e-6)
    sqrt_inverse = class_weights(counts=counts, scheme="sqrt_inverse").double().numpy()
    raw = 1 / np.sqrt(counts)
    np.testing.assert_allclose(sqrt_inverse, raw / raw.sum() * 3, rtol=1e-6)
    balanced = class_weights(counts=counts).double().numpy()
    np.testing.assert_allclose((balanced * counts).sum() / counts.sum(), 1.0, rtol=1e-6)
    # 'inverse' and 'balanced' differ by a constant factor only.
    np.testing.assert_allclose(inverse / balanced, inverse[0] / balanced[0], rtol=1e-6)


@settings(max_examples=60, deadline=None)
@given(
    counts=st.lists(st.integers(1, 10**7), min_size=1, max_size=12),
    scheme=st.sampled_from(SCHEMES),
    beta=st.sampled_from([0.0, 0.5, 0.9, 0.99, 0.999, 0.9999, 0.999999]),
)
def test_weights_are_finite_positive_and_favour_rare_classes(counts, scheme, beta):
    weights = class_weights(counts=counts, scheme=scheme, beta=beta)
    assert torch.isfinite(weights).all() and (weights > 0).all()
    if scheme != "balanced":
        np.testing.assert_allclose(weights.sum().item(), len(counts), rtol=1e-5)
    order = np.argsort(counts, kind="stable")
    sorted_weights = weights.double().numpy()[order]
    assert (np.diff(sorted_weights) <= 1e-6 * sorted_weights[:-1]).all()


@pytest.mark.parametrize(
    "labels",
    [
        [0, 0, 0, 1, 2, 2],
        np.array([0, 0, 0, 1, 2, 2]),
        torch.tensor([0, 0, 0, 1, 2, 2], dtype=torch.int32),
    ],
)
def test_labels_as_list_ndarray_tensor_and_counts_agree(labels):
    torch.testing.assert_close(class_weights(labels), class_weights(counts=[3, 1, 2]))
    torch.testing.assert_close(class_prior(labels), torch.tensor([0.5, 1 / 6, 1 / 3]))


def test_bool_labels_and_float_counts():
    torch.testing.assert_close(
        class_weights(torch.tensor([False, False, True])), class_weights(counts=[2.0, 1.0])
    )
    torch.testing.assert_close(class_prior(counts=[1.5, 0.5]), torch.tensor([0.75, 0.25]))


def test_num_classes_and_smoothing():
    labels = [0, 0, 1]
    with pytest.raises(ValueError, match="class 2 has count 0"):
        class_weights(labels, num_classes=3)
    smoothed = class_weights(labels, num_classes=3, smoothing=1.0)
    torch.testing.assert_close(smoothed, class_weights(counts=[3.0, 2.0, 1.0]))
    torch.testing.assert_close(
        class_prior(labels, num_classes=3), torch.tensor([2 / 3, 1 / 3, 0.0])
    )
    torch.testing.assert_close(
        class_prior(labels, num_classes=3, smoothing=1.0), torch.tensor([0.5, 1 / 3, 1 / 6])
    )


def test_weighted_cross_entropy_is_torch_loss_with_class_weights():
    labels = torch.tensor([0, 0, 0, 0, 1, 2, 2])
    criterion = weighted_cross_entropy(labels, scheme="sqrt_inverse", reduction="sum")
    assert type(criterion) is torch.nn.CrossEntropyLoss
    assert criterion.reduction == "sum"
    torch.testing.assert_close(criterion.weight, class_weights(labels, scheme="sqrt_inverse"))
    logits = torch.randn(7, 3, generator=torch.Generator().manual_seed(0))
    expected = F.cross_entropy(logits, labels, weight=criterion.weight, reduction="sum")
    torch.testing.assert_close(criterion(logits, labels), expected)
    assert "weight" in criterion.state_dict()


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
def test_bce_pos_weight_equals_per_sample_weighted_bce_up_to_w0(scheme, reduction):
    labels = torch.tensor([0, 0, 0, 0, 0, 0, 1, 1, 0, 0])
    weights = class_weights(labels, scheme=scheme).double()
    criterion = weighted_bce_with_logits(labels, scheme=scheme, reduction=reduction)
    assert type(criterion) is torch.nn.BCEWithLogitsLoss and criterion.pos_weight.shape == (1,)
    logits = 2 * torch.randn(10, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    target = labels.double()
    per_sample = F.binary_cross_entropy_with_logits(
        logits, target, weight=weights[labels], reduction=reduction
    )
    with_pos_weight = F.binary_cross_entropy_with_logits(
        logits, target, pos_weight=criterion.pos_weight.double(), reduction=reduction
    )
    torch.testing.assert_close(weights[0] * with_pos_weight, per_sample)


def test_bce_pos_weight_balanced_is_negative_over_positive_count():
    criterion = weighted_bce_with_logits(np.array([0.0, 0.0, 0.0, 1.0, 0.0, 1.0]))
    torch.testing.assert_close(criterion.pos_weight, torch.tensor([2.0]))
    torch.testing.assert_close(
        weighted_bce_with_logits(counts=[4, 2]).pos_weight, torch.tensor([2.0])
    )


def test_bce_multilabel_pos_weight_per_column():
    labels = torch.tensor([[1, 0, 1], [0, 0, 1], [0, 1, 1], [0, 0, 0]])
    criterion = weighted_bce_with_logits(labels)
    torch.testing.assert_close(criterion.pos_weight, torch.tensor([3.0, 3.0, 1 / 3]))
    from_counts = weighted_bce_with_logits(counts=[[3, 1], [3, 1], [1, 3]], scheme="inverse")
    torch.testing.assert_close(from_counts.pos_weight, criterion.pos_weight)
    logits = torch.randn(4, 3)
    assert criterion(logits, labels.float()).shape == ()
