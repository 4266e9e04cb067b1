"""LDAM loss (Cao et al. 2019) with deferred re-weighting (DRW) as a step schedule.

``ldam_loss`` holds the maths; ``LDAMLoss`` holds the margins and the DRW weights as
buffers, counts its own training steps in a buffer and calls the same private stage.

NOTE [DRW in steps]: Cao et al. switch the class weights on at an epoch (160 of 200). The
module counts optimisation steps instead: with resampling an epoch's length depends on the
strategy (an oversampled epoch is longer), and the comparison gives every arm the same
budget of steps, so a step is the unit that means the same thing for every arm. Pass
``drw_start_step = epochs_before_drw * steps_per_epoch`` to reproduce an epoch schedule.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from imbalance_torch._validation import check_positive_int

from ._ranking import check_positive
from ._validation import VectorLike, as_float_vector, check_real, check_reduction
from ._weights import class_weights

__all__ = ["LDAMLoss", "ldam_loss", "ldam_margins"]


def ldam_margins(class_counts: VectorLike, max_margin: float = 0.5) -> Tensor:
    r"""Per-class LDAM margins :math:`\Delta_c = C / n_c^{1/4}`, the largest equal to ``max_margin``.

    .. math::
        \Delta_c = \Delta_{max} \, \frac{n_c^{-1/4}}{\max_k n_k^{-1/4}}

    Args:
        class_counts: Training rows per class ``(C,)``, each > 0 (the data's counts before
            any resampling, as in the paper).
        max_margin: The rarest class's margin, > 0 (0.5, the paper's choice).

    Returns:
        A float tensor ``(C,)`` (float32 unless ``class_counts`` is a floating tensor).

    Raises:
        TypeError: ``class_counts`` not numeric; a bool or string ``max_margin``.
        ValueError: A count <= 0 or not finite, ``max_margin <= 0``.

    Example:
        >>> ldam_margins([10_000, 16]).tolist()  # 16^(-1/4) = 1/2 is the largest
        [0.10000000149011612, 0.5]

    References:
        K. Cao, C. Wei, A. Gaidon, N. Arechiga, T. Ma. Learning Imbalanced Datasets with
        Label-Distribution-Aware Margin Loss. NeurIPS 2019. https://arxiv.org/abs/1906.07413
    """
    counts = _check_counts(class_counts)
    max_margin = check_positive("max_margin", max_margin, hint="pass the paper's max_margin=0.5.")
    inverse = counts ** (-0.25)
    return inverse * (max_margin / inverse.max())


def ldam_loss(
    input: Tensor,
    target: Tensor,
    margins: Tensor,
    s: float = 30.0,
    weight: Tensor | None = None,
    reduction: str = "mean",
) -> Tensor:
    r"""LDAM loss: cross-entropy of logits with the true class's margin subtracted, scaled by ``s``.

    .. math::
        \ell = -\log \frac{e^{s(x_y - \Delta_y)}}
            {e^{s(x_y - \Delta_y)} + \sum_{j \ne y} e^{s x_j}}

    For a probability target :math:`t` (soft labels, rows summing to 1) each logit loses its
    margin in proportion to its target share, :math:`x'_c = x_c - t_c \Delta_c`, and the loss
    is ``F.cross_entropy``'s probability form :math:`-\sum_c w_c t_c \log
    \operatorname{softmax}(s x')_c`; a one-hot target gives the class-index loss.
    ``weight`` and ``reduction`` are ``F.cross_entropy``'s (the mean divides by the summed
    weights of the targets for class indices, by :math:`N` for probabilities, as torch does).

    The paper's logits are cosine similarities (normalised features and weights) in
    [-1, 1], which is why they are scaled by ``s``; with an ordinary linear head use a
    smaller ``s`` (1 keeps the logits' scale).

    Args:
        input: Logits ``(N, C)``.
        target: Class indices ``(N,)`` in ``[0, C)``, or class probabilities ``(N, C)``.
        margins: Per-class margins ``(C,)`` (:func:`ldam_margins`).
        s: Logit scale > 0 (30, the paper's choice).
        weight: Optional per-class weights ``(C,)``, as in ``F.cross_entropy``.
        reduction: ``'none'``, ``'mean'`` or ``'sum'``.

    Returns:
        The reduced loss, or ``(N,)`` with ``reduction='none'``.

    Raises:
        TypeError: ``input`` not floating, ``target`` neither integer indices nor floating
            probabilities, a bool or string ``s``.
        ValueError: Shapes that do not match ``(N, C)`` / ``(C,)``, class indices out of
            range, ``s <= 0``, an unknown ``reduction``.

    Shape:
        - input: ``(N, C)``.
        - target: ``(N,)`` class indices or ``(N, C)`` probabilities.
        - margins, weight: ``(C,)``.
        - output: scalar, or ``(N,)`` with ``reduction='none'``.

    Example:
        >>> margins = ldam_margins([100, 1])
        >>> logits = torch.tensor([[0.2, 0.1], [0.0, 0.3]])
        >>> loss = ldam_loss(logits, torch.tensor([0, 1]), margins, s=1.0)
        >>> bool(loss > F.cross_entropy(logits, torch.tensor([0, 1])))
        True

    References:
        K. Cao, C. Wei, A. Gaidon, N. Arechiga, T. Ma. Learning Imbalanced Datasets with
        Label-Distribution-Aware Margin Loss. NeurIPS 2019. https://arxiv.org/abs/1906.07413
    """
    s = check_positive(
        "s",
        s,
        hint="s scales the logits; pass the paper's s=30.0 (or 1.0 for an unnormalised head).",
    )
    reduction = check_reduction(reduction)
    if not isinstance(margins, Tensor):
        raise TypeError(
            f"margins must be a tensor (C,) from ldam_margins, got {type(margins).__name__}."
        )
    if weight is not None:
        weight = as_float_vector("weight", weight)
    return _ldam_forward(input, target, margins, s, weight, reduction)


class LDAMLoss(nn.Module):
    r"""LDAM loss with deferred re-weighting (DRW) as a step schedule; see :func:`ldam_loss`.

    .. math::
        \ell = -w_y \log \frac{e^{s(x_y - \Delta_y)}}
            {e^{s(x_y - \Delta_y)} + \sum_{j \ne y} e^{s x_j}},
        \quad \Delta_c \propto n_c^{-1/4}

    **DRW.** With ``drw_start_step`` set, the loss is unweighted for the first
    ``drw_start_step`` training steps and class-weighted afterwards: by ``weight`` if given,
    else by effective-number weights :math:`w_c \propto (1-\beta)/(1-\beta^{n_c})` with
    ``beta`` (0.9999, the paper's) from :func:`class_weights`. The module counts its own
    steps in the buffer ``step`` (one per ``forward`` in training mode; evaluation mode
    neither counts nor switches), which is in the ``state_dict``, so a resumed fit switches
    at the same step. Steps, not epochs: see NOTE [DRW in steps] in this module. Without
    ``drw_start_step``, ``weight`` (if any) applies from the first step.

    Args:
        class_counts: Training rows per class ``(C,)`` (before resampling).
        max_margin: The rarest class's margin (0.5).
        s: Logit scale (30).
        weight: Optional class weights ``(C,)``.
        drw_start_step: ``None`` (no schedule) or the number of steps (int >= 0) before the
            class weights switch on.
        beta: Effective-number :math:`\beta \in [0, 1)` for the DRW weights (``None``:
            0.9999); only with ``drw_start_step`` and no ``weight`` (refused otherwise).
        reduction: ``'none'``, ``'mean'`` or ``'sum'``.

    Example:
        >>> criterion = LDAMLoss([900, 100], s=1.0, drw_start_step=1)
        >>> logits, target = torch.tensor([[0.2, 0.1], [0.0, 0.3]]), torch.tensor([0, 1])
        >>> first = criterion(logits, target)  # step 0: unweighted
        >>> second = criterion(logits, target)  # step 1: DRW weights on
        >>> bool(second > first), int(criterion.step)
        (True, 2)

    References:
        K. Cao, C. Wei, A. Gaidon, N. Arechiga, T. Ma. Learning Imbalanced Datasets with
        Label-Distribution-Aware Margin Loss. NeurIPS 2019. https://arxiv.org/abs/1906.07413
    """

    margins: Tensor
    drw_weight: Tensor | None
    step: Tensor

    def __init__(
        self,
        class_counts: VectorLike,
        max_margin: float = 0.5,
        s: float = 30.0,
        weight: VectorLike | None = None,
        drw_start_step: int | None = None,
        beta: float | None = None,
        reduction: str = "mean",
    ) -> None:
        super().__init__()
        counts = _check_counts(class_counts)
        self.register_buffer("margins", ldam_margins(counts, max_margin))
        self.max_margin = float(max_margin)
        self.s = check_positive("s", s, hint="s scales the logits; pass the paper's s=30.0.")
        self.reduction = check_reduction(reduction)
        checked_weight = None if weight is None else as_float_vector("weight", weight)
        if checked_weight is not None and tuple(checked_weight.shape) != tuple(counts.shape):
            raise ValueError(
                f"weight has shape {tuple(checked_weight.shape)} but class_counts {tuple(counts.shape)}; "
                "pass one weight per class."
            )
        if beta is not None and (drw_start_step is None or checked_weight is not None):
            raise ValueError(
                f"beta={beta!r} sets the effective-number DRW weights, which are used only with "
                "drw_start_step and no weight; drop beta (or pass drw_start_step without weight)."
            )
        self.beta = 0.9999 if beta is None else check_real("beta", beta)
        if drw_start_step is None:
            self.drw_start_step: int | None = None
            self.register_buffer("drw_weight", checked_weight)
        else:
            self.drw_start_step = check_positive_int(drw_start_step, "drw_start_step", minimum=0)
            if checked_weight is None:
                checked_weight = class_weights(
                    counts=counts, scheme="effective_number", beta=self.beta
                )
            self.register_buffer("drw_weight", checked_weight.to(counts.dtype))
        self.register_buffer("step", torch.zeros((), dtype=torch.int64))

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        """Return the LDAM loss; in training mode, count one step (NOTE [DRW in steps])."""
        step = int(self.step)
        on = self.drw_start_step is None or step >= self.drw_start_step
        loss = _ldam_forward(
            input, target, self.margins, self.s, self.drw_weight if on else None, self.reduction
        )
        if self.training:
            self.step += 1
        return loss

    def current_weight(self) -> Tensor | None:
        """The class weights the next training step uses (``None`` before DRW switches on)."""
        if self.drw_start_step is not None and int(self.step) < self.drw_start_step:
            return None
        return self.drw_weight

    def extra_repr(self) -> str:
        return (
            f"num_classes={self.margins.numel()}, max_margin={self.max_margin}, s={self.s}, "
            f"drw_start_step={self.drw_start_step}, reduction={self.reduction!r}"
        )


def _check_counts(class_counts: object) -> Tensor:
    counts = as_float_vector("class_counts", class_counts)
    if counts.ndim != 1 or counts.numel() < 2:
        raise ValueError(
            f"class_counts has shape {tuple(counts.shape)}; pass the training rows of each class, "
            "a 1-D sequence with one count per class (at least 2 classes)."
        )
    bad = ~torch.isfinite(counts) | (counts <= 0)
    if bool(bad.any()):
        value = counts[bad][0].item()
        raise ValueError(
            f"class_counts holds {value!r}; every class needs a finite count > 0 (a class absent "
            "from the training data has no margin; drop it from the label set)."
        )
    return counts


def _ldam_forward(
    input: Tensor, target: Tensor, margins: Tensor, s: float, weight: Tensor | None, reduction: str
) -> Tensor:
    """Check shapes, subtract the target's margins, scale and hand over to ``F.cross_entropy``."""
    if not isinstance(input, Tensor) or not input.is_floating_point() or input.ndim != 2:
        raise TypeError(
            f"input must be floating logits of shape (N, C), got "
            f"{tuple(input.shape) if isinstance(input, Tensor) else type(input).__name__}."
        )
    num, num_classes = input.shape
    if tuple(margins.shape) != (num_classes,):
        raise ValueError(
            f"input has {num_classes} classes (input.shape[1]) but there are {margins.numel()} "
            "margins (one per class count); pass logits with one column per class."
        )
    margins = margins.to(device=input.device, dtype=input.dtype)
    if weight is not None:
        if tuple(weight.shape) != (num_classes,):
            raise ValueError(
                f"weight has shape {tuple(weight.shape)}; pass one weight per class, shape ({num_classes},)."
            )
        weight = weight.to(device=input.device, dtype=input.dtype)
    if not isinstance(target, Tensor):
        raise TypeError(f"target must be a tensor, got {type(target).__name__}.")
    if target.is_floating_point():
        if tuple(target.shape) != (num, num_classes):
            raise ValueError(
                f"a probability target has shape {tuple(target.shape)}, but the input is "
                f"{(num, num_classes)}; pass class indices (N,) or probabilities (N, C)."
            )
        probabilities = target.to(input.dtype)
        shifted = input - probabilities * margins
        return F.cross_entropy(s * shifted, probabilities, weight=weight, reduction=reduction)
    if target.dtype == torch.bool or target.is_complex():
        raise TypeError(
            f"target must hold integer class indices or float probabilities, got dtype {target.dtype}."
        )
    if tuple(target.shape) != (num,):
        raise ValueError(
            f"target has shape {tuple(target.shape)}; pass class indices of shape ({num},)."
        )
    target = target.to(torch.int64)
    if num and (int(target.min()) < 0 or int(target.max()) >= num_classes):
        bad = int(target.min()) if int(target.min()) < 0 else int(target.max())
        raise ValueError(
            f"target holds class {bad}, outside [0, {num_classes}); pass class indices 0..{num_classes - 1}."
        )
    shifted = input - F.one_hot(target, num_classes).to(input.dtype) * margins
    return F.cross_entropy(s * shifted, target, weight=weight, reduction=reduction)
