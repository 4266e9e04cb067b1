"""Argument checks shared by the losses.

Every check raises ``TypeError`` for a value of the wrong type and ``ValueError`` for a value of
the right type that is out of range; each message names the argument, the value seen, and what
to do. Checks that read tensor *values* (and so force a device sync on a GPU) are only run when
the caller asks for them (``validate_args=True``); shape and dtype checks are free and always run.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

import numpy as np
import torch
from torch import Tensor

__all__: list[str] = []

REDUCTIONS = ("none", "mean", "sum")
TASKS = ("binary", "multiclass", "multilabel")

#: What the losses accept where a per-class (or per-element) vector is meant.
VectorLike = Tensor | np.ndarray | Sequence[float]


def check_reduction(reduction: object) -> str:
    """Return ``reduction`` if it is one of torch's three reductions."""
    if not isinstance(reduction, str):
        raise TypeError(
            f"reduction must be a string, one of 'none', 'mean', 'sum'; got {reduction!r} "
            f"of type {type(reduction).__name__}."
        )
    if reduction not in REDUCTIONS:
        raise ValueError(
            f"reduction={reduction!r} is not one of 'none', 'mean', 'sum'; pass 'mean' to "
            "average over the (weighted) elements, 'sum' to add them, 'none' for one loss per "
            "element."
        )
    return reduction


def check_task(task: object) -> str | None:
    """Return ``task`` if it is None or one of the three focal-loss tasks."""
    if task is None:
        return None
    if not isinstance(task, str):
        raise TypeError(
            f"task must be None or a string, one of 'binary', 'multiclass', 'multilabel'; "
            f"got {task!r} of type {type(task).__name__}."
        )
    if task not in TASKS:
        raise ValueError(
            f"task={task!r} is not one of 'binary', 'multiclass', 'multilabel'; pass one of "
            "them, or task=None to infer it from the shapes of input and target."
        )
    return task


