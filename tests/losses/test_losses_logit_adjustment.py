"""Logit adjustment: loss = CE on shifted logits, post-hoc adjustment, prior-shift correction."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from imbalance_torch.losses import (
    LogitAdjustedLoss,
    adjust_logits,
    class_prior,
    logit_adjusted_loss,
    prior_shift_correction,
)

REDUCTIONS = ("none", "mean", "sum")


def _generator(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("tau", [0.0, 0.5, 1.0, 2.0])
@pytest.mark.parametrize("shape", [(8, 3), (4, 3, 5)])
def test_loss_equals_cross_entropy_on_shifted_logits(reduction, tau, shape):
    gen = _generator(1)
    logits = torch.randn(shape, generator=gen, dtype=torch.float64)
    target = torch.randint(0, 3, shape[:1] + shape[2:], generator=gen)
    target.view(-1)[::4] = -100
    prior = torch.tensor([0.7, 0.2, 0.1], dtype=torch.float64)
    weight = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)
    shift = (tau * prior.log()).view((1, 3) + (1,) * (len(shape) - 2))
    expected = F.cross_entropy(logits + shift, target, weight=weight, reduction=reduction)
    actual = logit_adjusted_loss(logits, target, prior, tau, weight, reduction=reduction)
    torch.testing.assert_close(actual, expected)
    module = LogitAdjustedLoss(prior, tau, weight, reduction=reduction).double()
    torch.testing.assert_close(module(logits, target), expected)


def test_prior_is_normalised_counts_work():
    logits = torch.randn(6, 3, generator=_generator(2))
    target = torch.tensor([0, 1, 2, 0, 0, 1])
    torch.testing.assert_close(
        logit_adjusted_loss(logits, target, [70, 20, 10]),
        logit_adjusted_loss(logits, target, [0.7, 0.2, 0.1]),
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_single_logit_equals_bce_and_two_logit_form(reduction):
    gen = _generator(3)
    logits = 2 * torch.randn(10, generator=gen, dtype=torch.float64)
    target = torch.randint(0, 2, (10,), generator=gen)
    prior = [0.9, 0.1]
    log_odds = torch.log(torch.tensor(0.1 / 0.9, dtype=torch.float64))
    expected = F.binary_cross_entropy_with_logits(
        logits + 1.5 * log_odds, target.double(), reduction=reduction
    )
    actual = logit_adjusted_loss(logits, target, prior, tau=1.5, reduction=reduction)
    torch.testing.assert_close(actual, expected)
    column = logit_adjusted_loss(logits[:, None], target, prior, tau=1.5, reduction=reduction)
    torch.testing.assert_close(column.reshape(actual.shape), actual)
    two_logits = torch.stack([torch.zeros_like(logits), logits], dim=1)
    two_logit_form = logit_adjusted_loss(two_logits, target, prior, tau=1.5, reduction=reduction)
    torch.testing.assert_close(two_logit_form, actual)


def test_binary_ignore_index():
    logits = torch.tensor([0.3, -1.2, 2.0, 0.1])
    target = torch.tensor([1, -100, 0, 1])
    kept = target != -100
    expected = logit_adjusted_loss(logits[kept], target[kept], [0.8, 0.2])
    torch.testing.assert_close(logit_adjusted_loss(logits, target, [0.8, 0.2]), expected)


def test_half_precision_input_computes_in_float32():
    logits = torch.tensor([[100.0, -100.0], [-100.0, 100.0]], dtype=torch.bfloat16)
    logits.requires_grad_()
    loss = logit_adjusted_loss(logits, torch.tensor([0, 0]), [0.99, 0.01])
    assert loss.dtype == torch.float32 and torch.isfinite(loss)
    loss.backward()
    assert torch.isfinite(logits.grad).all()


def test_adjust_logits_formula_and_single_logit_form():
    logits = torch.randn(5, 3, generator=_generator(4))
    prior = torch.tensor([0.6, 0.3, 0.1])
    torch.testing.assert_close(adjust_logits(logits, prior, tau=0.5), logits - 0.5 * prior.log())
    uniform = adjust_logits(logits, [1, 1, 1])  # normalised to 1/3: a constant shift
    torch.testing.assert_close(uniform, logits + torch.log(torch.tensor(3.0)))
    torch.testing.assert_close(torch.softmax(uniform, 1), torch.softmax(logits, 1))
    single = logits[:, 0]
    two = torch.stack([torch.zeros_like(single), single], dim=1)
    adjusted_single = adjust_logits(single, [0.8, 0.2])
    adjusted_two = adjust_logits(two, [0.8, 0.2])
    torch.testing.assert_close(adjusted_single, adjusted_two[:, 1] - adjusted_two[:, 0])
    assert adjust_logits(logits.double(), prior).dtype == torch.float64


def test_adjusted_logits_of_plain_model_equal_logit_adjusted_training_target():
    # A model trained with the logit-adjusted loss outputs x; plain CE would have learned
    # x + log(prior). Post-hoc adjustment of the latter recovers x.
    logits = torch.randn(4, 3, generator=_generator(5))
    prior = torch.tensor([0.5, 0.3, 0.2])
    torch.testing.assert_close(adjust_logits(logits + prior.log(), prior), logits)


def test_prior_shift_correction_formula():
    logits = torch.randn(6, 3, generator=_generator(6))
    train, true = torch.tensor([1 / 3, 1 / 3, 1 / 3]), torch.tensor([0.8, 0.15, 0.05])
    expected = logits + true.log() - train.log()
    torch.testing.assert_close(prior_shift_correction(logits, train, true), expected)
    torch.testing.assert_close(prior_shift_correction(logits, true, true), logits)
    single = logits[:, 0]
    two = torch.stack([torch.zeros_like(single), single], dim=1)
    corrected_two = prior_shift_correction(two, [0.5, 0.5], [0.9, 0.1])
    torch.testing.assert_close(
        torch.sigmoid(prior_shift_correction(single, [0.5, 0.5], [0.9, 0.1])),
        torch.softmax(corrected_two, dim=1)[:, 1],
    )


def _fit_linear(features, labels, out_features):
    """Full-batch logistic / softmax regression with L-BFGS (deterministic, a few ms)."""
    torch.manual_seed(0)  # only the layer's initial weights; the fit is convex
    model = torch.nn.Linear(features.shape[1], out_features)
    optimizer = torch.optim.LBFGS(model.parameters(), max_iter=100, line_search_fn="strong_wolfe")

    def closure():
        optimizer.zero_grad()
        logits = model(features)
        if out_features == 1:
            loss = F.binary_cross_entropy_with_logits(logits.squeeze(1), labels.float())
        else:
            loss = F.cross_entropy(logits, labels)
        loss.backward()
        return loss

    optimizer.step(closure)
    return model


def _gaussian_classes(counts, means, gen):
    features = torch.cat([torch.randn(n, 2, generator=gen) + m for n, m in zip(counts, means)])
    labels = torch.cat([torch.full((n,), c) for c, n in enumerate(counts)])
    return features, labels


def test_prior_correction_recovers_natural_ratio_binary():
    gen = _generator(7)
    means = torch.tensor([[0.0, 0.0], [1.5, 1.0]])
    # Trained on a 1:1 resample of a 9:1 problem.
    train_x, train_y = _gaussian_classes([1500, 1500], means, gen)
    model = _fit_linear(train_x, train_y, 1)
    test_x, _ = _gaussian_classes([4500, 500], means, gen)
    true_prior = torch.tensor([0.9, 0.1])
    with torch.no_grad():
        logits = model(test_x).squeeze(1)
        uncorrected = torch.sigmoid(logits).mean()
        corrected = torch.sigmoid(
            prior_shift_correction(logits, class_prior(train_y), true_prior)
        ).mean()
    assert abs(corrected - 0.1) < abs(uncorrected - 0.1)
    assert abs(corrected - 0.1) < 0.02


def test_prior_correction_recovers_natural_ratio_multiclass():
    gen = _generator(8)
    means = torch.tensor([[0.0, 0.0], [2.0, 0.0], [0.0, 2.0]])
    train_x, train_y = _gaussian_classes([1000, 1000, 1000], means, gen)
    model = _fit_linear(train_x, train_y, 3)
    true_prior = torch.tensor([0.8, 0.15, 0.05])
    test_x, _ = _gaussian_classes([4000, 750, 250], means, gen)
    with torch.no_grad():
        logits = model(test_x)
        uncorrected = torch.softmax(logits, 1).mean(0)
        corrected = prior_shift_correction(logits, class_prior(train_y), true_prior)
        corrected = torch.softmax(corrected, 1).mean(0)
    assert (corrected - true_prior).abs().sum() < (uncorrected - true_prior).abs().sum()
    assert (corrected - true_prior).abs().max() < 0.03
