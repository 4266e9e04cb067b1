"""Probability (soft-label) targets in the multi-class losses (issue 24 item 1)."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from imbalance_torch.losses import (
    FocalLoss,
    LogitAdjustedLoss,
    focal_loss,
    logit_adjusted_loss,
    weighted_cross_entropy,
)

REDUCTIONS = ("none", "sum", "mean")
PRIOR = torch.tensor([0.5, 0.3, 0.15, 0.05], dtype=torch.float64)


def _data(seed: int = 0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    logits = torch.randn(7, 4, generator=generator, dtype=torch.float64) * 3
    target = torch.tensor([0, 1, 2, 3, 1, 0, 2])
    probs = torch.softmax(torch.randn(7, 4, generator=generator, dtype=torch.float64), dim=1)
    weight = torch.tensor([0.5, 1.0, 2.0, 4.0], dtype=torch.float64)
    return logits, target, probs, weight


def _losses(weight):
    """Each multi-class loss as a callable (input, target, reduction) -> loss."""
    return {
        "focal_gamma2": lambda x, t, r: focal_loss(
            x, t, gamma=2.0, weight=weight, reduction=r, task="multiclass"
        ),
        "focal_gamma0.5_alpha": lambda x, t, r: focal_loss(
            x,
            t,
            gamma=0.5,
            alpha=torch.tensor([0.2, 0.4, 0.6, 0.8], dtype=torch.float64),
            weight=weight,
            reduction=r,
            task="multiclass",
        ),
        "logit_adjusted": lambda x, t, r: logit_adjusted_loss(
            x, t, PRIOR, tau=1.0, weight=weight, reduction=r
        ),
        "weighted_cross_entropy": lambda x, t, r: _weighted_ce(weight, r)(x, t),
    }


def _weighted_ce(weight, reduction):
    if weight is None:
        return torch.nn.CrossEntropyLoss(reduction=reduction)
    return weighted_cross_entropy(counts=[8, 4, 2, 1], reduction=reduction).double()


#: Built on torch's cross_entropy, whose soft and hard kernels add in different orders.
_TORCH_KERNEL = {"logit_adjusted", "weighted_cross_entropy"}


@pytest.mark.parametrize("with_weight", [False, True])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", list(_losses(None)))
def test_one_hot_probabilities_equal_the_class_index_loss(name, reduction, with_weight):
    logits, target, _, weight = _data()
    weight = weight if with_weight else None
    loss = _losses(weight)[name]
    one_hot = F.one_hot(target, 4).to(torch.float64)
    hard = loss(logits, target, reduction)
    soft = loss(logits, one_hot, reduction)
    if reduction == "mean" and with_weight:
        # torch's rule: a probability target's mean divides by N, a class index's by sum w_y.
        hard = loss(logits, target, "sum") / target.numel()
    # float64: equal to rounding. The focal loss's class-index path keeps its original
    # operations (so trained numbers stay the same), the probability path computes every
    # class's log(1 - p) at once, so the two agree to rounding, as torch's two kernels do.
    torch.testing.assert_close(soft, hard, rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("with_weight", [False, True])
def test_gamma0_focal_and_zero_adjustment_equal_torch_soft_cross_entropy(reduction, with_weight):
    logits, _, probs, weight = _data(1)
    weight = weight if with_weight else None
    expected = F.cross_entropy(logits, probs, weight=weight, reduction=reduction)
    focal = focal_loss(
        logits, probs, gamma=0.0, weight=weight, reduction=reduction, task="multiclass"
    )
    adjusted = logit_adjusted_loss(
        logits, probs, PRIOR, tau=0.0, weight=weight, reduction=reduction
    )
    torch.testing.assert_close(focal, expected, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(adjusted, expected, rtol=1e-12, atol=1e-12)


def test_logit_adjusted_soft_is_cross_entropy_on_shifted_logits():
    logits, _, probs, _ = _data(2)
    expected = F.cross_entropy(logits + 0.5 * PRIOR.log(), probs)
    torch.testing.assert_close(logit_adjusted_loss(logits, probs, PRIOR, tau=0.5), expected)


def test_soft_focal_matches_the_formula_by_hand():
    logits = torch.tensor([[1.0, 0.0, -1.0]], dtype=torch.float64)
    probs = torch.tensor([[0.25, 0.75, 0.0]], dtype=torch.float64)
    p = torch.softmax(logits, dim=1)[0]
    # -sum_c (1 - p_c)^gamma t_c log p_c with gamma = 2
    by_hand = -(0.25 * (1 - p[0]) ** 2 * p[0].log() + 0.75 * (1 - p[1]) ** 2 * p[1].log())
    got = focal_loss(logits, probs, gamma=2.0, task="multiclass")
    torch.testing.assert_close(got, by_hand)


def test_soft_focal_spatial_and_unbatched_shapes():
    generator = torch.Generator().manual_seed(3)
    logits = torch.randn(2, 3, 4, 5, generator=generator, dtype=torch.float64)
    probs = torch.softmax(torch.randn(2, 3, 4, 5, generator=generator, dtype=torch.float64), 1)
    got = focal_loss(logits, probs, gamma=0.0, reduction="none", task="multiclass")
    torch.testing.assert_close(got, F.cross_entropy(logits, probs, reduction="none"))
    one = focal_loss(logits[:, :, 0, 0][0], probs[:, :, 0, 0][0], gamma=0.0, task="multiclass")
    torch.testing.assert_close(one, F.cross_entropy(logits[0, :, 0, 0], probs[0, :, 0, 0]))


def test_modules_take_probability_targets():
    logits, target, probs, weight = _data(4)
    focal = FocalLoss(gamma=2.0, weight=weight, task="multiclass")
    torch.testing.assert_close(
        focal(logits, probs), focal_loss(logits, probs, gamma=2.0, weight=weight, task="multiclass")
    )
    adjusted = LogitAdjustedLoss(PRIOR).double()
    torch.testing.assert_close(adjusted(logits, probs), logit_adjusted_loss(logits, probs, PRIOR))


def test_gradcheck_float64():
    logits, _, probs, weight = _data(5)
    logits = logits.clone().requires_grad_(True)
    alpha = torch.tensor([0.2, 0.4, 0.6, 0.8], dtype=torch.float64)
    assert torch.autograd.gradcheck(
        lambda x: focal_loss(x, probs, gamma=1.5, alpha=alpha, weight=weight, task="multiclass"),
        (logits,),
    )
    assert torch.autograd.gradcheck(
        lambda x: logit_adjusted_loss(x, probs, PRIOR, weight=weight), (logits,)
    )


def test_confident_logits_keep_a_finite_gradient_for_small_gamma():
    # NOTE [focal stability]: (1 - p)^gamma never from 1 - p.
    logits = torch.tensor([[40.0, 0.0, -5.0]], requires_grad=True)
    probs = torch.tensor([[0.9, 0.1, 0.0]])
    focal_loss(logits, probs, gamma=0.5, task="multiclass").backward()
    assert torch.isfinite(logits.grad).all()


# ----------------------------------------------------------------------------- bad targets


def test_rows_not_summing_to_one_are_refused():
    logits, _, probs, _ = _data()
    bad = probs.clone()
    bad[2] *= 2
    with pytest.raises(ValueError, match=r"row 2 of target sums to 2\.0.*not 1 \(tolerance"):
        focal_loss(logits, bad, task="multiclass")
    with pytest.raises(ValueError, match=r"row 2 of target sums to 2\.0.*Normalise them"):
        logit_adjusted_loss(logits, bad, PRIOR)


def test_weighted_cross_entropy_is_torch_soft_cross_entropy():
    logits, _, probs, _ = _data()
    criterion = weighted_cross_entropy(counts=[8, 4, 2, 1]).double()
    expected = F.cross_entropy(logits, probs, weight=criterion.weight)
    torch.testing.assert_close(criterion(logits, probs), expected)
    checked = focal_loss(logits, probs, gamma=0.0, weight=criterion.weight, task="multiclass")
    torch.testing.assert_close(checked, expected, rtol=1e-12, atol=1e-12)


def test_rows_within_the_tolerance_are_accepted():
    logits, _, probs, _ = _data()
    nearly = probs.clone()
    nearly[:, 0] += 5e-5
    focal_loss(logits, nearly, task="multiclass")


def test_negative_and_nan_probabilities_are_refused():
    logits, _, probs, _ = _data()
    bad = probs.clone()
    bad[1, 2] = -0.25
    bad[1, 3] += 0.25
    with pytest.raises(ValueError, match=r"target\[1, 2\]=-0\.25: probability targets must be"):
        focal_loss(logits, bad, task="multiclass")
    bad[1, 2] = float("nan")
    with pytest.raises(ValueError, match=r"target\[1, 2\]=nan: .*finite and >= 0"):
        logit_adjusted_loss(logits, bad, PRIOR)


def test_probabilities_of_the_wrong_shape_are_refused():
    logits, _, probs, _ = _data()
    with pytest.raises(ValueError, match=r"class indices of shape \(7,\) or class probabilities"):
        focal_loss(logits, probs[:, :3], task="multiclass")
    with pytest.raises(ValueError, match=r"class indices of shape \(7,\) or class probabilities"):
        logit_adjusted_loss(logits, probs[:5], PRIOR)


def test_integer_one_hot_is_not_read_as_probabilities():
    logits, target, _, _ = _data()
    with pytest.raises(ValueError, match=r"convert them with target.argmax\(dim=1\)"):
        focal_loss(logits, F.one_hot(target, 4), task="multiclass")


def test_validate_args_false_skips_the_value_checks():
    logits, _, probs, _ = _data()
    focal_loss(logits, probs * 2, task="multiclass", validate_args=False)