def check_real(name: str, value: object) -> float:
    """Return ``value`` as a finite Python float; reject bools, strings and tensors."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{name} must be a real number, got {value!r} of type {type(value).__name__}."
        )
    result = float(value)
    if not math.isfinite(result):
        raise ValueError(f"{name}={value!r} is not finite; pass a finite number.")
    return result


def check_gamma(gamma: object) -> float:
    """Return the focusing parameter ``gamma`` (a finite float >= 0)."""
    result = check_real("gamma", gamma)
    if result < 0:
        raise ValueError(
            f"gamma={gamma!r} is negative; the focusing parameter must be >= 0 "
            "(gamma=0 is plain cross-entropy, the focal-loss paper uses gamma=2)."
        )
    return result


def check_tau(tau: object) -> float:
    """Return the logit-adjustment strength ``tau`` (a finite float >= 0)."""
    result = check_real("tau", tau)
    if result < 0:
        raise ValueError(
            f"tau={tau!r} is negative; the logit-adjustment strength must be >= 0 "
            "(tau=1 is Menon et al.'s choice, tau=0 turns the adjustment off)."
        )
    return result


def check_ignore_index(ignore_index: object) -> int:
    """Return ``ignore_index`` as a Python int."""
    if isinstance(ignore_index, bool) or not isinstance(ignore_index, numbers.Integral):
        raise TypeError(
            f"ignore_index must be an int, got {ignore_index!r} of type "
            f"{type(ignore_index).__name__}; the default -100 matches torch's cross_entropy."
        )
    return int(ignore_index)


def as_float_vector(name: str, value: object) -> Tensor:
    """Convert a tensor, ndarray or sequence of numbers to a floating tensor.

    Floating tensors keep their dtype and device; integer tensors and everything else become
    float32. Bools and strings are rejected.
    """
    if isinstance(value, Tensor):
        tensor = value
    elif isinstance(value, (np.ndarray, Sequence)) and not isinstance(value, (str, bytes)):
        try:
            tensor = torch.as_tensor(np.asarray(value))
        except (TypeError, ValueError) as error:
            raise TypeError(
                f"{name} must be a tensor or a sequence of numbers, got {value!r}."
            ) from error
    else:
        raise TypeError(
            f"{name} must be a tensor or a sequence of numbers, got {value!r} of type "
            f"{type(value).__name__}."
        )
    if tensor.dtype == torch.bool or tensor.is_complex() or not _is_numeric(tensor):
        raise TypeError(
            f"{name} must hold real numbers, got a tensor of dtype {tensor.dtype}; pass "
            "float values."
        )
    if not tensor.is_floating_point():
        tensor = tensor.to(torch.float32)
    return tensor


def _is_numeric(tensor: Tensor) -> bool:
    return tensor.is_floating_point() or tensor.dtype in (
        torch.uint8,
        torch.int8,
        torch.int16,
        torch.int32,
        torch.int64,
    )


def check_weight(weight: object, *, check_values: bool) -> Tensor | None:
    """Return the rescaling ``weight`` as a floating tensor (or None)."""
    if weight is None:
        return None
    tensor = as_float_vector("weight", weight)
    if check_values:
        bad = ~torch.isfinite(tensor) | (tensor < 0)
        if bool(bad.any()):
            position = tuple(int(i) for i in bad.nonzero()[0])
            where = f"weight[{position[0]}]" if len(position) == 1 else f"weight[{position}]"
            raise ValueError(
                f"{where}={tensor[position].item()!r}: weights must be finite and >= 0; "
                "pass non-negative rescaling weights (see class_weights)."
            )
    return tensor


def check_alpha(alpha: object, *, check_values: bool) -> float | Tensor | None:
    """Return the focal ``alpha`` as None, a float in [0, 1], or a floating tensor.

    A 0-d tensor counts as a float.
    """
    if alpha is None:
        return None
    if isinstance(alpha, Tensor) and alpha.ndim == 0 and alpha.dtype != torch.bool:
        alpha = alpha.item()
    if isinstance(alpha, numbers.Real) and not isinstance(alpha, bool):
        value = float(alpha)
        if not 0.0 <= value <= 1.0:
            hint = " (torchvision's alpha=-1 is alpha=None here)" if value == -1 else ""
            raise ValueError(
                f"alpha={alpha!r} is outside [0, 1]{hint}; alpha is the weight of the positive "
                "class and negatives get 1 - alpha. Pass a value in [0, 1], or alpha=None for "
                "no class weighting."
            )
        return value
    if isinstance(alpha, bool):
        raise TypeError(
            f"alpha must be None, a float in [0, 1] or a per-class tensor, got {alpha!r}."
        )
    tensor = as_float_vector("alpha", alpha)
    if tensor.ndim != 1:
        raise ValueError(
            f"alpha must be a float or a 1-D per-class tensor, got a tensor of shape "
            f"{tuple(tensor.shape)}; pass one value per class."
        )
    if check_values:
        bad = ~((tensor >= 0) & (tensor <= 1))
        if bool(bad.any()):
            index = int(bad.nonzero()[0, 0])
            raise ValueError(
                f"alpha[{index}]={tensor[index].item()!r} is outside [0, 1]; per-class alpha "
                "values must lie in [0, 1]. For unbounded per-class weights use weight= "
                "(see class_weights)."
            )
    return tensor


def check_logits(input: object, name: str = "input") -> Tensor:
    """Return ``input`` if it is a floating tensor with at least one dimension."""
    if not isinstance(input, Tensor):
        raise TypeError(f"{name} must be a tensor of logits, got {type(input).__name__}.")
    if not input.is_floating_point():
        raise TypeError(
            f"{name} must be a floating tensor of logits, got dtype {input.dtype}; "
            f"convert it with {name}.float()."
        )
    if input.ndim == 0:
        raise ValueError(f"{name} is a 0-d tensor; pass logits of shape (N,) or (N, C, ...).")
    return input


def check_target_tensor(target: object) -> Tensor:
    """Return ``target`` if it is a tensor."""
    if not isinstance(target, Tensor):
        raise TypeError(f"target must be a tensor, got {type(target).__name__}.")
    return target


def compute_dtype(input: Tensor) -> torch.dtype:
    """The dtype the losses compute in: float32 for half-precision input, else the input's."""
    if input.dtype in (torch.float16, torch.bfloat16):
        return torch.float32
    return input.dtype


def resolve_task(input: Tensor, target: Tensor, task: str | None) -> str:
    """Infer the task if ``task`` is None, then check the shapes for it."""
    single_logit = input.ndim == 1 or input.shape[1] == 1
    if task is None:
        if single_logit:
            task = "binary"
        elif target.shape == input.shape:
            task = "multilabel"
        else:
            task = "multiclass"
    shape, target_shape = tuple(input.shape), tuple(target.shape)
    if task == "binary":
        if not single_logit:
            raise ValueError(
                f"task='binary' needs one logit per sample, input of shape (N,) or "
                f"(N, 1, ...), got input of shape {shape}; use task='multilabel' for one "
                "sigmoid per class or task='multiclass' for a softmax over dim 1."
            )
        squeezed = shape[:1] + shape[2:] if input.ndim >= 2 else shape
        if target_shape not in (shape, squeezed):
            raise ValueError(
                f"target of shape {target_shape} does not match input of shape {shape}; a "
                f"binary target has the input's shape{_or_shape(squeezed, shape)}."
            )
    elif task == "multilabel":
        if input.ndim < 2 or target_shape != shape:
            raise ValueError(
                f"task='multilabel' needs input (N, C, ...) and a one-hot / multi-hot target "
                f"of the same shape; got input {shape} and target {target_shape}."
            )
    else:
        if input.ndim >= 2 and input.shape[1] < 2:
            raise ValueError(
                f"task='multiclass' needs at least 2 classes, got input of shape {shape}; a "
                "single logit per sample is binary (task='binary')."
            )
        expected = shape[:1] + shape[2:] if input.ndim >= 2 else ()
        if target_shape == shape and target.is_floating_point():
            return task  # probability targets, checked by check_probability_targets
        if target_shape != expected:
            hint = (
                " For one-hot targets of the input's shape use task='multilabel' or convert "
                "them with target.argmax(dim=1)."
                if target_shape == shape
                else ""
            )
            raise ValueError(
                f"target of shape {target_shape} does not match input of shape {shape}; "
                f"multi-class targets are class indices of shape {expected} or class "
                f"probabilities of the input's shape {shape}.{hint}"
            )
    return task


