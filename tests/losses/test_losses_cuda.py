"""CUDA checks (skipped without a GPU) and a cross-check with torchvision where it is installed."""

from __future__ import annotations

import pytest
import torch

from imbalance_torch.losses import (
    FocalLoss,
    LogitAdjustedLoss,
    adjust_logits,
    focal_loss,
    logit_adjusted_loss,
    prior_shift_correction,
)

cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


def _cases(device):
    gen = torch.Generator().manual_seed(0)
    multiclass_target = torch.randint(0, 3, (16,), generator=gen)
    multiclass_target[::5] = -100
    cases = {
        "binary": (
            FocalLoss(gamma=2.0, alpha=[0.25, 0.75], weight=torch.linspace(0.5, 1.5, 16)),
            40 * torch.randn(16, generator=gen),
            torch.randint(0, 2, (16,), generator=gen),
        ),
        "multiclass": (
            FocalLoss(gamma=2.0, alpha=[0.2, 0.3, 0.5], weight=[1.0, 2.0, 3.0]),
            40 * torch.randn(16, 3, generator=gen),
            multiclass_target,
        ),
        "multilabel": (
            FocalLoss(gamma=0.5, alpha=0.75),
            40 * torch.randn(16, 3, generator=gen),
            torch.randint(0, 2, (16, 3), generator=gen).float(),
        ),
        "logit-adjusted": (
            LogitAdjustedLoss([0.7, 0.2, 0.1], weight=[1.0, 2.0, 3.0]),
            40 * torch.randn(16, 3, generator=gen),
            multiclass_target,
        ),
    }
    return {
        name: (module.to(device), logits.to(device), target.to(device))
        for name, (module, logits, target) in cases.items()
    }


@cuda
@pytest.mark.cuda
@pytest.mark.parametrize("name", ["binary", "multiclass", "multilabel", "logit-adjusted"])
def test_cuda_equals_cpu_and_buffers_move(name):
    module, logits, target = _cases("cuda")[name]
    assert all(buffer.is_cuda for buffer in module.buffers())
    cpu_module, cpu_logits, cpu_target = _cases("cpu")[name]
    torch.testing.assert_close(module(logits, target).cpu(), cpu_module(cpu_logits, cpu_target))


@cuda
@pytest.mark.cuda
@pytest.mark.parametrize("name", ["binary", "multiclass", "multilabel", "logit-adjusted"])
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_cuda_autocast_extreme_logits_finite(name, dtype):
    module, logits, target = _cases("cuda")[name]
    layer = torch.nn.Linear(
        logits.shape[-1] if logits.ndim > 1 else 1, logits.shape[-1] if logits.ndim > 1 else 1
    ).cuda()
    with torch.no_grad():
        layer.weight.copy_(torch.eye(layer.in_features) * 2.5)  # logits of order +-100
        layer.bias.zero_()
    with torch.autocast("cuda", dtype=dtype):
        inputs = logits.unsqueeze(-1) if logits.ndim == 1 else logits
        out = layer(inputs)
        out = out.squeeze(-1) if logits.ndim == 1 else out
        loss = module(out, target)
    assert loss.dtype == torch.float32 and torch.isfinite(loss)
    loss.backward()
    assert all(torch.isfinite(p.grad).all() for p in layer.parameters())


@cuda
@pytest.mark.cuda
@pytest.mark.filterwarnings("ignore:Synchronization debug mode is a prototype")
@pytest.mark.parametrize("name", ["binary", "multiclass", "multilabel", "logit-adjusted"])
def test_cuda_validate_args_false_does_not_sync(name):
    module, logits, target = _cases("cuda")[name]
    module.validate_args = False
    logits.requires_grad_()
    torch.cuda.synchronize()
    torch.cuda.set_sync_debug_mode("error")
    try:
        loss = module(logits, target)
        loss.backward()
    finally:
        torch.cuda.set_sync_debug_mode("default")
    assert torch.isfinite(loss)


@cuda
@pytest.mark.cuda
def test_cuda_functions_accept_cpu_options_and_return_cuda():
    logits = torch.randn(8, 3, device="cuda")
    target = torch.randint(0, 3, (8,), device="cuda")
    assert focal_loss(logits, target, alpha=torch.tensor([0.2, 0.3, 0.5])).is_cuda
    assert logit_adjusted_loss(logits, target, [0.5, 0.3, 0.2], weight=[1.0, 1.0, 2.0]).is_cuda
    assert adjust_logits(logits, [0.5, 0.3, 0.2]).is_cuda
    assert prior_shift_correction(logits, [1, 1, 1], [0.5, 0.3, 0.2]).is_cuda


@pytest.mark.parametrize("alpha", [0.25, 0.75, -1.0])
@pytest.mark.parametrize("gamma", [0.0, 2.0])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_equals_installed_torchvision(alpha, gamma, reduction):
    ops = pytest.importorskip("torchvision.ops")
    gen = torch.Generator().manual_seed(1)
    logits = 4 * torch.randn(32, generator=gen, dtype=torch.float64)
    target = torch.randint(0, 2, (32,), generator=gen).double()
    expected = ops.sigmoid_focal_loss(logits, target, alpha=alpha, gamma=gamma, reduction=reduction)
    actual = focal_loss(
        logits, target, gamma=gamma, alpha=None if alpha < 0 else alpha, reduction=reduction
    )
    torch.testing.assert_close(actual, expected)
