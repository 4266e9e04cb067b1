"""MAMix (Cheng, Mai, Lin 2023): mixup whose label weight bends at the pair's class share."""

from __future__ import annotations

import torch
from torch import Tensor

from imbalance_torch._validation import check_float

from ._pairing import CountAwareMixing, check_common

__all__ = ["MAMix"]

#: How close the breakpoint may come to 0 or 1 (reached only for extreme ``power``).
_EDGE = 1e-12


class MAMix(CountAwareMixing):
    r"""MAMix batch transform: mixup with a label weight piecewise linear in lambda.

    Row :math:`i` is mixed with its partner :math:`j`:
    :math:`\tilde{x} = \lambda x_i + (1 - \lambda) x_j`,
    :math:`\tilde{y} = \lambda_y e_{y_i} + (1 - \lambda_y) e_{y_j}`, where with
    :math:`k_c = n_c^{\,p}` (training count :math:`n_c`, exponent :math:`p`, ``power``) and the
    breakpoint :math:`m = k_j / (k_i + k_j)`

    .. math::
        \lambda_y = \begin{cases}
        \dfrac{\lambda}{2m} & \lambda \le m, \\[4pt]
        1 - \dfrac{1 - \lambda}{2(1 - m)} & \lambda > m,
        \end{cases}

    two straight lines through :math:`(0, 0)`, :math:`(m, \tfrac12)` and :math:`(1, 1)`. Equal
    counts (or ``power=0``) give :math:`m = \tfrac12` and plain mixup labels
    (:math:`\lambda_y = \lambda`). With ``power < 0`` a minority partner :math:`j` has the
    larger :math:`k_j`, so :math:`m > \tfrac12`: row i needs more than half of the features
    before its (majority) class gets half of the label.

    **Source of the rule.** The paper's text was not available to us; this is the rule of the
    authors' reference implementation (ntucllab's imbalanced-DL, ``get_lambda``/``get_k``),
    rewritten for this library's convention that :math:`\lambda` weighs the row's own
    features (the reference mixes ``(1 - lam) * x + lam * x[index]``; substituting
    :math:`\lambda \to 1 - \lambda` gives the two lines above). The reference leaves
    :math:`\lambda = m` undefined (it raises); here both lines give :math:`\tfrac12` there. The
    default ``power=-0.25`` is that implementation's CIFAR-10 configuration value
    (``mamix_ratio``).

    Partners and :math:`\lambda` are pure functions of ``(seed, epoch, batch)`` (NOTE [mixing
    draws] in ``imbalance_torch/mixing/_pairing.py``), one :math:`\lambda` per batch.

    Args:
        class_counts: Training rows per class ``(C,)``, every entry positive.
        alpha: Beta(alpha, alpha) parameter, ``> 0``; 1.0 by default.
        power: Exponent :math:`p` of the counts in the breakpoint, a finite real; negative
            moves the label toward the rarer class of a pair. -0.25 by default.
        seed: Non-negative int seed of the draws.

    Raises:
        TypeError: A bool or non-number ``alpha`` / ``power`` / ``seed``, counts that are not
            numbers.
        ValueError: ``alpha <= 0``, a non-finite ``power``, counts that are not 1-D or hold a
            zero, negative or non-finite entry.

    Example:
        >>> mamix = MAMix(class_counts=[90, 10], seed=0)
        >>> x, y = torch.randn(4, 3), torch.tensor([0, 0, 1, 1])
        >>> features, target = mamix(x, y, epoch=0, batch=0)
        >>> bool(torch.allclose(target.sum(1), torch.ones(4)))
        True

    References:
        H.-T. Cheng, Y.-T. Mai, H.-T. Lin (2023), MAMix: mixup with marginal (class-count)
        adjustments, as benchmarked in ntucllab/imbalanced-DL.
    """

    def __init__(
        self,
        class_counts: object,
        alpha: float = 1.0,
        power: float = -0.25,
        *,
        seed: int = 0,
    ) -> None:
        self.seed, self.alpha, self.class_counts = check_common(seed, alpha, class_counts)
        self.power = check_float(
            "power", power, fix="power is the exponent of the class counts, e.g. -0.25."
        )

    def breakpoint(self, count_own: Tensor, count_partner: Tensor) -> Tensor:
        """The breakpoint :math:`m = k_j / (k_i + k_j)` per row, float64, within
        ``[1e-12, 1 - 1e-12]``."""
        n_i = torch.as_tensor(count_own, dtype=torch.float64)
        n_j = torch.as_tensor(count_partner, dtype=torch.float64)
        # k_j / (k_i + k_j) = sigmoid(p * (log n_j - log n_i)): no overflow for any power;
        # clamped off 0 and 1 so that both lines stay finite for extreme powers.
        m = torch.sigmoid(self.power * (n_j.log() - n_i.log()))
        return m.clamp(_EDGE, 1.0 - _EDGE)

    def label_weight(self, count_own: Tensor, count_partner: Tensor, lam: float) -> Tensor:
        """MAMix's :math:`\\lambda_y` per row (float64 ``(N,)``)."""
        m = self.breakpoint(count_own, count_partner)
        below = lam / (2.0 * m)
        above = 1.0 - (1.0 - lam) / (2.0 * (1.0 - m))
        return torch.where(lam <= m, below, above)

    def __repr__(self) -> str:
        return (
            f"MAMix(num_classes={self.num_classes}, alpha={self.alpha}, power={self.power}, "
            f"seed={self.seed})"
        )
