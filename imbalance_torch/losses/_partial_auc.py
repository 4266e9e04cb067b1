"""One-way partial-AUC loss (false-positive rates at most ``max_fpr``): top-k and KL-DRO forms.

``partial_auc_loss`` holds the maths (the DRO form updates the state tensor it is given in
place); ``PartialAUCLoss`` owns the state as a buffer and calls the same private stage.
"""

from __future__ import annotations

import math

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
    check_positive,
    gather_batch,
    gather_enabled,
    log_ewm,
    moving_average_,
    require_both_classes,
    squared_hinge,
)

__all__ = ["PartialAUCLoss", "partial_auc_loss"]

FORMS = ("topk", "dro")
_GAMMA_HINT = "gamma is the moving average's rate (1 keeps only the current batch); pass gamma=0.9."
_FPR_HINT = (
    "max_fpr is the largest false-positive rate kept (the share of negatives that may be "
    "flagged; 0.05 keeps the hardest 5 %); pass a value such as max_fpr=0.1."
)


def partial_auc_loss(
    input: Tensor,
    target: Tensor,
    index: Tensor | None = None,
    log_u_pos: Tensor | None = None,
    form: str = "topk",
    max_fpr: float | None = None,
    tau: float = 1.0,
    margin: float = 1.0,
    gamma: float = 0.9,
    *,
    gather: bool | None = None,
) -> Tensor:
    r"""One-way partial-AUC loss over false-positive rates in ``[0, max_fpr]``.

    With scores :math:`h` and the pairwise surrogate
    :math:`\ell_{ij} = \max(m - (h_i - h_j), 0)^2` (positive :math:`i`, negative :math:`j`):

    ``form="topk"`` (exact CVaR form): the hardest :math:`k = \lceil \beta N_- \rceil`
    negatives of the batch (highest scores; :math:`\beta` = ``max_fpr``) are the ones a
    threshold at false-positive rate :math:`\beta` lets through, and

    .. math::
        L = \frac{1}{N_+ k} \sum_{i: y_i = 1} \sum_{j \in \operatorname{top}_k(\{h_j: y_j = 0\})}
            \ell_{ij}

    ``form="dro"`` (KL-DRO, SOPA-s of Zhu et al. 2022): each positive weighs the negatives
    by a softmax of their surrogate at temperature :math:`\tau` (small :math:`\tau` nears the
    top-1 negative, large :math:`\tau` the mean over negatives), the softmax's normaliser a
    moving average :math:`u_{r_i}` per positive row id :math:`r_i` kept in log space:

    .. math::
        u_{r_i} \leftarrow (1-\gamma) u_{r_i} + \gamma \tfrac{1}{N_-}
            \textstyle\sum_{j: y_j = 0} e^{\ell_{ij}/\tau}, \qquad
        L = \frac{1}{N_+ N_-} \sum_{i: y_i = 1} \sum_{j: y_j = 0}
            \frac{e^{\ell_{ij}/\tau}}{u_{r_i}} \ell_{ij}

    with the weight :math:`e^{\ell_{ij}/\tau} / u_{r_i}` held constant (its gradient is the
    stochastic gradient of :math:`\frac{\tau}{N_+}\sum_i \log u_{r_i}`, the KL-DRO objective).
    The DRO form has no ``max_fpr``: ``tau`` sets how hard the negatives it weighs are.

    **Row ids** (DRO form): as for :func:`average_precision_loss`, a synthetic row passes its
    base row's id and a row served twice updates its state twice, in batch order. The top-k
    form has no state; ``index``, if given, is checked against nothing and not used, so that
    one training step can call every ranking loss the same way.

    Args:
        input: Logits, one per row or two per row (see Shape).
        target: 0/1 labels (1 = the positive class).
        index: Row ids ``(N,)`` in ``[0, len(log_u_pos))``; required for ``form="dro"``.
        log_u_pos: DRO state ``(num_rows,)``, :math:`\log u`; ``-inf`` before the first
            step. Updated in place. Required for ``form="dro"``, refused for ``"topk"``.
        form: ``"topk"`` or ``"dro"``.
        max_fpr: :math:`\beta \in (0, 1]`, required for ``form="topk"``, refused for
            ``"dro"``. ``max_fpr=1`` is the full AUC's pairwise squared-hinge loss.
        tau: DRO temperature :math:`\tau > 0` (1.0, LibAUC's default); ``form="dro"`` only.
        margin: :math:`m \ge 0` of the squared hinge (1.0).
        gamma: DRO moving-average rate in (0, 1] (0.9, LibAUC's default).
        gather: Under ``torch.distributed``, compute the loss on the batches of all ranks
            concatenated (NOTE [gathered ranking batches] in
            ``imbalance_torch/losses/_ranking.py``); ``None`` (default): on when a process
            group is initialised.

    Returns:
        The scalar loss (``input``'s dtype).

    Raises:
        TypeError: ``input`` not floating, ``index`` not integer, a bool or string number.
        ValueError: A batch without a positive or without a negative, an id outside the
            state, target values other than 0/1, mismatched shapes, ``max_fpr`` outside
            (0, 1] or given to the wrong form, ``tau <= 0``, ``margin < 0``, ``gamma``
            outside (0, 1], an unknown ``form``.

    Shape:
        - input: ``(N,)`` or ``(N, 1)`` (one logit, the score), or ``(N, 2)`` (two logits,
          scored as ``input[:, 1] - input[:, 0]``).
        - target, index: ``(N,)``.
        - log_u_pos: ``(num_rows,)``.
        - output: scalar.

    Example:
        >>> logits = torch.tensor([2.0, -1.0, 0.5, 1.0])
        >>> loss = partial_auc_loss(logits, torch.tensor([1, 0, 0, 1]), max_fpr=0.5)
        >>> round(loss.item(), 4)  # hardest negative 0.5 only: (max(1-1.5, 0)^2 + (1-0.5)^2) / 2
        0.125

    References:
        D. Zhu, G. Li, B. Wang, X. Wu, T. Yang. When AUC meets DRO: Optimizing Partial AUC for
        Deep Learning with Non-Convex Convergence Guarantee. ICML 2022.
        https://arxiv.org/abs/2203.00176
    """
    form, max_fpr, tau, margin, gamma = _check_options(form, max_fpr, tau, margin, gamma)
    if form == "dro":
        if log_u_pos is None or index is None:
            raise ValueError(
                "form='dro' keeps one moving average per positive row: pass index (the row "
                "ids) and log_u_pos (a (num_rows,) tensor filled with -inf), or use "
                "PartialAUCLoss(num_rows=..., form='dro'), which holds it."
            )
        if (
            not isinstance(log_u_pos, Tensor)
            or not log_u_pos.is_floating_point()
            or log_u_pos.ndim != 1
        ):
            raise TypeError(
                f"log_u_pos must be a 1-D floating tensor (num_rows,), got {type(log_u_pos).__name__}."
            )
    elif log_u_pos is not None:
        raise ValueError(
            "log_u_pos is the state of form='dro'; the top-k form has none, so drop it."
        )
    check_gather(gather)
    return _partial_auc_forward(
        input, target, index, log_u_pos, form, max_fpr, tau, margin, gamma, gather
    )


