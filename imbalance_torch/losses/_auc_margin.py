"""AUC-margin loss (AUC-M, Yuan et al. 2021): a min-max square loss with a margin.

``auc_margin_loss`` holds the maths given the auxiliary variables; ``AUCMarginLoss`` holds
``a, b, alpha`` as parameters and calls the same private stage. The positive prevalence
``p`` is counted in each batch, never passed in.
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
    gather_batch,
    gather_enabled,
    require_both_classes,
)

__all__ = ["AUCMarginLoss", "auc_margin_loss"]


def auc_margin_loss(
    input: Tensor,
    target: Tensor,
    a: Tensor,
    b: Tensor,
    alpha: Tensor,
    margin: float = 1.0,
    *,
    gather: bool | None = None,
) -> Tensor:
    r"""AUC-margin (AUC-M) objective of Yuan et al. (2021) for one batch.

    With scores :math:`h = \sigma(x) \in (0, 1)` (the sigmoid of the logit), the batch's
    exact positive share :math:`p = N_+ / N`, margin :math:`m` and auxiliary scalars
    :math:`a, b, \alpha`:

    .. math::
        L = \frac1N \sum_{i} \Big[(1-p)(h_i - a)^2 [y_i{=}1] + p (h_i - b)^2 [y_i{=}0]
            + 2\alpha\big(p(1-p)m + p h_i [y_i{=}0] - (1-p) h_i [y_i{=}1]\big)
            - p(1-p)\alpha^2\Big]

    which equals :math:`p(1-p)\,\big[\bar{(h-a)^2}_+ + \bar{(h-b)^2}_-
    + 2\alpha(m - \bar h_+ + \bar h_-) - \alpha^2\big]` (bars: class means of the batch).
    It is minimised over the model, :math:`a` and :math:`b`, and *maximised* over
    :math:`\alpha \ge 0` (see :class:`AUCMarginLoss` for the optimizer setup).

    **Prevalence.** :math:`p` is counted in the batch itself. LibAUC asks for it
    (``imratio``) and a batch whose class mix differs from the guess gives a wrong, even
    negative, objective (LibAUC issue #10); a :class:`~imbalance_torch.data.BalancedSampler`
    with ``stratify_batches=True`` fixes every batch's counts, so the count is exact.

    Args:
        input: Logits, one per row or two per row (see Shape).
        target: 0/1 labels (1 = the positive class).
        a: Scalar tensor, the positives' score centre (minimised).
        b: Scalar tensor, the negatives' score centre (minimised).
        alpha: Scalar tensor, the dual variable (maximised, kept >= 0).
        margin: :math:`m \ge 0` (1.0, the paper's and LibAUC's default).
        gather: Under ``torch.distributed``, compute the objective on the batches of all
            ranks concatenated (NOTE [gathered ranking batches] in
            ``imbalance_torch/losses/_ranking.py``; :math:`p` then counts all ranks' rows);
            ``None`` (default): on when a process group is initialised.

    Returns:
        The scalar objective (``input``'s dtype).

    Raises:
        TypeError: ``input`` not floating, a bool or string number.
        ValueError: A batch without a positive or without a negative, target values other
            than 0/1, mismatched shapes, ``margin < 0``.

    Shape:
        - input: ``(N,)`` or ``(N, 1)`` (one logit, scored as ``sigmoid(input)``), or
          ``(N, 2)`` (two logits, scored as ``sigmoid(input[:, 1] - input[:, 0])``, the
          softmax probability of class 1).
        - target: ``(N,)``.
        - a, b, alpha: scalars (0-d or one element).
        - output: scalar.

    Example:
        >>> zero = torch.zeros(())
        >>> loss = auc_margin_loss(torch.tensor([0.0, 0.0]), torch.tensor([1, 0]),
        ...                        zero, zero, zero)
        >>> round(loss.item(), 4)  # p = 1/2, h = 1/2: ((1/2)(1/4) + (1/2)(1/4)) / 2
        0.125

    References:
        Z. Yuan, Y. Yan, M. Sonka, T. Yang. Large-scale Robust Deep AUC Maximization: A New
        Surrogate Loss and Empirical Studies on Medical Image Classification. ICCV 2021.
        https://arxiv.org/abs/2012.03173
    """
    margin = check_margin(margin, allow_zero=True)
    for name, value in (("a", a), ("b", b), ("alpha", alpha)):
        if not isinstance(value, Tensor) or value.numel() != 1:
            raise TypeError(
                f"{name} must be a one-element tensor (the auxiliary scalar), got {type(value).__name__}."
            )
    check_gather(gather)
    return _auc_margin_forward(input, target, a, b, alpha, margin, gather)


class AUCMarginLoss(nn.Module):
    r"""AUC-margin loss with its auxiliary variables as parameters; see :func:`auc_margin_loss`.

    .. math::
        \min_{w, a, b} \max_{\alpha \ge 0}\; p(1-p)\big[\overline{(h-a)^2}_+
            + \overline{(h-b)^2}_- + 2\alpha(m - \bar h_+ + \bar h_-) - \alpha^2\big]

    ``a``, ``b`` and ``alpha`` are ``nn.Parameter`` s (zeros at the start, as in LibAUC), so
    they are in the ``state_dict`` and move with ``.to(device)``. **alpha is maximised**:
    give :meth:`primal_parameters` to the model's optimizer and :meth:`dual_parameters` to
    a second optimizer built with ``maximize=True`` (gradient *ascent*), then call
    :meth:`project_dual_` after its step to keep ``alpha >= 0``::

        primal = torch.optim.SGD([*model.parameters(), *criterion.primal_parameters()], lr=0.1)
        dual = torch.optim.SGD(criterion.dual_parameters(), lr=0.1, maximize=True)
        loss = criterion(model(x), y)
        primal.zero_grad(); dual.zero_grad(); loss.backward()
        primal.step(); dual.step(); criterion.project_dual_()

    Giving ``alpha`` to an ordinary (minimising) optimizer drives it away from the maximum
    and the loss towards minus infinity; ``criterion.parameters()`` lists all three, so do
    not pass it whole. The loss has no per-row state.

    Args:
        margin: :math:`m \ge 0` (1.0).
        gather: Gather the batches of all DDP ranks (``None``: when a process group is
            initialised).

    Example:
        >>> criterion = AUCMarginLoss()
        >>> [name for name, _ in criterion.named_parameters()]
        ['a', 'b', 'alpha']

    References:
        Z. Yuan, Y. Yan, M. Sonka, T. Yang. Large-scale Robust Deep AUC Maximization: A New
        Surrogate Loss and Empirical Studies on Medical Image Classification. ICCV 2021.
        https://arxiv.org/abs/2012.03173
    """

    def __init__(self, margin: float = 1.0, *, gather: bool | None = None) -> None:
        super().__init__()
        self.gather = check_gather(gather)
        self.margin = check_margin(margin, allow_zero=True)
        self.a = nn.Parameter(torch.zeros(()))
        self.b = nn.Parameter(torch.zeros(()))
        self.alpha = nn.Parameter(torch.zeros(()))

    def forward(self, input: Tensor, target: Tensor, index: Tensor | None = None) -> Tensor:
        """Return the AUC-M objective of ``input`` logits against ``target``.

        ``index`` (row ids) is checked for shape and sign and otherwise unused (the loss has
        no per-row state); it is accepted so that one training step calls every ranking loss
        the same way.
        """
        if index is not None:
            check_index(index, binary_scores(input).shape[0], torch.iinfo(torch.int64).max)
        return _auc_margin_forward(
            input, target, self.a, self.b, self.alpha, self.margin, self.gather
        )

    def primal_parameters(self) -> list[nn.Parameter]:
        """``[a, b]``: minimised, with the model's parameters."""
        return [self.a, self.b]

    def dual_parameters(self) -> list[nn.Parameter]:
        """``[alpha]``: maximised (an optimizer with ``maximize=True``), then projected."""
        return [self.alpha]

    @torch.no_grad()
    def project_dual_(self) -> None:
        """Project ``alpha`` onto its feasible set ``alpha >= 0`` (after the dual step)."""
        self.alpha.clamp_(min=0.0)

    def extra_repr(self) -> str:
        return f"margin={self.margin}"


def _auc_margin_forward(
    input: Tensor,
    target: Tensor,
    a: Tensor,
    b: Tensor,
    alpha: Tensor,
    margin: float,
    gather: bool | None,
) -> Tensor:
    """Check the batch, count its prevalence and return the AUC-M objective."""
    logits = binary_scores(input)
    positive = binary_targets(target, logits.shape[0]).to(logits.device)
    if gather_enabled(gather):
        logits, positive, _ = gather_batch(logits, positive, None)
    num_pos, _ = require_both_classes(positive)
    p = num_pos / positive.numel()
    score = torch.sigmoid(logits)
    pos = positive.to(score.dtype)
    neg = 1.0 - pos
    a, b, alpha = (value.reshape(()).to(score.dtype) for value in (a, b, alpha))
    terms = (
        (1.0 - p) * (score - a) ** 2 * pos
        + p * (score - b) ** 2 * neg
        + 2.0 * alpha * (p * (1.0 - p) * margin + p * score * neg - (1.0 - p) * score * pos)
        - p * (1.0 - p) * alpha**2
    )
    return terms.mean()
