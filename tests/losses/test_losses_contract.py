"""One contract for every loss: module == function, buffers, signatures, docs that run."""

from __future__ import annotations

import copy
import doctest
import inspect
import pickle
from pathlib import Path

import pytest
import torch

import imbalance_torch.losses as losses
from imbalance_torch.losses import (
    FocalLoss,
    LogitAdjustedLoss,
    _focal,
    _logit_adjustment,
    _weights,
    class_prior,
    class_weights,
    focal_loss,
    logit_adjusted_loss,
)

README = Path(__file__).resolve().parents[2] / "README.md"


def _data(kind: str):
    gen = torch.Generator().manual_seed(0)
    if kind == "binary":
        return torch.randn(9, generator=gen), torch.tensor([0, 1, 1, 0, -100, 1, 0, 0, 1])
    if kind == "multiclass":
        target = torch.randint(0, 3, (6, 2), generator=gen)
        target[0, 0] = -100
        return torch.randn(6, 3, 2, generator=gen), target
    return torch.randn(5, 3, generator=gen), torch.randint(0, 2, (5, 3), generator=gen).float()


# (module class, function, options with their tensors, data kind, expected buffer names)
CASES = {
    "focal-binary": (FocalLoss, focal_loss, {"gamma": 2.0, "alpha": 0.75}, "binary", set()),
    "focal-binary-alpha-tensor": (
        FocalLoss,
        focal_loss,
        {"gamma": 1.5, "alpha": torch.tensor([0.3, 0.7]), "weight": torch.linspace(0.5, 1.5, 9)},
        "binary",
        {"alpha", "weight"},
    ),
    "focal-multiclass": (
        FocalLoss,
        focal_loss,
        {
            "gamma": 2.0,
            "alpha": torch.tensor([0.2, 0.3, 0.5]),
            "weight": torch.tensor([1.0, 2.0, 3.0]),
        },
        "multiclass",
        {"alpha", "weight"},
    ),
    "focal-multilabel": (
        FocalLoss,
        focal_loss,
        {"gamma": 0.5, "alpha": torch.tensor([0.6, 0.7, 0.8]), "task": "multilabel"},
        "multilabel",
        {"alpha"},
    ),
    "logit-adjusted-multiclass": (
        LogitAdjustedLoss,
        logit_adjusted_loss,
        {
            "prior": torch.tensor([0.6, 0.3, 0.1]),
            "tau": 1.5,
            "weight": torch.tensor([1.0, 2.0, 3.0]),
        },
        "multiclass",
        {"log_prior", "weight"},
    ),
    "logit-adjusted-binary": (
        LogitAdjustedLoss,
        logit_adjusted_loss,
        {"prior": [0.9, 0.1]},
        "binary",
        {"log_prior"},
    ),
}


def _outputs(module, case):
    _, _, _, kind, _ = CASES[case]
    logits, target = _data(kind)
    return module(logits, target)


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_module_equals_function(case, reduction):
    module_class, function, options, kind, _ = CASES[case]
    logits, target = _data(kind)
    module = module_class(**options, reduction=reduction)
    torch.testing.assert_close(
        module(logits, target), function(logits, target, **options, reduction=reduction)
    )


@pytest.mark.parametrize("case", CASES)
def test_buffers_in_state_dict_and_moved_by_to(case):
    module_class, _, options, _, buffer_names = CASES[case]
    module = module_class(**options)
    assert set(module.state_dict()) == buffer_names
    assert {name for name, _ in module.named_buffers()} == buffer_names
    as_double = copy.deepcopy(module).to(torch.float64)
    assert all(buffer.dtype == torch.float64 for buffer in as_double.buffers())
    on_meta = copy.deepcopy(module).to("meta")
    assert all(buffer.device.type == "meta" for buffer in on_meta.buffers())
    restored = module_class(**options)
    restored.load_state_dict(module.state_dict())
    torch.testing.assert_close(_outputs(restored, case), _outputs(module, case))


@pytest.mark.parametrize("case", CASES)
def test_module_pickles_and_deepcopies(case):
    module_class, _, options, _, _ = CASES[case]
    module = module_class(**options)
    expected = _outputs(module, case)
    torch.testing.assert_close(_outputs(pickle.loads(pickle.dumps(module)), case), expected)
    torch.testing.assert_close(_outputs(copy.deepcopy(module), case), expected)


def test_module_does_not_alias_caller_tensors():
    alpha = torch.tensor([0.2, 0.3, 0.5])
    module = FocalLoss(alpha=alpha)
    alpha.zero_()
    torch.testing.assert_close(module.alpha, torch.tensor([0.2, 0.3, 0.5]))


def _parameters(callable_, drop):
    return [
        (p.name, p.default, p.kind.name.replace("POSITIONAL_OR_", ""))
        for p in inspect.signature(callable_).parameters.values()
        if p.name not in drop
    ]


@pytest.mark.parametrize(
    ("function", "module_class"),
    [(focal_loss, FocalLoss), (logit_adjusted_loss, LogitAdjustedLoss)],
)
def test_function_and_module_take_the_same_arguments(function, module_class):
    assert _parameters(function, {"input", "target"}) == _parameters(module_class, set())


def test_public_signatures():
    def names(callable_):
        return [(p.name, p.default) for p in inspect.signature(callable_).parameters.values()]

    empty = inspect.Parameter.empty
    assert names(focal_loss) == [
        ("input", empty),
        ("target", empty),
        ("gamma", 2.0),
        ("alpha", None),
        ("weight", None),
        ("ignore_index", -100),
        ("reduction", "mean"),
        ("task", None),
        ("validate_args", True),
    ]
    assert names(logit_adjusted_loss) == [
        ("input", empty),
        ("target", empty),
        ("prior", empty),
        ("tau", 1.0),
        ("weight", None),
        ("ignore_index", -100),
        ("reduction", "mean"),
        ("validate_args", True),
    ]
    assert names(class_weights) == [
        ("labels", None),
        ("counts", None),
        ("scheme", "balanced"),
        ("beta", 0.999),
        ("num_classes", None),
        ("smoothing", 0.0),
    ]
    assert names(class_prior) == [
        ("labels", None),
        ("counts", None),
        ("num_classes", None),
        ("smoothing", 0.0),
    ]
    assert names(losses.adjust_logits) == [
        ("logits", empty),
        ("prior", empty),
        ("tau", 1.0),
        ("validate_args", True),
    ]
    assert names(losses.prior_shift_correction) == [
        ("logits", empty),
        ("train_prior", empty),
        ("true_prior", empty),
        ("validate_args", True),
    ]


def test_all_is_sorted_and_exported():
    assert losses.__all__ == sorted(losses.__all__)
    assert all(hasattr(losses, name) for name in losses.__all__)


@pytest.mark.parametrize("module", [_focal, _weights, _logit_adjustment])
def test_docstring_examples_run(module):
    globs = {"torch": torch, "F": torch.nn.functional, **vars(losses)}
    result = doctest.testmod(module, extraglobs=globs, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


def test_losses_page_runs():
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from doc_blocks import python_blocks

    blocks = python_blocks(Path(__file__).resolve().parents[2] / "docs" / "guide" / "losses.md")
    assert blocks
    torch.manual_seed(0)
    namespace: dict = {}
    for block in blocks:
        exec(block.compiled(), namespace)