class PartialAUCLoss(nn.Module):
    r"""One-way partial-AUC loss as a module; see :func:`partial_auc_loss`.

    .. math::
        L_{topk} = \frac{1}{N_+ k} \sum_{i: y_i = 1} \sum_{j \in \operatorname{top}_k}
            \max(m - (h_i - h_j), 0)^2, \quad k = \lceil \beta N_- \rceil

    ``form="dro"`` holds the buffer ``log_u_pos`` (``num_rows``, float32, ``-inf`` until a
    row is seen) in the ``state_dict``, so a resumed fit continues exactly; it is updated on
    every call (call it on training batches only). ``form="topk"`` has no state and needs no
    ``num_rows``.

    Args:
        num_rows: State size for ``form="dro"`` (the number of training rows); ``None`` for
            ``"topk"``.
        form: ``"topk"`` (default) or ``"dro"``.
        max_fpr: :math:`\beta \in (0, 1]`, required for ``"topk"``.
        tau: DRO temperature > 0 (1.0).
        margin: Squared-hinge margin >= 0 (1.0).
        gamma: DRO moving-average rate in (0, 1] (0.9).
        gather: Gather the batches of all DDP ranks (``None``: when a process group is
            initialised).

    Example:
        >>> criterion = PartialAUCLoss(max_fpr=0.5)
        >>> round(criterion(torch.tensor([2.0, -1.0, 0.5, 1.0]),
        ...                 torch.tensor([1, 0, 0, 1])).item(), 4)
        0.125

    References:
        D. Zhu, G. Li, B. Wang, X. Wu, T. Yang. When AUC meets DRO: Optimizing Partial AUC for
        Deep Learning with Non-Convex Convergence Guarantee. ICML 2022.
        https://arxiv.org/abs/2203.00176
    """

    log_u_pos: Tensor | None

    def __init__(
        self,
        num_rows: int | None = None,
        form: str = "topk",
        max_fpr: float | None = None,
        tau: float = 1.0,
        margin: float = 1.0,
        gamma: float = 0.9,
        *,
        gather: bool | None = None,
    ) -> None:
        super().__init__()
        self.gather = check_gather(gather)
        self.form, self.max_fpr, self.tau, self.margin, self.gamma = _check_options(
            form, max_fpr, tau, margin, gamma
        )
        if self.form == "dro":
            if num_rows is None:
                raise ValueError(
                    "form='dro' keeps one moving average per training row; pass num_rows (the "
                    "number of training rows, or the largest row id + 1)."
                )
            self.num_rows: int | None = check_num_rows(num_rows)
            self.register_buffer("log_u_pos", torch.full((self.num_rows,), -math.inf))
        else:
            if num_rows is not None:
                raise ValueError(
                    f"num_rows={num_rows!r} sizes the state of form='dro'; the top-k form has "
                    "no state, so drop num_rows (or pass form='dro')."
                )
            self.num_rows = None
            self.log_u_pos = None

    def forward(self, input: Tensor, target: Tensor, index: Tensor | None = None) -> Tensor:
        """Return the loss of ``input`` logits against ``target`` (``index``: row ids)."""
        return _partial_auc_forward(
            input,
            target,
            index,
            self.log_u_pos,
            self.form,
            self.max_fpr,
            self.tau,
            self.margin,
            self.gamma,
            self.gather,
        )

    def extra_repr(self) -> str:
        if self.form == "dro":
            return f"form='dro', num_rows={self.num_rows}, tau={self.tau}, margin={self.margin}, gamma={self.gamma}"
        return f"form='topk', max_fpr={self.max_fpr}, margin={self.margin}"


