"""Logit adjustment (Menon et al. 2021) and the prior-shift correction of trained logits.

Three uses of one idea, adding a log class prior to the logits:

* ``logit_adjusted_loss`` / ``LogitAdjustedLoss`` train with cross-entropy on
  ``logits + tau * log(prior)``; the plain logits of the trained model are then balanced.
* ``adjust_logits`` corrects a model trained with plain cross-entropy after the fact:
  ``logits - tau * log(prior)``.
* ``prior_shift_correction`` undoes a resampled training distribution:
  ``logits + log(true_prior) - log(train_prior)``, so that softmax / sigmoid of the result are
  probabilities at the natural class ratio.

Every prior is any positive vector of per-class weights; it is normalised to sum to 1 (only
ratios matter). A model with a single logit per sample (binary, sigmoid) takes a prior of
length 2, ``[p(negative), p(positive)]``, and is shifted by the log odds
``log p1 - log p0``: exactly what the two-logit form ``[0, x]`` gets, since
``softmax([0, x])[1] = sigmoid(x)``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ._focal import sigmoid_focal
from ._validation import (
    VectorLike,
    as_float_vector,
    check_class_targets,
    check_ignore_index,
    check_logits,
    check_probability_targets,
    check_reduction,
    check_target_tensor,
    check_tau,
    check_weight,
    compute_dtype,
    is_probability_target,
    resolve_task,
)

__all__ = [
    "LogitAdjustedLoss",
    "adjust_logits",
    "logit_adjusted_loss",
    "prior_shift_correction",
]


def logit_adjusted_loss(
    input: Tensor,
    target: Tensor,
    prior: VectorLike,
    tau: float = 1.0,
    weight: VectorLike | None = None,
    ignore_index: int = -100,
    reduction: str = "mean",
    *,
    validate_args: bool = True,
) -> Tensor:
    r"""Logit-adjusted cross-entropy: cross-entropy on logits shifted by the log prior.

    .. math::
        \ell = -\log \frac{e^{x_y + \tau \log \pi_y}}{\sum_c e^{x_c + \tau \log \pi_c}}

    Training on the shifted logits makes the model's own logits :math:`x` estimate the
    balanced (class-uniform) posterior, so ``argmax x`` minimises the balanced error. For a
    single logit per sample (input ``(N,)`` or ``(N, 1, ...)``, prior of length 2) this is
    binary cross-entropy on :math:`x + \tau(\log \pi_1 - \log \pi_0)`.

    Multi-class is :func:`torch.nn.functional.cross_entropy` on the shifted logits, so
    ``weight`` (per class), ``ignore_index`` and ``reduction`` mean exactly what they mean
    there; with probability targets ``'mean'`` divides by the number of rows whether or not
    ``weight`` is given (torch's rule, unlike the class-index mean's sum of :math:`w_{y_i}`), and
    ``ignore_index`` does not apply. The binary form is ``binary_cross_entropy_with_logits`` on the shifted logit
    (``weight`` per element, ``'mean'`` over the non-ignored elements) with ``ignore_index``
    added.

    Args:
        input: Logits ``(N, C, ...)``, or ``(N,)`` / ``(N, 1, ...)`` for a binary model.
            Half-precision input is computed in float32.
        target: Class indices ``(N, ...)`` (multi-class), class probabilities of the input's
            shape ``(N, C, ...)`` (floating, rows >= 0 summing to 1 within
            ``max(1e-4, C * eps)``; soft labels, as ``cross_entropy`` takes them), or 0/1
            targets (binary).
        prior: Per-class training prior :math:`\pi` ``(C,)`` (e.g. :func:`class_prior` of the
            training labels); any positive vector, normalised to sum 1.
        tau: Adjustment strength :math:`\tau \ge 0`; 1 is Bayes-consistent for the balanced
            error, 0 is plain cross-entropy.
        weight: As in ``cross_entropy`` (multi-class) or
            ``binary_cross_entropy_with_logits`` (binary).
        ignore_index: Target value that is skipped.
        reduction: ``'none'``, ``'mean'`` or ``'sum'``.
        validate_args: Check prior, weight and target values (a device sync on a GPU).

    Returns:
        The loss, reduced as ``reduction`` says.

    Raises:
        TypeError: Wrong argument types.
        ValueError: A prior entry that is not positive and finite, a prior whose length does
            not match the input's classes, target values out of range, negative ``tau``,
            unknown ``reduction``.

    Example:
        >>> logits = torch.tensor([[2.0, 0.5, -1.0], [0.1, 0.2, 0.3]])
        >>> target = torch.tensor([0, 2])
        >>> prior = torch.tensor([0.7, 0.2, 0.1])
        >>> loss = logit_adjusted_loss(logits, target, prior)
        >>> bool(torch.isclose(loss, F.cross_entropy(logits + prior.log(), target)))
        True

    References:
        A. K. Menon, S. Jayasumana, A. S. Rawat, H. Jain, A. Veit, S. Kumar. Long-tail
        learning via logit adjustment. ICLR 2021. https://arxiv.org/abs/2007.07314
    """
    tau = check_tau(tau)
    weight = check_weight(weight, check_values=validate_args)
    ignore_index = check_ignore_index(ignore_index)
    reduction = check_reduction(reduction)
    log_prior = log_class_prior(prior, "prior", check_values=validate_args)
    return _logit_adjusted_forward(
        input,
        target,
        log_prior,
        tau,
        weight,
        ignore_index,
        reduction,
        check_targets=validate_args,
    )


class LogitAdjustedLoss(nn.Module):
    r"""Logit-adjusted cross-entropy as a module; see :func:`logit_adjusted_loss`.

    The normalised ``log(prior)`` is the buffer ``log_prior`` and ``weight`` a buffer, so
    ``.to(device)`` moves them and they are saved in the ``state_dict``.

    .. math::
        \ell = \operatorname{CE}(x + \tau \log \pi, y)

    Args:
        prior: Per-class training prior ``(C,)`` (length 2 for a single-logit binary model);
            any positive vector, normalised to sum 1.
        tau: Adjustment strength, ``>= 0``.
        weight: Per-class weights ``(C,)`` as in ``cross_entropy`` (per-element for binary).
        ignore_index: Target value that is skipped.
        reduction: ``'none'``, ``'mean'`` or ``'sum'``.
        validate_args: Check target values in ``forward`` (a device sync on a GPU).

    Example:
        >>> criterion = LogitAdjustedLoss(prior=[0.9, 0.1])
        >>> loss = criterion(torch.tensor([1.5, -0.5]), torch.tensor([1.0, 0.0]))
        >>> loss.shape
        torch.Size([])

    References:
        A. K. Menon, S. Jayasumana, A. S. Rawat, H. Jain, A. Veit, S. Kumar. Long-tail
        learning via logit adjustment. ICLR 2021. https://arxiv.org/abs/2007.07314
    """

    log_prior: Tensor
    weight: Tensor | None

    def __init__(
        self,
        prior: VectorLike,
        tau: float = 1.0,
        weight: VectorLike | None = None,
        ignore_index: int = -100,
        reduction: str = "mean",
        *,
        validate_args: bool = True,
    ) -> None:
        super().__init__()
        self.tau = check_tau(tau)
        weight = check_weight(weight, check_values=True)
        self.ignore_index = check_ignore_index(ignore_index)
        self.reduction = check_reduction(reduction)
        log_prior = log_class_prior(prior, "prior", check_values=True)
        self.register_buffer("log_prior", log_prior.to(torch.get_default_dtype()))
        self.register_buffer("weight", None if weight is None else weight.detach().clone())
        self.validate_args = bool(validate_args)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        """Return the logit-adjusted loss of ``input`` logits against ``target``."""
        return _logit_adjusted_forward(
            input,
            target,
            self.log_prior,
            self.tau,
            self.weight,
            self.ignore_index,
            self.reduction,
            check_targets=self.validate_args,
        )

    def extra_repr(self) -> str:
        return (
            f"num_classes={self.log_prior.numel()}, tau={self.tau}, "
            f"reduction={self.reduction!r}, ignore_index={self.ignore_index}"
        )


def adjust_logits(
    logits: Tensor, prior: VectorLike, tau: float = 1.0, *, validate_args: bool = True
) -> Tensor:
    r"""Post-hoc logit adjustment of a model trained with plain cross-entropy.

    .. math::
        \tilde{x}_c = x_c - \tau \log \pi_c

    ``argmax`` of the result is Menon et al.'s balanced-error classifier. A single logit per
    sample (``(N,)`` or ``(N, 1, ...)``, prior of length 2) is shifted by
    :math:`-\tau(\log \pi_1 - \log \pi_0)`. Do not apply it to a model trained with
    :func:`logit_adjusted_loss`, whose logits are already adjusted.

    Args:
        logits: ``(N, C, ...)`` (class dim 1), or ``(N,)`` / ``(N, 1, ...)`` single logits.
        prior: Per-class training prior ``(C,)``; any positive vector, normalised to sum 1.
        tau: Adjustment strength, ``>= 0``.
        validate_args: Check that the prior is positive and finite (a device sync on a GPU).

    Returns:
        Adjusted logits of the input's shape and dtype.

    Raises:
        TypeError: Non-tensor or integer logits, a bool ``tau``.
        ValueError: A prior entry that is not positive and finite, a prior whose length does
            not match the classes, negative ``tau``.

    Example:
        >>> adjust_logits(torch.tensor([[1.0, 1.0]]), prior=[0.8, 0.2])
        tensor([[1.2231, 2.6094]])

    References:
        A. K. Menon, S. Jayasumana, A. S. Rawat, H. Jain, A. Veit, S. Kumar. Long-tail
        learning via logit adjustment. ICLR 2021. https://arxiv.org/abs/2007.07314
    """
    logits = check_logits(logits, "logits")
    tau = check_tau(tau)
    log_prior = log_class_prior(prior, "prior", check_values=validate_args)
    return shift_logits(logits, log_prior, -tau, "prior")


def prior_shift_correction(
    logits: Tensor,
    train_prior: VectorLike,
    true_prior: VectorLike,
    *,
    validate_args: bool = True,
) -> Tensor:
    r"""Correct logits of a model trained on a resampled class distribution.

    A model trained where class :math:`c` had prior :math:`\pi^{train}_c` (after over- or
    under-sampling) estimates :math:`p_{train}(c \mid x)`. By Bayes' rule, the posterior at the
    natural class ratio :math:`\pi^{true}` is the softmax of

    .. math::
        \tilde{x}_c = x_c - \log \frac{\pi^{train}_c}{\pi^{true}_c}

    so ``softmax`` (or ``sigmoid`` for a single logit) of the result are probabilities at the
    natural class ratio: calibrated in the mean, as needed for a threshold or an expected
    count. A single logit (prior of length 2) is shifted by the difference of the log odds,
    :math:`(\log \pi^{true}_1 - \log \pi^{true}_0) - (\log \pi^{train}_1 - \log \pi^{train}_0)`.
    Ranking metrics (AUROC, AUPRC) are unchanged for a single logit.

    Args:
        logits: ``(N, C, ...)`` (class dim 1), or ``(N,)`` / ``(N, 1, ...)`` single logits.
        train_prior: Class prior of the (resampled) training data, ``(C,)``, positive.
        true_prior: Natural class prior (e.g. of the original training labels), ``(C,)``.
        validate_args: Check that the priors are positive and finite.

    Returns:
        Corrected logits of the input's shape and dtype.

    Raises:
        TypeError: Non-tensor or integer logits.
        ValueError: A prior entry that is not positive and finite, priors whose length does
            not match the classes.

    Example:
        >>> logits = torch.tensor([0.0])  # p = 0.5 after training on a 1:1 resample
        >>> corrected = prior_shift_correction(logits, [0.5, 0.5], [0.9, 0.1])
        >>> round(torch.sigmoid(corrected).item(), 4)
        0.1

    References:
        M. Saerens, P. Latinne, C. Decaestecker. Adjusting the outputs of a classifier to new
        a priori probabilities: a simple procedure. Neural Computation 14(1), 2002.
    """
    logits = check_logits(logits, "logits")
    log_train = log_class_prior(train_prior, "train_prior", check_values=validate_args)
    log_true = log_class_prior(true_prior, "true_prior", check_values=validate_args)
    if log_train.shape != log_true.shape:
        raise ValueError(
            f"train_prior has {log_train.numel()} classes and true_prior has "
            f"{log_true.numel()}; pass one value per class in both."
        )
    return shift_logits(logits, log_true - log_train, 1.0, "train_prior")


# --------------------------------------------------------------------------------- stages


def log_class_prior(prior: object, name: str, *, check_values: bool) -> Tensor:
    """Return ``log(prior / prior.sum())`` in float64 after checking the prior."""
    tensor = as_float_vector(name, prior).to(torch.float64)
    if tensor.ndim != 1 or tensor.numel() < 2:
        raise ValueError(
            f"{name} must be a 1-D vector with one probability per class (at least 2), got "
            f"shape {tuple(tensor.shape)}; for a binary model pass [p(negative), p(positive)]."
        )
    if check_values:
        bad = ~(torch.isfinite(tensor) & (tensor > 0))
        if bool(bad.any()):
            index = int(bad.nonzero()[0, 0])
            raise ValueError(
                f"{name}[{index}]={tensor[index].item()!r}: every class needs a positive, "
                "finite prior (log(0) is -inf). Estimate it with class_prior(labels, "
                "smoothing=1.0) or leave the class out."
            )
    return torch.log(tensor / tensor.sum())


def shift_logits(logits: Tensor, log_prior: Tensor, factor: float, name: str) -> Tensor:
    """Return ``logits + factor * log_prior`` along the class dimension (dim 1).

    Single logits (1-D, or ``shape[1] == 1``) are shifted by ``factor`` times the log odds
    ``log_prior[1] - log_prior[0]``.
    """
    num_classes = log_prior.numel()
    shape = tuple(logits.shape)
    log_prior = log_prior.to(device=logits.device, dtype=logits.dtype)
    if logits.ndim == 1 or logits.shape[1] == 1:
        if num_classes != 2:
            raise ValueError(
                f"{name} has {num_classes} classes, but logits of shape {shape} hold a single "
                "logit per sample (binary); pass a prior of length 2 [p(negative), "
                "p(positive)], or for one sample's C logits use logits.unsqueeze(0)."
            )
        return logits + factor * (log_prior[1] - log_prior[0])
    if logits.shape[1] != num_classes:
        raise ValueError(
            f"{name} has {num_classes} classes, but logits of shape {shape} have "
            f"{logits.shape[1]} (dim 1); pass one prior value per class."
        )
    return logits + factor * log_prior.view((1, num_classes) + (1,) * (logits.ndim - 2))


def _logit_adjusted_forward(
    input: Tensor,
    target: Tensor,
    log_prior: Tensor,
    tau: float,
    weight: Tensor | None,
    ignore_index: int,
    reduction: str,
    *,
    check_targets: bool,
) -> Tensor:
    input = check_logits(input)
    target = check_target_tensor(target)
    logits = shift_logits(input.to(compute_dtype(input)), log_prior, tau, "prior")
    single_logit = input.ndim == 1 or input.shape[1] == 1
    if single_logit:
        resolve_task(logits, target, "binary")
        return sigmoid_focal(
            logits,
            target,
            0.0,
            None,
            weight,
            ignore_index,
            reduction,
            "binary",
            check_targets=check_targets,
        )
    resolve_task(logits, target, "multiclass")
    if is_probability_target(logits, target):
        check_probability_targets(target, check_values=check_targets)
        target = target.to(logits.dtype)
    else:
        check_class_targets(target, logits.shape[1], ignore_index, check_values=check_targets)
    if weight is not None:
        if tuple(weight.shape) != (logits.shape[1],):
            raise ValueError(
                f"weight has shape {tuple(weight.shape)}, but the input has "
                f"{logits.shape[1]} classes; pass one weight per class."
            )
        weight = weight.to(device=logits.device, dtype=logits.dtype)
    return F.cross_entropy(
        logits, target, weight=weight, ignore_index=ignore_index, reduction=reduction
    )
