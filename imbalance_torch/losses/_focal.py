"""Focal loss (Lin et al. 2017): binary and multi-label sigmoid form, multi-class softmax form.

``focal_loss`` holds the maths; ``FocalLoss`` stores the options (tensors as buffers) and calls
the same private stages, so the two cannot drift.

NOTE [focal stability]: the modulating factor :math:`(1 - p_t)^\\gamma` is computed as
:math:`\\exp(\\gamma \\log(1 - p_t))` with :math:`\\log(1 - p_t)` taken from log-sigmoid /
log-softmax terms, never from ``1 - p``. ``1 - p`` rounds to 0 for a confident correct logit
(already at +17 in float32), and then the gradient of :math:`(1 - p_t)^\\gamma` is infinite for
:math:`\\gamma < 1` and the loss loses all precision for any :math:`\\gamma`. Half-precision
input is computed in float32 (as torch's autocast does for its own losses), so the loss is
float32.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ._validation import (
    VectorLike,
    check_alpha,
    check_binary_targets,
    check_class_targets,
    check_gamma,
    check_ignore_index,
    check_logits,
    check_probability_targets,
    check_reduction,
    check_target_tensor,
    check_task,
    check_weight,
    compute_dtype,
    is_probability_target,
    resolve_task,
)

__all__ = ["FocalLoss", "focal_loss"]


def focal_loss(
    input: Tensor,
    target: Tensor,
    gamma: float = 2.0,
    alpha: float | VectorLike | None = None,
    weight: VectorLike | None = None,
    ignore_index: int = -100,
    reduction: str = "mean",
    task: str | None = None,
    *,
    validate_args: bool = True,
) -> Tensor:
    r"""Focal loss for binary, multi-class and multi-label classification.

    Binary and multi-label (one sigmoid per logit; :math:`t` the target in [0, 1],
    :math:`p = \sigma(x)`, :math:`p_t = p t + (1 - p)(1 - t)`,
    :math:`\alpha_t = \alpha t + (1 - \alpha)(1 - t)`):

    .. math::
        \ell = -w \, \alpha_t \, (1 - p_t)^\gamma \,
        \big[t \log p + (1 - t) \log(1 - p)\big]

    Multi-class (softmax over dim 1; :math:`y` the class index,
    :math:`p_y = \operatorname{softmax}(x)_y`):

    .. math::
        \ell = -w_y \, \alpha_y \, (1 - p_y)^\gamma \log p_y

    Multi-class against class probabilities :math:`t_c` (a target of the input's shape with
    ``task='multiclass'``, as ``cross_entropy`` takes them; one-hot rows give the line above):

    .. math::
        \ell = -\sum_c w_c \, \alpha_c \, (1 - p_c)^\gamma \, t_c \log p_c

    With ``gamma=0`` and ``alpha=None`` this is exactly
    :func:`torch.nn.functional.binary_cross_entropy_with_logits` (binary, multi-label) or
    :func:`torch.nn.functional.cross_entropy` (multi-class), ``weight``, ``ignore_index`` and
    ``reduction`` included, and the binary form equals torchvision's ``sigmoid_focal_loss``.

    **Reduction.** ``'mean'`` follows torch: multi-class divides the sum by the sum of the
    class weights :math:`w_{y_i}` of the non-ignored targets (by their number without
    ``weight``); binary and multi-label divide by the number of non-ignored elements, as
    ``binary_cross_entropy_with_logits`` does (its ``weight`` is not in the denominator).
    ``alpha`` is never in the denominator. All targets ignored gives ``nan`` for ``'mean'``,
    as in torch. Probability targets follow torch's rule for them: ``'mean'`` divides by the
    number of rows (times the extra dims ``d1, ...``) with or without ``weight``, so with
    ``weight`` one-hot probabilities give the class-index loss's ``'sum'`` over N, not its
    ``'mean'``; ``ignore_index`` does not apply to them (as in torch).

    **alpha.** A float (binary, multi-label) weights positives by ``alpha`` and negatives by
    ``1 - alpha``: torchvision's convention, where RetinaNet's ``alpha=0.25`` *down*-weights
    the positive class; on imbalanced data with a rare positive class use ``alpha > 0.5``.
    A tensor holds one value in [0, 1] per class: length 2 ``[alpha_neg, alpha_pos]`` for
    binary, length C for multi-class (:math:`\alpha_y`) and for multi-label (``alpha[c]`` for
    the positives of column c, ``1 - alpha[c]`` for its negatives). Multi-class does not take a
    float: pass a per-class tensor.

    **task** (``None`` infers it): 1-D input or input with ``input.shape[1] == 1`` is
    ``'binary'``; otherwise a target of the input's shape is ``'multilabel'`` (one-hot or
    multi-hot), and a target of shape ``(N, d1, ...)`` for input ``(N, C, d1, ...)`` is
    ``'multiclass'``.

    Args:
        input: Logits. Binary: ``(N,)`` or ``(N, 1, ...)``. Multi-class: ``(N, C, ...)``, or
            ``(C,)`` for one sample with ``task='multiclass'``. Multi-label: ``(N, C, ...)``.
            Half-precision input is computed in float32 and gives a float32 loss.
        target: Binary: ``0``/``1`` (any integer, bool or float dtype; floats in [0, 1] are
            soft targets) of the input's shape, or ``(N, ...)`` for input ``(N, 1, ...)``.
            Multi-class: integer class indices in ``[0, C)`` of shape ``(N, ...)``, or class
            probabilities of the input's shape ``(N, C, ...)`` (floating, each row >= 0 and
            summing to 1 within ``max(1e-4, C * eps)``; pass ``task='multiclass'``, since
            ``task=None`` reads a target of the input's shape as multi-label).
            Multi-label: 0/1 (or [0, 1]) values of the input's shape.
        gamma: Focusing parameter, ``>= 0``; 0 gives cross-entropy.
        alpha: None, a float in [0, 1] (binary, multi-label), or a per-class tensor / sequence
            with values in [0, 1].
        weight: Multi-class: per-class weights ``(C,)`` as in ``cross_entropy``. Binary and
            multi-label: per-element weights broadcastable to the input, as in
            ``binary_cross_entropy_with_logits``.
        ignore_index: Target value that contributes neither to the loss nor to the mean's
            denominator (for every task; the loss is 0 there with ``reduction='none'``).
        reduction: ``'none'``, ``'mean'`` or ``'sum'``.
        task: ``None``, ``'binary'``, ``'multiclass'`` or ``'multilabel'``.
        validate_args: Check target values and alpha/weight values (a device sync on a GPU).
            Shapes and dtypes are always checked.

    Returns:
        The reduced loss (a scalar), or with ``reduction='none'`` one loss per element: the
        input's shape (binary, multi-label) or the target's shape (multi-class).

    Raises:
        TypeError: Wrong argument types (bool for a number, integer logits, float class
            indices, a float ``alpha`` for multi-class).
        ValueError: ``gamma < 0``, ``alpha`` outside [0, 1] or of the wrong length, target
            values out of range (a probability row negative or not summing to 1), mismatched
            shapes, unknown ``reduction`` or ``task``.

    Shape:
        See ``input`` and ``target``.

    Example:
        >>> logits = torch.tensor([2.0, -1.0, 0.5])
        >>> target = torch.tensor([1, 0, 1])
        >>> round(focal_loss(logits, target, gamma=2.0, alpha=0.75).item(), 4)
        0.0192
        >>> logits = torch.tensor([[2.0, 0.1, -1.0], [0.0, 1.0, 0.5]])
        >>> bool(torch.isclose(focal_loss(logits, torch.tensor([0, 2]), gamma=0.0),
        ...                    F.cross_entropy(logits, torch.tensor([0, 2]))))
        True

    References:
        T.-Y. Lin, P. Goyal, R. Girshick, K. He, P. Dollár. Focal Loss for Dense Object
        Detection. ICCV 2017. https://arxiv.org/abs/1708.02002
    """
    gamma, alpha, weight, ignore_index, reduction, task = _check_options(
        gamma, alpha, weight, ignore_index, reduction, task, check_values=validate_args
    )
    return _focal_forward(
        input,
        target,
        gamma,
        alpha,
        weight,
        ignore_index,
        reduction,
        task,
        check_targets=validate_args,
    )


class FocalLoss(nn.Module):
    r"""Focal loss as a module; see :func:`focal_loss` for the formula and every argument.

    Tensor options (a per-class ``alpha``, ``weight``) are buffers, so ``.to(device)`` moves
    them and they are saved in the ``state_dict``; a float ``alpha`` and ``gamma`` are plain
    attributes. Options are validated once, here; ``forward`` checks shapes and, with
    ``validate_args=True``, target values.

    .. math::
        \ell = -w \, \alpha_t \, (1 - p_t)^\gamma \log p_t

    Args:
        gamma: Focusing parameter, ``>= 0``; 0 gives cross-entropy.
        alpha: None, a float in [0, 1] weighting the positive class (binary, multi-label), or
            one value in [0, 1] per class (``[alpha_neg, alpha_pos]`` for binary).
        weight: Per-class weights ``(C,)`` (multi-class, as in ``cross_entropy``) or
            per-element weights broadcastable to the input (binary, multi-label).
        ignore_index: Target value that is skipped.
        reduction: ``'none'``, ``'mean'`` or ``'sum'``.
        task: ``None`` (inferred from the shapes), ``'binary'``, ``'multiclass'`` or
            ``'multilabel'``.
        validate_args: Check target values in ``forward`` (a device sync on a GPU).

    Example:
        >>> criterion = FocalLoss(gamma=2.0, alpha=0.75)
        >>> loss = criterion(torch.tensor([2.0, -1.0, 0.5]), torch.tensor([1, 0, 1]))
        >>> round(loss.item(), 4)
        0.0192

    References:
        T.-Y. Lin, P. Goyal, R. Girshick, K. He, P. Dollár. Focal Loss for Dense Object
        Detection. ICCV 2017. https://arxiv.org/abs/1708.02002
    """

    alpha: float | Tensor | None
    weight: Tensor | None

    def __init__(
        self,
        gamma: float = 2.0,
        alpha: float | VectorLike | None = None,
        weight: VectorLike | None = None,
        ignore_index: int = -100,
        reduction: str = "mean",
        task: str | None = None,
        *,
        validate_args: bool = True,
    ) -> None:
        super().__init__()
        gamma, alpha, weight, ignore_index, reduction, task = _check_options(
            gamma, alpha, weight, ignore_index, reduction, task, check_values=True
        )
        self.gamma = gamma
        if isinstance(alpha, Tensor):
            self.register_buffer("alpha", alpha.detach().clone())
        else:
            self.alpha = alpha
        self.register_buffer("weight", None if weight is None else weight.detach().clone())
        self.ignore_index = ignore_index
        self.reduction = reduction
        self.task = task
        self.validate_args = bool(validate_args)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        """Return the focal loss of ``input`` logits against ``target``."""
        return _focal_forward(
            input,
            target,
            self.gamma,
            self.alpha,
            self.weight,
            self.ignore_index,
            self.reduction,
            self.task,
            check_targets=self.validate_args,
        )

    def extra_repr(self) -> str:
        alpha = self.alpha if not isinstance(self.alpha, Tensor) else "tensor"
        return (
            f"gamma={self.gamma}, alpha={alpha}, reduction={self.reduction!r}, "
            f"task={self.task!r}, ignore_index={self.ignore_index}"
        )


# --------------------------------------------------------------------------------- stages


def _check_options(
    gamma: object,
    alpha: object,
    weight: object,
    ignore_index: object,
    reduction: object,
    task: object,
    *,
    check_values: bool,
) -> tuple[float, float | Tensor | None, Tensor | None, int, str, str | None]:
    """Validate the options that do not depend on the input (once per module)."""
    checked_gamma = check_gamma(gamma)
    checked_alpha = check_alpha(alpha, check_values=check_values)
    checked_weight = check_weight(weight, check_values=check_values)
    checked_ignore_index = check_ignore_index(ignore_index)
    checked_reduction = check_reduction(reduction)
    checked_task = check_task(task)
    if checked_task == "multiclass" and isinstance(checked_alpha, float):
        raise TypeError(_float_alpha_multiclass_message(checked_alpha))
    return (
        checked_gamma,
        checked_alpha,
        checked_weight,
        checked_ignore_index,
        checked_reduction,
        checked_task,
    )


def _float_alpha_multiclass_message(alpha: float) -> str:
    return (
        f"alpha={alpha!r} is a float, but a multi-class focal loss needs one alpha per class; "
        "pass a per-class tensor such as alpha=torch.tensor([0.25, 0.75, 0.75]) (or use "
        "weight= for per-class weights)."
    )


def _focal_forward(
    input: Tensor,
    target: Tensor,
    gamma: float,
    alpha: float | Tensor | None,
    weight: Tensor | None,
    ignore_index: int,
    reduction: str,
    task: str | None,
    *,
    check_targets: bool,
) -> Tensor:
    """Dispatch to the sigmoid or the softmax form after checking shapes."""
    input = check_logits(input)
    target = check_target_tensor(target)
    task = resolve_task(input, target, task)
    logits = input.to(compute_dtype(input))
    if task == "multiclass":
        if isinstance(alpha, float):
            raise TypeError(_float_alpha_multiclass_message(alpha))
        if is_probability_target(input, target):
            return _softmax_focal_probabilities(
                logits, target, gamma, alpha, weight, reduction, check_targets=check_targets
            )
        return _softmax_focal(
            logits,
            target,
            gamma,
            alpha,
            weight,
            ignore_index,
            reduction,
            check_targets=check_targets,
        )
    return sigmoid_focal(
        logits,
        target,
        gamma,
        alpha,
        weight,
        ignore_index,
        reduction,
        task,
        check_targets=check_targets,
    )


def sigmoid_focal(
    logits: Tensor,
    target: Tensor,
    gamma: float,
    alpha: float | Tensor | None,
    weight: Tensor | None,
    ignore_index: int,
    reduction: str,
    task: str,
    *,
    check_targets: bool,
) -> Tensor:
    """Binary / multi-label focal loss on logits of the compute dtype (shapes checked)."""
    valid = check_binary_targets(target, ignore_index, task, check_values=check_targets)
    target = target.reshape(logits.shape)
    valid = valid.reshape(logits.shape)
    t = torch.where(valid, target, torch.zeros((), dtype=target.dtype, device=target.device))
    t = t.to(logits.dtype)
    loss = F.binary_cross_entropy_with_logits(logits, t, reduction="none")
    if gamma != 0.0:
        # log(1 - p_t) = log(p (1 - t) + (1 - p) t), see NOTE [focal stability].
        log_one_minus_pt = torch.logaddexp(
            F.logsigmoid(logits) + torch.log1p(-t), F.logsigmoid(-logits) + torch.log(t)
        )
        loss = loss * torch.exp(gamma * log_one_minus_pt)
    if alpha is not None:
        loss = loss * _sigmoid_alpha(alpha, t, logits, task)
    if weight is not None:
        loss = loss * _broadcast_weight(weight, logits)
    loss = torch.where(valid, loss, torch.zeros((), dtype=loss.dtype, device=loss.device))
    return _reduce(loss, reduction, denominator=valid.sum())


def _sigmoid_alpha(alpha: float | Tensor, t: Tensor, logits: Tensor, task: str) -> Tensor:
    if isinstance(alpha, float):
        return alpha * t + (1.0 - alpha) * (1.0 - t)
    alpha = alpha.to(device=logits.device, dtype=logits.dtype)
    if task == "binary":
        if alpha.numel() != 2:
            raise ValueError(
                f"alpha has {alpha.numel()} entries, but a binary focal loss takes a float or "
                "2 entries [alpha_negative, alpha_positive]; pass alpha=0.75 or "
                "alpha=torch.tensor([0.25, 0.75])."
            )
        return alpha[1] * t + alpha[0] * (1.0 - t)
    num_classes = logits.shape[1]
    if alpha.numel() != num_classes:
        raise ValueError(
            f"alpha has {alpha.numel()} entries, but the input has {num_classes} classes "
            f"(input.shape[1]); pass one alpha per class, or a float."
        )
    alpha = alpha.view((1, num_classes) + (1,) * (logits.ndim - 2))
    return alpha * t + (1.0 - alpha) * (1.0 - t)


def _broadcast_weight(weight: Tensor, logits: Tensor) -> Tensor:
    try:
        shape = torch.broadcast_shapes(weight.shape, logits.shape)
    except RuntimeError:
        shape = None
    if shape != logits.shape:
        raise ValueError(
            f"weight of shape {tuple(weight.shape)} does not broadcast to the input's shape "
            f"{tuple(logits.shape)}; binary and multi-label weights are per element, as in "
            "binary_cross_entropy_with_logits (for class weighting use alpha)."
        )
    return weight.to(device=logits.device, dtype=logits.dtype)


def _softmax_focal(
    logits: Tensor,
    target: Tensor,
    gamma: float,
    alpha: Tensor | None,
    weight: Tensor | None,
    ignore_index: int,
    reduction: str,
    *,
    check_targets: bool,
) -> Tensor:
    """Multi-class focal loss on logits of the compute dtype (shapes checked)."""
    unbatched = logits.ndim == 1
    if unbatched:
        logits, target = logits.unsqueeze(0), target.unsqueeze(0)
    num_classes = logits.shape[1]
    valid = check_class_targets(target, num_classes, ignore_index, check_values=check_targets)
    _check_class_vectors(alpha, weight, num_classes)
    index = torch.where(valid, target, torch.zeros((), dtype=target.dtype, device=target.device))
    index = index.unsqueeze(1)
    log_probs = F.log_softmax(logits, dim=1)
    loss = -log_probs.gather(1, index).squeeze(1)
    if gamma != 0.0:
        # log(1 - p_y) = logsumexp_{c != y} log p_c, see NOTE [focal stability].
        # log(1 - p_y) as the logsumexp of the other classes (NOTE [focal stability]), for
        # class indices the same operations as before probability targets were added, so a
        # trained model's numbers do not move; probability targets use _log_one_minus_probs.
        is_target = torch.zeros_like(log_probs, dtype=torch.bool).scatter_(1, index, True)
        others = log_probs.masked_fill(is_target, float("-inf"))
        loss = loss * torch.exp(gamma * torch.logsumexp(others, dim=1))
    index = index.squeeze(1)
    if alpha is not None:
        loss = loss * alpha.to(device=logits.device, dtype=logits.dtype)[index]
    zero = torch.zeros((), dtype=loss.dtype, device=loss.device)
    if weight is not None:
        sample_weight = weight.to(device=logits.device, dtype=logits.dtype)[index]
        loss = loss * sample_weight
        denominator = torch.where(valid, sample_weight, zero).sum()
    else:
        denominator = valid.sum()
    loss = torch.where(valid, loss, zero)
    if unbatched:
        loss = loss.squeeze(0)
    return _reduce(loss, reduction, denominator=denominator)


def _check_class_vectors(alpha: Tensor | None, weight: Tensor | None, num_classes: int) -> None:
    for name, vector in (("alpha", alpha), ("weight", weight)):
        if vector is not None and tuple(vector.shape) != (num_classes,):
            raise ValueError(
                f"{name} has shape {tuple(vector.shape)}, but the input has {num_classes} "
                f"classes (input.shape[1]); pass one {name} value per class, shape "
                f"({num_classes},)."
            )


def _log_one_minus_probs(log_probs: Tensor) -> Tensor:
    """``log(1 - p_c) = logsumexp_{k != c} log p_k`` for every class c at once (dim 1).

    The sum over the other classes is an exclusive prefix and suffix ``logcumsumexp`` joined by
    ``logaddexp``: linear in C, and never ``1 - p`` (NOTE [focal stability]).
    """
    num_classes = log_probs.shape[1]
    prefix = torch.logcumsumexp(log_probs, dim=1)
    suffix = torch.logcumsumexp(log_probs.flip(1), dim=1).flip(1)
    edge = torch.full_like(log_probs.narrow(1, 0, 1), float("-inf"))
    before = torch.cat([edge, prefix.narrow(1, 0, num_classes - 1)], dim=1)
    after = torch.cat([suffix.narrow(1, 1, num_classes - 1), edge], dim=1)
    return torch.logaddexp(before, after)


def _softmax_focal_probabilities(
    logits: Tensor,
    target: Tensor,
    gamma: float,
    alpha: Tensor | None,
    weight: Tensor | None,
    reduction: str,
    *,
    check_targets: bool,
) -> Tensor:
    """Multi-class focal loss against class probabilities of the logits' shape.

    ``-sum_c w_c alpha_c (1 - p_c)^gamma t_c log p_c`` per row; ``'mean'`` divides by the number
    of rows (times the extra dims), as ``cross_entropy`` does for probability targets.
    """
    unbatched = logits.ndim == 1
    if unbatched:
        logits, target = logits.unsqueeze(0), target.unsqueeze(0)
    check_probability_targets(target, check_values=check_targets)
    num_classes = logits.shape[1]
    _check_class_vectors(alpha, weight, num_classes)
    log_probs = F.log_softmax(logits, dim=1)
    per_class = -target.to(logits.dtype) * log_probs
    if gamma != 0.0:
        per_class = per_class * torch.exp(gamma * _log_one_minus_probs(log_probs))
    view = (1, num_classes) + (1,) * (logits.ndim - 2)
    if alpha is not None:
        per_class = per_class * alpha.to(device=logits.device, dtype=logits.dtype).view(view)
    if weight is not None:
        per_class = per_class * weight.to(device=logits.device, dtype=logits.dtype).view(view)
    loss = per_class.sum(dim=1)
    if unbatched:
        loss = loss.squeeze(0)
    return _reduce(loss, reduction, denominator=torch.tensor(loss.numel(), device=loss.device))


def _reduce(loss: Tensor, reduction: str, *, denominator: Tensor) -> Tensor:
    if reduction == "none":
        return loss
    total = loss.sum()
    if reduction == "sum":
        return total
    return total / denominator
