"""Focal loss against torch's own losses and torchvision's formula (written out here)."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from imbalance_torch.losses import FocalLoss, focal_loss

REDUCTIONS = ("none", "mean", "sum")


def torchvision_sigmoid_focal_loss(inputs, targets, alpha=0.25, gamma=2.0, reduction="none"):
    """torchvision.ops.sigmoid_focal_loss (v0.15+), copied formula; alpha < 0 disables alpha."""
    p = torch.sigmoid(inputs)
    ce_loss = F.binary_cross_entropy_with_logits(inputs, targets, reduction="none")
    p_t = p * targets + (1 - p) * (1 - targets)
    loss = ce_loss * ((1 - p_t) ** gamma)
    if alpha >= 0:
        alpha_t = alpha * targets + (1 - alpha) * (1 - targets)
        loss = alpha_t * loss
    if reduction == "mean":
        loss = loss.mean()
    elif reduction == "sum":
        loss = loss.sum()
    return loss


def softmax_focal_reference(logits, target, gamma, alpha=None, weight=None, reduction="mean"):
    """-w_y alpha_y (1 - p_y)^gamma log p_y from softmax probabilities, (N, C) only."""
    probs = torch.softmax(logits, dim=1)
    p_y = probs[torch.arange(len(target)), target]
    loss = -((1 - p_y) ** gamma) * torch.log(p_y)
    if alpha is not None:
        loss = loss * alpha[target]
    sample_weight = torch.ones_like(p_y) if weight is None else weight[target]
    loss = loss * sample_weight
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    return loss.sum() / sample_weight.sum()


def _generator(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _multiclass_data(shape=(7, 4), seed=0, ignore=True):
    gen = _generator(seed)
    logits = 3 * torch.randn(shape, generator=gen, dtype=torch.float64)
    target_shape = shape[:1] + shape[2:]
    target = torch.randint(0, shape[1], target_shape, generator=gen)
    if ignore:
        target.view(-1)[::3] = -100
    return logits, target


def _binary_data(n=9, seed=0):
    gen = _generator(seed)
    logits = 3 * torch.randn(n, generator=gen, dtype=torch.float64)
    target = torch.randint(0, 2, (n,), generator=gen)
    return logits, target


# ------------------------------------------------------------------ gamma = 0 is torch's CE


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("use_weight", [False, True])
@pytest.mark.parametrize("shape", [(7, 4), (5, 3, 2, 3)])
@pytest.mark.parametrize("ignore_index", [-100, 1])
def test_multiclass_gamma_zero_equals_cross_entropy(reduction, use_weight, shape, ignore_index):
    logits, target = _multiclass_data(shape, ignore=False)
    target.view(-1)[::3] = ignore_index
    weight = torch.tensor([0.5, 2.0, 1.0, 3.0][: shape[1]], dtype=torch.float64)
    weight = weight if use_weight else None
    expected = F.cross_entropy(
        logits, target, weight=weight, ignore_index=ignore_index, reduction=reduction
    )
    actual = focal_loss(
        logits, target, gamma=0.0, weight=weight, ignore_index=ignore_index, reduction=reduction
    )
    torch.testing.assert_close(actual, expected)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("use_weight", [False, True])
@pytest.mark.parametrize("target_dtype", [torch.int64, torch.float64, torch.bool])
@pytest.mark.parametrize("column", [False, True])
def test_binary_gamma_zero_equals_bce(reduction, use_weight, target_dtype, column):
    logits, target = _binary_data()
    weight = torch.linspace(0.5, 2.0, len(logits), dtype=torch.float64) if use_weight else None
    expected = F.binary_cross_entropy_with_logits(
        logits, target.double(), weight=weight, reduction=reduction
    )
    if column:  # (N, 1) logits with (N,) targets
        logits = logits.unsqueeze(1)
        weight = None if weight is None else weight.unsqueeze(1)
        expected = expected.unsqueeze(1) if reduction == "none" else expected
    actual = focal_loss(
        logits, target.to(target_dtype), gamma=0.0, weight=weight, reduction=reduction
    )
    torch.testing.assert_close(actual, expected)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("use_weight", [False, True])
def test_binary_ignore_index_equals_bce_on_kept_elements(reduction, use_weight):
    logits, target = _binary_data(12)
    target[::4] = -100
    kept = target != -100
    weight = torch.linspace(0.5, 2.0, len(logits), dtype=torch.float64) if use_weight else None
    expected = F.binary_cross_entropy_with_logits(
        logits[kept],
        target[kept].double(),
        weight=None if weight is None else weight[kept],
        reduction=reduction,
    )
    actual = focal_loss(logits, target, gamma=0.0, weight=weight, reduction=reduction)
    if reduction == "none":
        assert (actual[~kept] == 0).all()
        actual = actual[kept]
    torch.testing.assert_close(actual, expected)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_multilabel_gamma_zero_equals_bce(reduction):
    gen = _generator(3)
    logits = 3 * torch.randn(6, 4, generator=gen, dtype=torch.float64)
    target = torch.randint(0, 2, (6, 4), generator=gen).double()
    weight = torch.tensor([1.0, 2.0, 0.5, 1.5], dtype=torch.float64)  # per class, broadcast
    expected = F.binary_cross_entropy_with_logits(
        logits, target, weight=weight, reduction=reduction
    )
    actual = focal_loss(logits, target, gamma=0.0, weight=weight, reduction=reduction)
    torch.testing.assert_close(actual, expected)


# ------------------------------------------------------------------ focal formulas


@pytest.mark.parametrize("alpha", [None, 0.25, 0.75, 0.0, 1.0])
@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0, 3.5])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_equals_torchvision_formula(alpha, gamma, reduction):
    logits, target = _binary_data(16)
    expected = torchvision_sigmoid_focal_loss(
        logits,
        target.double(),
        alpha=-1 if alpha is None else alpha,
        gamma=gamma,
        reduction=reduction,
    )
    actual = focal_loss(logits, target, gamma=gamma, alpha=alpha, reduction=reduction)
    torch.testing.assert_close(actual, expected)


def test_binary_soft_targets_equal_torchvision_formula():
    logits, _ = _binary_data(16)
    target = torch.rand(16, generator=_generator(5), dtype=torch.float64)
    target[:3] = torch.tensor([0.0, 1.0, 0.5], dtype=torch.float64)
    expected = torchvision_sigmoid_focal_loss(logits, target, alpha=0.75, gamma=1.5)
    actual = focal_loss(logits, target, gamma=1.5, alpha=0.75, reduction="none")
    torch.testing.assert_close(actual, expected)


@pytest.mark.parametrize("alpha", [0.75, [0.1, 0.6, 0.3, 0.9]])
def test_multilabel_equals_torchvision_formula_per_column(alpha):
    gen = _generator(4)
    logits = 3 * torch.randn(8, 4, generator=gen, dtype=torch.float64)
    target = F.one_hot(torch.randint(0, 4, (8,), generator=gen), 4).double()
    if isinstance(alpha, float):
        expected = torchvision_sigmoid_focal_loss(logits, target, alpha=alpha, gamma=2.0)
    else:
        columns = [
            torchvision_sigmoid_focal_loss(logits[:, c], target[:, c], alpha=a, gamma=2.0)
            for c, a in enumerate(alpha)
        ]
        expected = torch.stack(columns, dim=1)
    actual = focal_loss(logits, target, gamma=2.0, alpha=alpha, reduction="none")
    torch.testing.assert_close(actual, expected)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("gamma", [0.5, 2.0])
def test_multiclass_equals_reference(reduction, gamma):
    logits, target = _multiclass_data((10, 4), ignore=False)
    alpha = torch.tensor([0.25, 0.5, 0.75, 1.0], dtype=torch.float64)
    weight = torch.tensor([1.0, 2.0, 0.5, 4.0], dtype=torch.float64)
    expected = softmax_focal_reference(logits, target, gamma, alpha, weight, reduction)
    actual = focal_loss(logits, target, gamma, alpha, weight, reduction=reduction)
    torch.testing.assert_close(actual, expected)


def test_multiclass_extra_dims_equal_flattened():
    logits, target = _multiclass_data((3, 4, 5, 2))
    flat_logits = logits.movedim(1, -1).reshape(-1, 4)
    alpha = torch.tensor([0.2, 0.4, 0.6, 0.8])
    actual = focal_loss(logits, target, alpha=alpha, reduction="none")
    expected = focal_loss(flat_logits, target.reshape(-1), alpha=alpha, reduction="none")
    torch.testing.assert_close(actual, expected.reshape(3, 5, 2))


def test_unbatched_multiclass_equals_batched():
    logits, target = _multiclass_data((1, 5), ignore=False)
    single = focal_loss(logits[0], target[0], task="multiclass", reduction="none")
    assert single.shape == ()
    torch.testing.assert_close(single, focal_loss(logits, target, reduction="none")[0])


def test_binary_alpha_tensor_equals_float_and_column_equals_flat():
    logits, target = _binary_data()
    expected = focal_loss(logits, target, alpha=0.75)
    torch.testing.assert_close(focal_loss(logits, target, alpha=[0.25, 0.75]), expected)
    torch.testing.assert_close(focal_loss(logits[:, None], target[:, None], alpha=0.75), expected)


def test_binary_two_logit_softmax_equals_sigmoid_form():
    logits, target = _binary_data()
    two_logits = torch.stack([torch.zeros_like(logits), logits], dim=1)
    sigmoid_form = focal_loss(logits, target, gamma=2.0, alpha=0.75, reduction="none")
    softmax_form = focal_loss(
        two_logits, target, gamma=2.0, alpha=torch.tensor([0.25, 0.75]), reduction="none"
    )
    torch.testing.assert_close(sigmoid_form, softmax_form.to(sigmoid_form.dtype))


@pytest.mark.parametrize(
    ("logits_shape", "target", "task"),
    [
        ((5,), torch.zeros(5), "binary"),
        ((5, 1), torch.zeros(5, dtype=torch.long), "binary"),
        ((5, 1, 3), torch.zeros(5, 3), "binary"),
        ((5, 3), torch.zeros(5, dtype=torch.long), "multiclass"),
        ((5, 3), torch.zeros(5, 3), "multilabel"),
        ((5, 3), torch.zeros(5, 3, dtype=torch.long), "multilabel"),
    ],
)
def test_task_inference(logits_shape, target, task):
    logits = torch.randn(logits_shape, generator=_generator())
    inferred = focal_loss(logits, target, reduction="none")
    explicit = focal_loss(logits, target, reduction="none", task=task)
    torch.testing.assert_close(inferred, explicit)


def test_all_ignored_mean_is_nan_like_torch_and_sum_is_zero():
    logits, target = _multiclass_data((4, 3), ignore=False)
    target[:] = -100
    assert torch.isnan(F.cross_entropy(logits, target))
    assert torch.isnan(focal_loss(logits, target))
    assert focal_loss(logits, target, reduction="sum") == 0


def test_empty_batch():
    assert focal_loss(torch.empty(0, 3), torch.empty(0, dtype=torch.long), reduction="sum") == 0
    assert focal_loss(torch.empty(0), torch.empty(0), reduction="none").shape == (0,)


def test_validate_args_false_skips_value_checks():
    logits = torch.tensor([0.5, -0.5])
    with pytest.raises(ValueError, match="needs targets 0 or 1"):
        focal_loss(logits, torch.tensor([2.0, 0.0]))
    focal_loss(logits, torch.tensor([2.0, 0.0]), validate_args=False)  # no check, no error


# ------------------------------------------------------------------ gradients and stability


@pytest.mark.parametrize("gamma", [0.5, 2.0])
def test_gradcheck(gamma):
    gen = _generator(7)
    binary_logits = torch.randn(6, generator=gen, dtype=torch.float64, requires_grad=True)
    binary_target = torch.tensor([0.0, 1.0, 1.0, 0.0, 0.3, 1.0], dtype=torch.float64)
    assert torch.autograd.gradcheck(
        lambda x: focal_loss(x, binary_target, gamma, alpha=0.75, reduction="none"),
        (binary_logits,),
    )
    multi_logits = torch.randn(4, 3, 2, generator=gen, dtype=torch.float64, requires_grad=True)
    multi_target = torch.tensor([[0, 1], [2, -100], [1, 1], [0, 2]])
    alpha = torch.tensor([0.2, 0.5, 0.9], dtype=torch.float64)
    weight = torch.tensor([1.0, 3.0, 0.5], dtype=torch.float64)
    assert torch.autograd.gradcheck(
        lambda x: focal_loss(x, multi_target, gamma, alpha, weight), (multi_logits,)
    )
    label_logits = torch.randn(3, 4, generator=gen, dtype=torch.float64, requires_grad=True)
    label_target = torch.randint(0, 2, (3, 4), generator=gen).double()
    assert torch.autograd.gradcheck(
        lambda x: focal_loss(x, label_target, gamma, alpha=0.25, reduction="sum"),
        (label_logits,),
    )


def _extreme_cases():
    binary = (torch.tensor([100.0, -100.0, 100.0, -100.0]), torch.tensor([1, 1, 0, 0]))
    multiclass = (
        torch.tensor([[100.0, -100.0, 0.0], [-100.0, 100.0, -100.0], [100.0, -100.0, 100.0]]),
        torch.tensor([0, 0, 2]),
    )
    multilabel = (torch.tensor([[100.0, -100.0], [-100.0, 100.0]]), torch.tensor([[1.0, 1.0]] * 2))
    return {"binary": binary, "multiclass": multiclass, "multilabel": multilabel}


@pytest.mark.parametrize("task", ["binary", "multiclass", "multilabel"])
@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float16, torch.bfloat16])
def test_extreme_logits_give_finite_loss_and_gradients(task, gamma, dtype):
    logits, target = _extreme_cases()[task]
    logits = logits.to(dtype).requires_grad_()
    loss = focal_loss(logits, target, gamma=gamma, reduction="none")
    assert loss.dtype == torch.float32
    assert torch.isfinite(loss).all()
    loss.sum().backward()
    assert torch.isfinite(logits.grad).all()
    # Confidently right: loss ~ 0 (exp(-100)); confidently wrong: loss ~ 100 * (1 - p_t)^gamma.
    assert loss.min() < 1e-6
    assert loss.max() > 99


@pytest.mark.parametrize("autocast_dtype", [torch.bfloat16, torch.float16])
@pytest.mark.parametrize("task", ["binary", "multiclass"])
def test_autocast_training_step_is_finite(autocast_dtype, task):
    out_features = 1 if task == "binary" else 3
    layer = torch.nn.Linear(4, out_features)
    features = 50 * torch.randn(8, 4, generator=_generator(8))  # logits of order +-100
    target = torch.randint(0, out_features if task == "multiclass" else 2, (8,))
    with torch.autocast("cpu", dtype=autocast_dtype):
        logits = layer(features)
        loss = focal_loss(logits, target, gamma=2.0)
    assert loss.dtype == torch.float32 and torch.isfinite(loss)
    loss.backward()
    assert all(torch.isfinite(p.grad).all() for p in layer.parameters())


# ------------------------------------------------------------------ invariants (hypothesis)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**16),
    gamma=st.floats(0.0, 5.0),
    num_classes=st.integers(2, 6),
    scale=st.floats(0.1, 30.0),
)
def test_focal_is_at_most_cross_entropy_and_decreases_with_gamma(seed, gamma, num_classes, scale):
    gen = _generator(seed)
    logits = scale * torch.randn(16, num_classes, generator=gen, dtype=torch.float64)
    target = torch.randint(0, num_classes, (16,), generator=gen)
    cross_entropy = F.cross_entropy(logits, target, reduction="none")
    focal = focal_loss(logits, target, gamma=gamma, reduction="none")
    more_focused = focal_loss(logits, target, gamma=gamma + 1.0, reduction="none")
    assert (focal >= 0).all()
    assert (focal <= cross_entropy * (1 + 1e-12)).all()
    assert (more_focused <= focal * (1 + 1e-12)).all()


def test_module_repr_and_float_alpha_is_attribute():
    criterion = FocalLoss(gamma=1.0, alpha=0.75)
    assert "gamma=1.0, alpha=0.75" in repr(criterion)
    assert "alpha" not in criterion.state_dict()
    assert "alpha=tensor" in repr(FocalLoss(alpha=[0.2, 0.8]))
