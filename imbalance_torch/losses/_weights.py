"""Class weights and class priors from labels or counts, and torch's weighted losses built from them.

Weighted cross-entropy itself is torch's (``nn.CrossEntropyLoss(weight=...)``,
``nn.BCEWithLogitsLoss(pos_weight=...)``); this module only computes the weights.

NOTE [class weight normalisation]: with per-class counts :math:`N_c`, :math:`N = \\sum_c N_c`
and :math:`C` classes,

* ``'balanced'``: :math:`w_c = N / (C N_c)`, exactly scikit-learn's
  ``compute_class_weight('balanced')``; not renormalised. Its *sample*-weighted mean is 1
  (:math:`\\sum_c N_c w_c / N = 1`), so the loss keeps the scale of the unweighted loss.
* ``'inverse'``: :math:`w_c \\propto 1/N_c`, ``'sqrt_inverse'``: :math:`w_c \\propto 1/\\sqrt{N_c}`,
  ``'effective_number'``: :math:`w_c \\propto (1 - \\beta)/(1 - \\beta^{N_c})` (Cui et al.
  2019), each normalised so that :math:`\\sum_c w_c = C` (the *class* mean weight is 1, as in
  Cui et al.).

``'inverse'`` and ``'balanced'`` differ only by this constant, which ``cross_entropy``'s
``'mean'`` (divided by the summed target weights) cancels; it matters for ``'sum'`` and for
losses that do not normalise by the weights.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from ._validation import check_real

__all__ = [
    "class_prior",
    "class_weights",
    "weighted_bce_with_logits",
    "weighted_cross_entropy",
]

SCHEMES = ("balanced", "inverse", "sqrt_inverse", "effective_number")

#: Labels or counts as a tensor, an ndarray or a sequence.
LabelsLike = Tensor | np.ndarray | Sequence[int] | Sequence[float]


def class_weights(
    labels: LabelsLike | None = None,
    *,
    counts: LabelsLike | None = None,
    scheme: str = "balanced",
    beta: float = 0.999,
    num_classes: int | None = None,
    smoothing: float = 0.0,
) -> Tensor:
    r"""Per-class weights that up-weight rare classes.

    .. math::
        w^{balanced}_c = \frac{N}{C N_c}, \quad
        w^{inverse}_c \propto \frac{1}{N_c}, \quad
        w^{sqrt\_inverse}_c \propto \frac{1}{\sqrt{N_c}}, \quad
        w^{effective\_number}_c \propto \frac{1 - \beta}{1 - \beta^{N_c}}

    ``'balanced'`` equals scikit-learn's ``compute_class_weight('balanced')``; the other
    three are normalised to :math:`\sum_c w_c = C` (see NOTE [class weight normalisation] in
    this module). ``'effective_number'`` with ``beta=0`` gives all ones and tends to
    ``'inverse'`` as ``beta -> 1``.

    Args:
        labels: 1-D integer (or bool) class labels; counted over ``num_classes`` classes.
        counts: Per-class counts ``(C,)`` (non-negative; floats allowed), instead of labels.
        scheme: ``'balanced'``, ``'inverse'``, ``'sqrt_inverse'`` or ``'effective_number'``.
        beta: :math:`\beta \in [0, 1)` for ``'effective_number'`` (Cui et al. use 0.9 to
            0.9999).
        num_classes: Number of classes; default ``labels.max() + 1`` or ``len(counts)``.
        smoothing: Added to every count first (additive smoothing), so that a class absent
            from the labels gets a finite weight.

    Returns:
        float32 tensor of shape ``(C,)``, on the device of ``labels`` / ``counts``.

    Raises:
        TypeError: Both or neither of ``labels`` / ``counts``, float labels, bools for numbers.
        ValueError: Unknown ``scheme``, ``beta`` outside [0, 1), negative labels or counts,
            labels outside ``num_classes``, a class with zero count (use ``smoothing``).

    Example:
        >>> class_weights([0, 0, 0, 1])
        tensor([0.6667, 2.0000])
        >>> class_weights(counts=[90, 10], scheme="inverse")
        tensor([0.2000, 1.8000])

    References:
        Y. Cui, M. Jia, T.-Y. Lin, Y. Song, S. Belongie. Class-Balanced Loss Based on Effective
        Number of Samples. CVPR 2019. https://arxiv.org/abs/1901.05555
    """
    scheme = _check_scheme(scheme)
    beta = _check_beta(beta)
    class_counts = _class_counts(labels, counts, num_classes, smoothing)
    return _scheme_weights(class_counts, scheme, beta).to(torch.float32)


def class_prior(
    labels: LabelsLike | None = None,
    *,
    counts: LabelsLike | None = None,
    num_classes: int | None = None,
    smoothing: float = 0.0,
) -> Tensor:
    r"""Class frequencies :math:`\pi_c = N_c / N`, e.g. the ``prior`` of logit adjustment.

    .. math::
        \pi_c = \frac{N_c + s}{\sum_k (N_k + s)}

    Args:
        labels: 1-D integer (or bool) class labels.
        counts: Per-class counts ``(C,)`` instead of labels.
        num_classes: Number of classes; default ``labels.max() + 1`` or ``len(counts)``.
        smoothing: :math:`s`, added to every count (a zero frequency has ``log = -inf``).

    Returns:
        float32 tensor of shape ``(C,)`` summing to 1.

    Raises:
        TypeError: Both or neither of ``labels`` / ``counts``, float labels.
        ValueError: Negative labels or counts, labels outside ``num_classes``, no samples.

    Example:
        >>> class_prior([0, 0, 0, 1])
        tensor([0.7500, 0.2500])
    """
    class_counts = _class_counts(labels, counts, num_classes, smoothing, allow_zero=True)
    total = class_counts.sum()
    if not total > 0:
        raise ValueError(
            "the counts sum to 0, so there is no class frequency; pass labels or counts with "
            "at least one sample, or smoothing > 0."
        )
    return (class_counts / total).to(torch.float32)


def weighted_cross_entropy(
    labels: LabelsLike | None = None,
    *,
    counts: LabelsLike | None = None,
    scheme: str = "balanced",
    beta: float = 0.999,
    num_classes: int | None = None,
    smoothing: float = 0.0,
    **loss_kwargs: Any,
) -> nn.CrossEntropyLoss:
    r"""torch's ``nn.CrossEntropyLoss`` with ``weight=class_weights(...)``.

    .. math::
        \ell = -w_y \log \operatorname{softmax}(x)_y

    The module is torch's own, so it takes class probabilities ``(N, C)`` as the target too
    (soft labels, e.g. from :class:`imbalance_torch.mixing.Remix`):
    :math:`\ell = -\sum_c w_c t_c \log \operatorname{softmax}(x)_c`, with torch's rule that
    ``'mean'`` divides by N for probability targets (by :math:`\sum_i w_{y_i}` for class
    indices). The module is returned as torch's own type, so it does not check the rows
    (torch computes any values); :func:`focal_loss` with ``gamma=0`` is the same loss with the
    rows checked, and the mixing transforms build rows that sum to 1.

    Args:
        labels: 1-D integer class labels of the training data.
        counts: Per-class counts instead of labels.
        scheme: See :func:`class_weights`.
        beta: See :func:`class_weights`.
        num_classes: See :func:`class_weights`.
        smoothing: See :func:`class_weights`.
        **loss_kwargs: Passed to ``nn.CrossEntropyLoss`` (``ignore_index``, ``reduction``,
            ``label_smoothing``); not ``weight``.

    Returns:
        A configured ``nn.CrossEntropyLoss`` (its ``weight`` buffer is float32; it moves with
        ``.to(device)``).

    Raises:
        TypeError: ``weight`` in ``loss_kwargs``, and as :func:`class_weights`.
        ValueError: As :func:`class_weights`.

    Example:
        >>> criterion = weighted_cross_entropy([0, 0, 0, 1, 2, 2])
        >>> criterion.weight
        tensor([0.6667, 2.0000, 1.0000])

    References:
        G. King, L. Zeng. Logistic Regression in Rare Events Data. Political Analysis 9, 2001
        (the 'balanced' heuristic as used by scikit-learn).
    """
    _reject_key(loss_kwargs, "weight", "weighted_cross_entropy")
    weight = class_weights(
        labels,
        counts=counts,
        scheme=scheme,
        beta=beta,
        num_classes=num_classes,
        smoothing=smoothing,
    )
    return nn.CrossEntropyLoss(weight=weight, **loss_kwargs)


def weighted_bce_with_logits(
    labels: LabelsLike | None = None,
    *,
    counts: LabelsLike | None = None,
    scheme: str = "balanced",
    beta: float = 0.999,
    smoothing: float = 0.0,
    **loss_kwargs: Any,
) -> nn.BCEWithLogitsLoss:
    r"""torch's ``nn.BCEWithLogitsLoss`` with ``pos_weight = w_1 / w_0`` from class weights.

    ``BCEWithLogitsLoss`` has a weight for the positive class only, so the class weights
    :math:`(w_0, w_1)` enter as their ratio. The loss with ``pos_weight`` :math:`= w_1/w_0`
    times :math:`w_0` is the per-sample weighted BCE with weight :math:`w_{y_i}`:

    .. math::
        w_0 \cdot \ell_{pos\_weight}(x, y) = -w_y \big[y \log \sigma(x) +
        (1 - y) \log(1 - \sigma(x))\big]

    so the relative weighting is reproduced exactly and the constant :math:`w_0` cancels in
    any optimiser that is invariant to the loss scale (it rescales the learning rate for SGD).
    The normalisation of the scheme cancels in the ratio: ``'balanced'`` and ``'inverse'`` give
    the familiar ``n_negative / n_positive``.

    Multi-label: 2-D labels ``(N, C)`` (multi-hot) give one ``pos_weight`` per column,
    each computed from that column's negative and positive counts.

    Args:
        labels: 0/1 labels: 1-D ``(N,)`` (binary) or 2-D ``(N, C)`` (multi-label); integer,
            bool or float 0./1. values.
        counts: ``[n_negative, n_positive]`` ``(2,)``, or ``(C, 2)`` for multi-label, instead of
            labels.
        scheme: See :func:`class_weights`.
        beta: See :func:`class_weights`.
        smoothing: See :func:`class_weights`.
        **loss_kwargs: Passed to ``nn.BCEWithLogitsLoss`` (``weight``, ``reduction``); not
            ``pos_weight``.

    Returns:
        A configured ``nn.BCEWithLogitsLoss`` whose ``pos_weight`` has shape ``(1,)``
        (binary) or ``(C,)`` (multi-label).

    Raises:
        TypeError: ``pos_weight`` in ``loss_kwargs``, and as :func:`class_weights`.
        ValueError: Labels other than 0/1, counts not of shape (2,) or (C, 2), a class with
            zero count, and as :func:`class_weights`.

    Example:
        >>> criterion = weighted_bce_with_logits([0, 0, 0, 0, 1])
        >>> criterion.pos_weight
        tensor([4.])
    """
    _reject_key(loss_kwargs, "pos_weight", "weighted_bce_with_logits")
    scheme = _check_scheme(scheme)
    beta = _check_beta(beta)
    if (labels is None) == (counts is None):
        raise TypeError(_labels_or_counts_message(labels is None))
    if labels is not None:
        binary_counts = _binary_counts(labels)
    else:
        binary_counts = _as_counts(counts, allow_2d=True)
        if binary_counts.shape[-1] != 2:
            raise ValueError(
                f"counts of shape {tuple(binary_counts.shape)} are not [n_negative, "
                "n_positive]; pass counts of shape (2,), or (C, 2) for multi-label."
            )
    smoothing = _check_smoothing(smoothing)
    rows = binary_counts.reshape(-1, 2) + smoothing
    multilabel = binary_counts.ndim == 2
    weights = torch.stack(
        [
            _scheme_weights(row, scheme, beta, column=i if multilabel else None)
            for i, row in enumerate(rows)
        ]
    )
    pos_weight = (weights[:, 1] / weights[:, 0]).to(torch.float32)
    return nn.BCEWithLogitsLoss(pos_weight=pos_weight, **loss_kwargs)


# --------------------------------------------------------------------------------- stages


def _check_scheme(scheme: object) -> str:
    if not isinstance(scheme, str):
        raise TypeError(
            f"scheme must be a string, one of {', '.join(map(repr, SCHEMES))}; got "
            f"{scheme!r} of type {type(scheme).__name__}."
        )
    if scheme not in SCHEMES:
        raise ValueError(
            f"scheme={scheme!r} is not one of {', '.join(map(repr, SCHEMES))}; 'balanced' "
            "matches scikit-learn's class_weight='balanced'."
        )
    return scheme


def _check_beta(beta: object) -> float:
    value = check_real("beta", beta)
    if not 0.0 <= value < 1.0:
        raise ValueError(
            f"beta={beta!r} is outside [0, 1); the effective-number beta is typically 0.9, "
            "0.99, 0.999 or 0.9999 (beta=0: no re-weighting; beta -> 1: inverse frequency)."
        )
    return value


def _check_smoothing(smoothing: object) -> float:
    value = check_real("smoothing", smoothing)
    if value < 0:
        raise ValueError(
            f"smoothing={smoothing!r} is negative; it is added to every count, pass a value "
            ">= 0 (1.0 is add-one smoothing)."
        )
    return value


def _check_num_classes(num_classes: object) -> int | None:
    if num_classes is None:
        return None
    if isinstance(num_classes, bool) or not isinstance(num_classes, numbers.Integral):
        raise TypeError(
            f"num_classes must be an int, got {num_classes!r} of type {type(num_classes).__name__}."
        )
    if num_classes < 1:
        raise ValueError(f"num_classes={num_classes} must be at least 1.")
    return int(num_classes)


def _reject_key(loss_kwargs: dict[str, Any], key: str, function: str) -> None:
    if key in loss_kwargs:
        raise TypeError(
            f"{function}() computes {key} from the labels, so it does not take {key}=; pass "
            f"the weights to torch's loss directly, or drop {key}."
        )


def _labels_or_counts_message(neither: bool) -> str:
    seen = "neither" if neither else "both"
    return f"pass exactly one of labels and counts=, got {seen}."


def _to_tensor(name: str, value: object) -> Tensor:
    if isinstance(value, Tensor):
        return value
    if isinstance(value, (str, bytes)) or not isinstance(value, (np.ndarray, Sequence)):
        raise TypeError(
            f"{name} must be a tensor, an ndarray or a sequence of numbers, got "
            f"{type(value).__name__}."
        )
    try:
        return torch.as_tensor(np.asarray(value))
    except (TypeError, ValueError) as error:
        raise TypeError(f"{name} must hold numbers, got {value!r}.") from error


def _as_labels(labels: object) -> Tensor:
    tensor = _to_tensor("labels", labels)
    if tensor.dtype == torch.bool:
        tensor = tensor.long()
    if tensor.is_floating_point() or tensor.is_complex():
        raise TypeError(
            f"labels must be integer class indices, got dtype {tensor.dtype}; convert them "
            "with labels.long(), or pass per-class counts as counts=."
        )
    if tensor.ndim != 1:
        raise ValueError(
            f"labels must be 1-D (one class index per sample), got shape {tuple(tensor.shape)}."
        )
    if tensor.numel() == 0:
        raise ValueError("labels is empty; pass at least one label, or counts=.")
    smallest = int(tensor.min())
    if smallest < 0:
        raise ValueError(
            f"labels hold {smallest}; class labels must be integers >= 0 (encode them as "
            "0..C-1, e.g. with sklearn's LabelEncoder)."
        )
    return tensor.long()


def _as_counts(counts: object, *, allow_2d: bool = False) -> Tensor:
    tensor = _to_tensor("counts", counts)
    if tensor.dtype == torch.bool or tensor.is_complex():
        raise TypeError(f"counts must hold numbers, got dtype {tensor.dtype}.")
    if not (tensor.ndim == 1 or (allow_2d and tensor.ndim == 2)) or tensor.numel() == 0:
        raise ValueError(
            f"counts must be a non-empty 1-D tensor with one count per class, got shape "
            f"{tuple(tensor.shape)}."
        )
    tensor = tensor.to(torch.float64)
    bad = ~(torch.isfinite(tensor) & (tensor >= 0))
    if bool(bad.any()):
        index = tuple(int(i) for i in bad.nonzero()[0])
        where = index[0] if len(index) == 1 else index
        raise ValueError(
            f"counts[{where}]={tensor[index].item()!r}; counts must be finite and >= 0."
        )
    return tensor


def _class_counts(
    labels: object,
    counts: object,
    num_classes: object,
    smoothing: object,
    *,
    allow_zero: bool = False,
) -> Tensor:
    """Per-class counts in float64, smoothed; check that no class has count 0."""
    if (labels is None) == (counts is None):
        raise TypeError(_labels_or_counts_message(labels is None))
    num_classes = _check_num_classes(num_classes)
    smoothing = _check_smoothing(smoothing)
    if labels is not None:
        label_tensor = _as_labels(labels)
        largest = int(label_tensor.max())
        if num_classes is None:
            num_classes = largest + 1
        elif largest >= num_classes:
            raise ValueError(
                f"labels hold class {largest}, outside [0, {num_classes}) for "
                f"num_classes={num_classes}; raise num_classes to {largest + 1} or fix the "
                "labels."
            )
        class_counts = torch.bincount(label_tensor, minlength=num_classes).to(torch.float64)
    else:
        class_counts = _as_counts(counts)
        if num_classes is not None and num_classes != class_counts.numel():
            raise ValueError(
                f"num_classes={num_classes} does not match the {class_counts.numel()} counts; "
                "pass one count per class, or leave num_classes out."
            )
    class_counts = class_counts + smoothing
    if not allow_zero:
        _check_no_zero_count(class_counts)
    return class_counts


def _check_no_zero_count(class_counts: Tensor, column: int | None = None) -> None:
    zero = (class_counts <= 0).nonzero()
    if zero.numel():
        index = int(zero[0, 0])
        where = f"class {index}" if column is None else f"class {index} of column {column}"
        raise ValueError(
            f"{where} has count 0, so its weight 1/N_c would be infinite (for every scheme, "
            "'effective_number' included). Pass smoothing=1.0 to add one to every count, or "
            "leave the class out (num_classes / counts)."
        )


def _binary_counts(labels: object) -> Tensor:
    """``[n_negative, n_positive]`` of 0/1 labels, ``(2,)`` for 1-D or ``(C, 2)`` for 2-D."""
    tensor = _to_tensor("labels", labels)
    if tensor.is_complex():
        raise TypeError(f"labels must hold 0/1 values, got dtype {tensor.dtype}.")
    if tensor.ndim not in (1, 2) or tensor.numel() == 0:
        raise ValueError(
            f"labels must be non-empty 0/1 labels of shape (N,) or (N, C) (multi-label), got "
            f"shape {tuple(tensor.shape)}."
        )
    tensor = tensor.to(torch.float64)
    bad = (tensor != 0) & (tensor != 1)
    if bool(bad.any()):
        raise ValueError(
            f"labels hold {tensor[bad][0].item()!r}; binary labels must be 0 or 1 (for more "
            "classes use weighted_cross_entropy)."
        )
    positives = tensor.sum(dim=0)
    negatives = tensor.shape[0] - positives
    return torch.stack([negatives, positives], dim=-1)


def _scheme_weights(
    class_counts: Tensor, scheme: str, beta: float, column: int | None = None
) -> Tensor:
    """Weights in float64 from positive per-class counts."""
    _check_no_zero_count(class_counts, column)
    num_classes = class_counts.numel()
    if scheme == "balanced":
        return class_counts.sum() / (num_classes * class_counts)
    if scheme == "inverse":
        raw = 1.0 / class_counts
    elif scheme == "sqrt_inverse":
        raw = 1.0 / torch.sqrt(class_counts)
    elif beta == 0.0:
        raw = torch.ones_like(class_counts)
    else:
        # (1 - beta) / (1 - beta^n), with expm1 for precision when beta is close to 1.
        raw = -math.expm1(math.log(beta)) / -torch.expm1(class_counts * math.log(beta))
    return raw * (num_classes / raw.sum())