def _check_options(
    form: object, max_fpr: object, tau: object, margin: object, gamma: object
) -> tuple[str, float | None, float, float, float]:
    if not isinstance(form, str):
        raise TypeError(
            f"form must be a string, 'topk' or 'dro'; got {form!r} of type {type(form).__name__}."
        )
    if form not in FORMS:
        raise ValueError(
            f"form={form!r} is not 'topk' or 'dro'; pass 'topk' for the exact top-k (CVaR) form "
            "or 'dro' for the KL-DRO form with a temperature."
        )
    checked_tau = check_positive("tau", tau, hint="tau is the DRO temperature; pass tau=1.0.")
    checked_margin = check_margin(margin, allow_zero=True)
    checked_gamma = check_open_unit("gamma", gamma, hint=_GAMMA_HINT)
    if form == "dro":
        if max_fpr is not None:
            raise ValueError(
                f"max_fpr={max_fpr!r} is for form='topk'; the DRO form weighs negatives by tau "
                "instead (smaller tau, harder negatives), so drop max_fpr or pass form='topk'."
            )
        return form, None, checked_tau, checked_margin, checked_gamma
    if max_fpr is None:
        raise ValueError(f"form='topk' needs max_fpr; {_FPR_HINT}")
    return (
        form,
        check_open_unit("max_fpr", max_fpr, hint=_FPR_HINT),
        checked_tau,
        checked_margin,
        checked_gamma,
    )


def _partial_auc_forward(
    input: Tensor,
    target: Tensor,
    index: Tensor | None,
    log_u_pos: Tensor | None,
    form: str,
    max_fpr: float | None,
    tau: float,
    margin: float,
    gamma: float,
    gather: bool | None,
) -> Tensor:
    """Check the batch and return the top-k or the DRO loss."""
    scores = binary_scores(input)
    num = scores.shape[0]
    positive = binary_targets(target, num).to(scores.device)
    if form == "dro":
        if index is None:
            raise ValueError("form='dro' needs index, the row ids of the batch (one per row).")
        assert log_u_pos is not None
        index = check_index(index, num, log_u_pos.shape[0]).to(scores.device)
    elif index is not None:
        index = check_index(index, num, torch.iinfo(torch.int64).max)
    if gather_enabled(gather):
        scores, positive, index = gather_batch(scores, positive, index)
    num_pos, num_neg = require_both_classes(positive)
    pos_scores, neg_scores = scores[positive], scores[~positive]
    if form == "topk":
        assert max_fpr is not None
        k = max(1, math.ceil(max_fpr * num_neg - 1e-9))  # 0.3 * 10 is 3.0000000000000004
        hardest = torch.topk(neg_scores, k, sorted=False).values
        return squared_hinge(pos_scores.unsqueeze(1) - hardest.unsqueeze(0), margin).mean()
    assert log_u_pos is not None and index is not None
    surrogate = squared_hinge(pos_scores.unsqueeze(1) - neg_scores.unsqueeze(0), margin)  # (P, M)
    scaled = surrogate.detach() / tau
    batch_log_mean = torch.logsumexp(scaled, dim=1) - math.log(num_neg)
    used = moving_average_(log_u_pos, index[positive], batch_log_mean, log_ewm(gamma)).to(
        scores.dtype
    )
    weights = torch.exp(scaled - used.unsqueeze(1))
    return (weights * surrogate).mean()
