"""Average-precision loss (SOAP, Qi et al. 2021) with per-row moving-average state.

``average_precision_loss`` holds the maths and updates the state tensors it is given in place
(as ``F.batch_norm`` updates its running statistics); ``AveragePrecisionLoss`` owns the state
as buffers and calls the same private stage.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from ._ranking import (
    binary_scores,
    binary_targets,
    check_gather,
    check_index,
    check_margin,
    check_num_rows,
    check_open_unit,
    ewm,
    gather_batch,
    gather_enabled,
    moving_average_,
    require_both_classes,
    squared_hinge,
)

__all__ = ["AveragePrecisionLoss", "average_precision_loss"]

_GAMMA_HINT = "gamma is the moving averages' rate (1 keeps only the current batch); pass gamma=0.9."


def average_precision_loss(
    input: Tensor,
    target: Tensor,
    index: Tensor,
    u_all: Tensor,
    u_pos: Tensor,
    margin: float = 1.0,
    gamma: float = 0.9,
    *,
    gather: bool | None = None,
) -> Tensor:
    r"""SOAP average-precision loss; updates ``u_all`` and ``u_pos`` in place.

    With scores :math:`h`, the squared-hinge surrogate of "row :math:`j` ranks at or above
    positive :math:`i`" is :math:`\ell_{ij} = \max(m - (h_i - h_j), 0)^2`. For every positive
    :math:`i` of the batch (row id :math:`r_i`) the moving averages of its rank statistics are

    .. math::
        u^{all}_{r_i} \leftarrow (1-\gamma) u^{all}_{r_i}
            + \gamma \tfrac{1}{N} \textstyle\sum_j \ell_{ij}, \qquad
        u^{pos}_{r_i} \leftarrow (1-\gamma) u^{pos}_{r_i}
            + \gamma \tfrac{1}{N} \textstyle\sum_j y_j \ell_{ij}

    and the loss is the one whose gradient is SOAP's estimate of the gradient of
    :math:`-\frac{1}{N_+}\sum_i u^{pos}_{r_i} / u^{all}_{r_i}` (the surrogate of average
    precision, negated), the weights :math:`p_{ij}` held constant:

    .. math::
        L = \frac{1}{N_+ N} \sum_{i: y_i = 1} \sum_j p_{ij} \ell_{ij}, \qquad
        p_{ij} = \frac{u^{pos}_{r_i} - y_j u^{all}_{r_i}}{(u^{all}_{r_i})^2}

    Its value is a gradient carrier, not the AP: it can be negative, and only its gradient
    means something (report :func:`sklearn.metrics.average_precision_score` for AP).

    **Row ids.** ``index`` gives each row's id in ``[0, num_rows)``. A synthetic row passes
    its base row's id (``SMOTEDataset.provenance(batch_index)["base_id"]``): the state
    estimates where a real positive ranks, and a synthetic row beside it shares those
    statistics. A row served twice updates its state twice (like LibAUC), in batch order
    (NOTE [row ids of the ranking losses] in ``imbalance_torch/losses/_ranking.py``). Only
    the positives' state is read or written.

    Args:
        input: Logits, one per row or two per row (see Shape).
        target: 0/1 labels (1 = the positive class), bool, integer or float.
        index: Row ids, an integer tensor ``(N,)`` with values in ``[0, len(u_all))``.
        u_all: State ``(num_rows,)``, the moving average of :math:`\frac1N\sum_j \ell_{ij}`;
            zeros before the first step. Updated in place.
        u_pos: State ``(num_rows,)``, the moving average of
            :math:`\frac1N\sum_j y_j \ell_{ij}`; zeros before the first step. Updated in place.
        margin: :math:`m > 0` of the squared hinge (1.0, LibAUC's default).
        gamma: Moving-average rate in (0, 1] (0.9, LibAUC's default; 1 uses only the batch).
        gather: Under ``torch.distributed``, compute the loss on the batches of all ranks
            concatenated (scores gathered with gradients; NOTE [gathered ranking batches] in
            ``imbalance_torch/losses/_ranking.py``). ``None`` (default): on when a process
            group is initialised. ``True`` without one is refused.

    Returns:
        The scalar loss (``input``'s dtype).

    Raises:
        TypeError: ``input`` not floating, ``index`` not integer, a bool or string number.
        ValueError: A batch without a positive, an id outside ``[0, num_rows)``, target
            values other than 0/1, mismatched shapes, ``margin <= 0``, ``gamma`` outside
            (0, 1].

    Shape:
        - input: ``(N,)`` or ``(N, 1)`` (one logit, the score), or ``(N, 2)`` (two logits,
          scored as ``input[:, 1] - input[:, 0]``).
        - target, index: ``(N,)`` (target also ``(N, 1)``).
        - u_all, u_pos: ``(num_rows,)``.
        - output: scalar.

    Example:
        >>> u_all, u_pos = torch.zeros(4), torch.zeros(4)
        >>> logits = torch.tensor([2.0, -1.0, 0.5, 0.0])
        >>> loss = average_precision_loss(
        ...     logits, torch.tensor([1, 0, 1, 0]), torch.arange(4), u_all, u_pos)
        >>> bool(u_all[1] == 0)  # a negative's state is never touched
        True

    References:
        Q. Qi, Y. Luo, Z. Xu, S. Ji, T. Yang. Stochastic Optimization of Areas Under
        Precision-Recall Curves with Provable Convergence. NeurIPS 2021.
        https://arxiv.org/abs/2104.08736 ;
        Z. Yuan, D. Zhu, Z.-H. Qiu, G. Li, X. Wang, T. Yang. LibAUC: A Deep Learning Library
        for X-Risk Optimization. KDD 2023. https://arxiv.org/abs/2306.03065
    """
    margin = check_margin(margin, allow_zero=False)
    gamma = check_open_unit("gamma", gamma, hint=_GAMMA_HINT)
    _check_state(u_all, u_pos)
    check_gather(gather)
    return _average_precision_forward(input, target, index, u_all, u_pos, margin, gamma, gather)


class AveragePrecisionLoss(nn.Module):
    r"""SOAP average-precision loss with its state as buffers; see :func:`average_precision_loss`.

    .. math::
        L = \frac{1}{N_+ N} \sum_{i: y_i = 1} \sum_j
            \frac{u^{pos}_{r_i} - y_j u^{all}_{r_i}}{(u^{all}_{r_i})^2}
            \max(m - (h_i - h_j), 0)^2

    The buffers ``u_all`` and ``u_pos`` (``num_rows`` each, float32; ``.double()`` makes
    them float64) are in the ``state_dict``, so a fit resumed from a checkpoint continues
    exactly. The state is updated on every call, in training and in evaluation mode alike
    (call it only on training batches).

    Args:
        num_rows: State size: the number of training rows (the largest row id + 1).
        margin: :math:`m > 0` (1.0).
        gamma: Moving-average rate in (0, 1] (0.9).
        gather: Gather the batches of all DDP ranks (``None``: when a process group is
            initialised); see :func:`average_precision_loss`.

    Example:
        >>> criterion = AveragePrecisionLoss(num_rows=4)
        >>> logits = torch.tensor([2.0, -1.0, 0.5, 0.0], requires_grad=True)
        >>> criterion(logits, torch.tensor([1, 0, 1, 0]), torch.arange(4)).backward()
        >>> sorted(criterion.state_dict())
        ['u_all', 'u_pos']

    References:
        Q. Qi, Y. Luo, Z. Xu, S. Ji, T. Yang. Stochastic Optimization of Areas Under
        Precision-Recall Curves with Provable Convergence. NeurIPS 2021.
        https://arxiv.org/abs/2104.08736
    """

    u_all: Tensor
    u_pos: Tensor

    def __init__(
        self, num_rows: int, margin: float = 1.0, gamma: float = 0.9, *, gather: bool | None = None
    ) -> None:
        super().__init__()
        self.gather = check_gather(gather)
        self.num_rows = check_num_rows(num_rows)
        self.margin = check_margin(margin, allow_zero=False)
        self.gamma = check_open_unit("gamma", gamma, hint=_GAMMA_HINT)
        self.register_buffer("u_all", torch.zeros(self.num_rows))
        self.register_buffer("u_pos", torch.zeros(self.num_rows))

    def forward(self, input: Tensor, target: Tensor, index: Tensor) -> Tensor:
        """Return the loss of ``input`` logits against ``target``, updating the rows ``index``."""
        return _average_precision_forward(
            input, target, index, self.u_all, self.u_pos, self.margin, self.gamma, self.gather
        )

    def extra_repr(self) -> str:
        return f"num_rows={self.num_rows}, margin={self.margin}, gamma={self.gamma}"


def _check_state(u_all: object, u_pos: object) -> None:
    for name, state in (("u_all", u_all), ("u_pos", u_pos)):
        if not isinstance(state, Tensor) or not state.is_floating_point() or state.ndim != 1:
            raise TypeError(
                f"{name} must be a 1-D floating tensor (num_rows,), got {type(state).__name__}."
            )
    if u_all.shape != u_pos.shape:  # type: ignore[union-attr]
        raise ValueError(
            f"u_all has shape {tuple(u_all.shape)} but u_pos {tuple(u_pos.shape)};"  # type: ignore[union-attr]
            " pass two state tensors of the same size (num_rows,)."
        )


def _average_precision_forward(
    input: Tensor,
    target: Tensor,
    index: Tensor,
    u_all: Tensor,
    u_pos: Tensor,
    margin: float,
    gamma: float,
    gather: bool | None,
) -> Tensor:
    """Check the batch, update the positives' state, return the SOAP loss."""
    scores = binary_scores(input)
    positive = binary_targets(target, scores.shape[0]).to(scores.device)
    index = check_index(index, scores.shape[0], u_all.shape[0]).to(scores.device)
    if gather_enabled(gather):
        scores, positive, gathered = gather_batch(scores, positive, index)
        assert gathered is not None
        index = gathered
    require_both_classes(positive, need_negative=False)
    pos_scores = scores[positive]
    surrogate = squared_hinge(pos_scores.unsqueeze(1) - scores.unsqueeze(0), margin)  # (P, N)
    pairs = surrogate.detach()
    labels = positive.to(scores.dtype)
    pos_index = index[positive]
    used_all = moving_average_(u_all, pos_index, pairs.mean(dim=1), ewm(gamma)).to(scores.dtype)
    used_pos = moving_average_(u_pos, pos_index, (pairs * labels).mean(dim=1), ewm(gamma)).to(
        scores.dtype
    )
    weights = (
        used_pos.unsqueeze(1) - used_all.unsqueeze(1) * labels.unsqueeze(0)
    ) / used_all.unsqueeze(1) ** 2
    return (weights * surrogate).mean()
