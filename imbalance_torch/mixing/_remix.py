"""Remix (Chou et al., 2020): mixup whose label goes wholly to the minority class of a pair."""

from __future__ import annotations

import torch
from torch import Tensor

from imbalance_torch._validation import check_float

from ._pairing import CountAwareMixing, check_common

__all__ = ["Remix"]


class Remix(CountAwareMixing):
    r"""Remix batch transform: mixup with labels that favour the minority class of each pair.

    Row :math:`i` (class :math:`y_i`, training count :math:`n_i`) is mixed with its partner
    :math:`j`: features :math:`\tilde{x} = \lambda x_i + (1 - \lambda) x_j` with
    :math:`\lambda \sim \operatorname{Beta}(\alpha, \alpha)`, label
    :math:`\tilde{y} = \lambda_y e_{y_i} + (1 - \lambda_y) e_{y_j}` with

    .. math::
        \lambda_y = \begin{cases}
        0 & \text{if } n_i / n_j \ge \kappa \text{ and } \lambda < \tau, \\
        1 & \text{if } n_i / n_j \le 1 / \kappa \text{ and } 1 - \lambda < \tau, \\
        \lambda & \text{otherwise.}
        \end{cases}

    So when row i's class is at least :math:`\kappa` times as frequent as j's and j's
    features weigh more than :math:`1 - \tau`, the label is wholly j's (the minority class);
    symmetrically for a minority row i. Where both cases hold (only possible with
    ``kappa=1``, equal counts and ``tau > 0.5``) the first one wins, in the paper's
    order. Ratios are compared as :math:`n_i \ge \kappa n_j` and :math:`\kappa n_i \le n_j`.

    Partners and :math:`\lambda` are pure functions of ``(seed, epoch, batch)`` (NOTE [mixing
    draws] in ``imbalance_torch/mixing/_pairing.py``): every row is mixed with another row of
    the batch along one random cycle, never with its neighbour in batch order, and one
    :math:`\lambda` is drawn per batch, as in the paper.

    Args:
        class_counts: Training rows per class ``(C,)`` (e.g. ``torch.bincount(train_labels)``),
            every entry positive; a tensor, array or list.
        alpha: Beta(alpha, alpha) parameter, ``> 0``; 1.0 (uniform lambda) by default.
        kappa: Count ratio from which a pair's label goes to the minority class, ``>= 1``
            (3 in the paper).
        tau: Threshold on the minority row's feature weight, in ``[0, 1]`` (0.5 in the paper);
            0 turns the rule off (plain mixup labels).
        seed: Non-negative int seed of the draws.

    Raises:
        TypeError: A bool or non-number ``alpha`` / ``kappa`` / ``tau`` / ``seed``, counts that
            are not numbers.
        ValueError: ``alpha <= 0``, ``kappa < 1``, ``tau`` outside [0, 1], counts that are not
            1-D or hold a zero, negative or non-finite entry.

    Example:
        >>> remix = Remix(class_counts=[90, 10], seed=0)
        >>> x, y = torch.randn(4, 3), torch.tensor([0, 0, 1, 1])
        >>> features, target = remix(x, y, epoch=0, batch=0)
        >>> features.shape, target.shape, bool(torch.allclose(target.sum(1), torch.ones(4)))
        (torch.Size([4, 3]), torch.Size([4, 2]), True)

    References:
        H.-P. Chou, S.-C. Chang, J.-Y. Pan, W. Wei, D.-C. Juan. Remix: Rebalanced Mixup.
        ECCV 2020 Workshops. https://arxiv.org/abs/2007.03943
    """

    def __init__(
        self,
        class_counts: object,
        alpha: float = 1.0,
        kappa: float = 3.0,
        tau: float = 0.5,
        *,
        seed: int = 0,
    ) -> None:
        self.seed, self.alpha, self.class_counts = check_common(seed, alpha, class_counts)
        self.kappa = check_float(
            "kappa",
            kappa,
            minimum=1.0,
            fix="kappa is the count ratio n_i/n_j from which a pair's label goes to the "
            "minority class (the paper uses 3).",
        )
        self.tau = check_float(
            "tau",
            tau,
            minimum=0.0,
            maximum=1.0,
            fix="tau bounds the minority row's feature weight (the paper uses 0.5; 0 gives "
            "plain mixup labels).",
        )

    def label_weight(self, count_own: Tensor, count_partner: Tensor, lam: float) -> Tensor:
        """Remix's :math:`\\lambda_y` per row from the counts of its class and its partner's.

        Args:
            count_own: :math:`n_i` per row.
            count_partner: :math:`n_j` per row.
            lam: The batch's :math:`\\lambda`.

        Returns:
            float64 ``(N,)``: 0, 1 or ``lam`` per row.
        """
        n_i = torch.as_tensor(count_own, dtype=torch.float64)
        n_j = torch.as_tensor(count_partner, dtype=torch.float64)
        to_partner = (n_i >= self.kappa * n_j) & (lam < self.tau)
        to_own = (self.kappa * n_i <= n_j) & (1.0 - lam < self.tau)
        weight = torch.full_like(n_i, lam)
        weight = torch.where(to_own, torch.ones_like(weight), weight)
        return torch.where(to_partner, torch.zeros_like(weight), weight)

    def __repr__(self) -> str:
        return (
            f"Remix(num_classes={self.num_classes}, alpha={self.alpha}, kappa={self.kappa}, "
            f"tau={self.tau}, seed={self.seed})"
        )