def _or_shape(squeezed: tuple[int, ...], shape: tuple[int, ...]) -> str:
    return f" or {squeezed}" if squeezed != shape else ""


def check_class_targets(
    target: Tensor, num_classes: int, ignore_index: int, *, check_values: bool
) -> Tensor:
    """Check integer class-index targets; return the mask of targets that are not ignored."""
    if target.dtype == torch.bool or target.is_floating_point() or target.is_complex():
        raise TypeError(
            f"target has dtype {target.dtype}, but multi-class targets are integer class "
            "indices; convert them with target.long(), or for one-hot / multi-label targets "
            "of the input's shape use task='multilabel'."
        )
    valid = target != ignore_index
    if check_values and target.numel() > 0:
        bad = valid & ((target < 0) | (target >= num_classes))
        if bool(bad.any()):
            value = int(target[bad][0])
            raise ValueError(
                f"target holds class {value}, outside [0, {num_classes}) for an input with "
                f"{num_classes} classes; targets must be class indices or "
                f"ignore_index={ignore_index}."
            )
    return valid


def check_binary_targets(
    target: Tensor, ignore_index: int, task: str, *, check_values: bool
) -> Tensor:
    """Check 0/1 (or [0, 1]) targets; return the mask of targets that are not ignored."""
    if target.is_complex():
        raise TypeError(f"target has dtype {target.dtype}; pass real 0/1 targets.")
    if target.dtype == torch.bool:
        return torch.ones_like(target)
    valid = target != ignore_index
    if check_values and target.numel() > 0:
        bad = valid & ~((target >= 0) & (target <= 1))
        if bool(bad.any()):
            value = target[bad][0].item()
            raise ValueError(
                f"target holds {value!r}; task={task!r} needs targets 0 or 1 (floats in "
                f"[0, 1] as soft targets) or ignore_index={ignore_index}."
            )
    return valid


def is_probability_target(input: Tensor, target: Tensor) -> bool:
    """True where a multi-class ``target`` holds class probabilities (the input's shape)."""
    return target.is_floating_point() and tuple(target.shape) == tuple(input.shape)


def probability_tolerance(target: Tensor) -> float:
    """How far a row of probabilities may sum from 1: ``max(1e-4, C * eps(dtype))``."""
    num_classes = target.shape[1] if target.ndim >= 2 else target.shape[0]
    return max(1e-4, num_classes * torch.finfo(target.dtype).eps)


def check_probability_targets(target: Tensor, *, check_values: bool) -> None:
    """Check a probability target ``(N, C, ...)``: finite, >= 0, each row summing to 1.

    The class dimension is dim 1 (dim 0 for one unbatched row ``(C,)``). A row may miss 1 by
    :func:`probability_tolerance` (``max(1e-4, C * eps)`` of the target's dtype).
    """
    if not check_values or target.numel() == 0:
        return
    class_dim = 1 if target.ndim >= 2 else 0
    bad = ~torch.isfinite(target) | (target < 0)
    if bool(bad.any()):
        position = tuple(int(i) for i in bad.nonzero()[0])
        raise ValueError(
            f"target[{', '.join(map(str, position))}]={target[position].item()!r}: probability "
            "targets must be finite and >= 0; pass one probability vector per row (class "
            "indices of shape (N,) for hard labels)."
        )
    total = target.to(torch.float64).sum(dim=class_dim)
    tolerance = probability_tolerance(target)
    off = (total - 1.0).abs() > tolerance
    if bool(off.any()):
        row = tuple(int(i) for i in off.nonzero()[0]) if total.ndim else ()
        where = f"row {row[0] if len(row) == 1 else row} of target" if row else "target"
        value = total[row].item() if row else total.item()
        raise ValueError(
            f"{where} sums to {value!r}, not 1 (tolerance {tolerance:g}); probability targets "
            f"hold one probability per class along dim {class_dim}, summing to 1. Normalise "
            "them (target / target.sum(dim=1, keepdim=True)) or pass class indices."
        )
