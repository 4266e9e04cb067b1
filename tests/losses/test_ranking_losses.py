"""Ranking losses (average precision, partial AUC, AUC margin): values from the papers'
formulas written out here, ordering, gradients, state and resume, refused batches."""

from __future__ import annotations

import math

import pytest
import torch
from sklearn.metrics import average_precision_score

from imbalance_torch.losses import (
    AUCMarginLoss,
    AveragePrecisionLoss,
    PartialAUCLoss,
    auc_margin_loss,
    average_precision_loss,
    partial_auc_loss,
)


def hinge2(margin: float, d: float) -> float:
    return max(margin - d, 0.0) ** 2


# ------------------------------------------------------------------------- average precision


def test_ap_value_by_hand() -> None:
    # scores h = [2, -1, 0.5, 0], y = [1, 0, 1, 0], m = 1, gamma = 0.9, zero state.
    h, y, gamma = [2.0, -1.0, 0.5, 0.0], [1, 0, 1, 0], 0.9
    ell = {i: [hinge2(1.0, h[i] - hj) for hj in h] for i in (0, 2)}
    assert ell[0] == [1.0, 0.0, 0.0, 0.0] and ell[2] == [6.25, 0.0, 1.0, 0.25]
    u_all = {i: gamma * sum(ell[i]) / 4 for i in (0, 2)}  # 0.225, 1.6875
    u_pos = {
        i: gamma * sum(e * yj for e, yj in zip(ell[i], y)) / 4 for i in (0, 2)
    }  # 0.225, 1.63125
    total = sum(
        (u_pos[i] - y[j] * u_all[i]) / u_all[i] ** 2 * ell[i][j] for i in (0, 2) for j in range(4)
    )
    expected = total / (2 * 4)
    criterion = AveragePrecisionLoss(num_rows=6).double()
    index = torch.tensor([0, 1, 2, 3])
    loss = criterion(torch.tensor(h, dtype=torch.float64), torch.tensor(y), index)
    assert loss.item() == pytest.approx(expected, rel=1e-12)
    assert criterion.u_all.tolist() == pytest.approx([0.225, 0.0, 1.6875, 0.0, 0.0, 0.0])
    assert criterion.u_pos.tolist() == pytest.approx([0.225, 0.0, 1.63125, 0.0, 0.0, 0.0])


def test_ap_functional_equals_module_and_two_logits() -> None:
    logits = torch.randn(16, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    target = torch.tensor([1, 0] * 8)
    index = torch.arange(16)
    u_all, u_pos = torch.zeros(16, dtype=torch.float64), torch.zeros(16, dtype=torch.float64)
    functional = average_precision_loss(logits, target, index, u_all, u_pos, margin=0.5, gamma=0.7)
    module = AveragePrecisionLoss(16, margin=0.5, gamma=0.7).double()
    score = logits[:, 1] - logits[:, 0]
    assert module(score.unsqueeze(1), target, index).item() == pytest.approx(
        functional.item(), rel=1e-12
    )
    assert torch.equal(module.u_all, u_all) and torch.equal(module.u_pos, u_pos)


def test_ap_second_step_uses_moving_average() -> None:
    criterion = AveragePrecisionLoss(num_rows=2, gamma=0.5).double()
    target, index = torch.tensor([1, 0]), torch.tensor([0, 1])
    criterion(torch.tensor([0.0, 0.0], dtype=torch.float64), target, index)  # l_00 = 1, l_01 = 1
    criterion(torch.tensor([0.0, 3.0], dtype=torch.float64), target, index)  # l_00 = 1, l_01 = 16
    # u_all: 0.5 * 1 = 0.5, then 0.5 * 0.5 + 0.5 * (1 + 16) / 2 = 4.5; u_pos: 0.25, then 0.375.
    assert criterion.u_all[0].item() == pytest.approx(4.5)
    assert criterion.u_pos[0].item() == pytest.approx(0.375)


def test_ap_repeated_id_updates_twice_in_batch_order() -> None:
    # Two positives share row id 0: first (h=0) then (h=1), one negative at h=0, m=1, gamma=0.5.
    criterion = AveragePrecisionLoss(num_rows=3, gamma=0.5).double()
    criterion(
        torch.tensor([0.0, 1.0, 0.0], dtype=torch.float64),
        torch.tensor([1, 1, 0]),
        torch.tensor([0, 0, 2]),
    )
    first = (1.0 + 4.0 + 1.0) / 3  # l to h = [0, 1, 0] from h_i = 0
    second = (0.0 + 1.0 + 0.0) / 3  # from h_i = 1
    expected = 0.5 * (0.5 * first) + 0.5 * second
    assert criterion.u_all[0].item() == pytest.approx(expected)
    assert criterion.u_all[2].item() == 0.0


def _surrogate_ap(scores: list[float], target: list[int]) -> float:
    """The AP surrogate SOAP estimates, mean_i u_pos/u_all, read off the state at gamma=1."""
    criterion = AveragePrecisionLoss(num_rows=len(scores), gamma=1.0).double()
    y = torch.tensor(target)
    criterion(torch.tensor(scores, dtype=torch.float64), y, torch.arange(len(scores)))
    positive = y == 1
    return (criterion.u_pos[positive] / criterion.u_all[positive]).mean().item()


def test_ap_ordering_on_the_surrogate_it_optimises() -> None:
    # The loss's value is a gradient carrier (0 at gamma=1 whatever the ranking), so the
    # ordering is checked on the AP surrogate its gradient ascends.
    target = [1, 1, 0, 0, 0]
    perfect = _surrogate_ap([3.0, 2.0, 0.0, -1.0, -2.0], target)
    reversed_ = _surrogate_ap([-2.0, -1.0, 0.0, 2.0, 3.0], target)
    assert perfect > reversed_
    below = _surrogate_ap([3.0, -0.5, 0.0, -1.0, -2.0], target)
    above = _surrogate_ap([3.0, 0.5, 0.0, -1.0, -2.0], target)  # positive 1 moved above negative 2
    assert above > below


def test_ap_gradient_steps_raise_average_precision() -> None:
    generator = torch.Generator().manual_seed(1)
    target = torch.tensor([1] * 4 + [0] * 12)
    scores = (torch.randn(16, generator=generator, dtype=torch.float64) - target).requires_grad_()
    criterion = AveragePrecisionLoss(num_rows=16).double()
    before = average_precision_score(target.numpy(), scores.detach().numpy())
    for _ in range(100):
        scores.grad = None
        criterion(scores, target, torch.arange(16)).backward()
        with torch.no_grad():
            scores -= 5.0 * scores.grad
    after = average_precision_score(target.numpy(), scores.detach().numpy())
    assert after > before and after == pytest.approx(1.0)


# ------------------------------------------------------------------------------ partial AUC


def test_pauc_topk_value_by_hand() -> None:
    pos, neg = [2.0, 0.2], [1.0, -1.0, 0.5, -0.5]
    k = math.ceil(0.5 * len(neg))  # 2: the negatives at 1.0 and 0.5
    hardest = sorted(neg, reverse=True)[:k]
    expected = sum(hinge2(1.0, hi - hj) for hi in pos for hj in hardest) / (len(pos) * k)
    assert expected == pytest.approx((3.24 + 1.69) / 4)
    scores = torch.tensor(pos + neg, dtype=torch.float64)
    target = torch.tensor([1, 1, 0, 0, 0, 0])
    assert partial_auc_loss(scores, target, max_fpr=0.5).item() == pytest.approx(
        expected, rel=1e-12
    )
    # max_fpr = 0.3 of 4 negatives: ceil(1.2) = 2, the same two; 0.25: one negative.
    assert PartialAUCLoss(max_fpr=0.3)(scores, target).item() == pytest.approx(expected, rel=1e-12)
    one = sum(hinge2(1.0, hi - 1.0) for hi in pos) / 2
    assert PartialAUCLoss(max_fpr=0.25)(scores, target).item() == pytest.approx(one, rel=1e-12)


def test_pauc_topk_full_fpr_is_the_mean_over_all_pairs() -> None:
    generator = torch.Generator().manual_seed(2)
    scores = torch.randn(12, dtype=torch.float64, generator=generator)
    target = torch.tensor([1, 0, 0] * 4)
    pos, neg = scores[target == 1], scores[target == 0]
    expected = torch.clamp(1.0 - (pos[:, None] - neg[None, :]), min=0).pow(2).mean()
    assert partial_auc_loss(scores, target, max_fpr=1.0).item() == pytest.approx(
        expected.item(), rel=1e-12
    )


def test_pauc_dro_value_by_hand_over_two_steps() -> None:
    # One positive (row 7) at h = 0.5; negatives at 1.0 and 0.0; tau = 1, gamma = 0.9.
    target, index = torch.tensor([1, 0, 0]), torch.tensor([7, 1, 2])
    ell = [hinge2(1.0, 0.5 - 1.0), hinge2(1.0, 0.5 - 0.0)]  # 2.25, 0.25
    u = 0.9 * (math.exp(ell[0]) + math.exp(ell[1])) / 2
    expected = sum(math.exp(e) / u * e for e in ell) / 2
    criterion = PartialAUCLoss(num_rows=8, form="dro").double()
    loss = criterion(torch.tensor([0.5, 1.0, 0.0], dtype=torch.float64), target, index)
    assert loss.item() == pytest.approx(expected, rel=1e-12)
    assert math.exp(criterion.log_u_pos[7].item()) == pytest.approx(u, rel=1e-12)
    assert torch.isinf(criterion.log_u_pos[:7]).all()
    # Second step: h = 1.5, negatives unchanged: l = 0.25, 0.
    ell2 = [hinge2(1.0, 1.5 - 1.0), hinge2(1.0, 1.5 - 0.0)]
    u2 = 0.1 * u + 0.9 * (math.exp(ell2[0]) + math.exp(ell2[1])) / 2
    expected2 = sum(math.exp(e) / u2 * e for e in ell2) / 2
    loss2 = criterion(torch.tensor([1.5, 1.0, 0.0], dtype=torch.float64), target, index)
    assert loss2.item() == pytest.approx(expected2, rel=1e-12)
    state = torch.full((8,), -math.inf, dtype=torch.float64)
    functional = partial_auc_loss(
        torch.tensor([0.5, 1.0, 0.0], dtype=torch.float64), target, index, state, form="dro"
    )
    assert functional.item() == pytest.approx(expected, rel=1e-12)


def test_pauc_dro_is_finite_for_large_surrogates() -> None:
    # exp(l / tau) overflows float32 at l = 89; the state is kept in log space.
    criterion = PartialAUCLoss(num_rows=3, form="dro", tau=0.1)
    scores = torch.tensor([-20.0, 20.0, 0.0], requires_grad=True)
    loss = criterion(scores, torch.tensor([1, 0, 0]), torch.arange(3))
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(scores.grad).all()


@pytest.mark.parametrize("options", [{"max_fpr": 0.5}, {"form": "dro", "num_rows": 5}])
def test_pauc_ordering(options: dict) -> None:
    target = torch.tensor([1, 1, 0, 0, 0])

    def value(scores: list[float]) -> float:
        criterion = PartialAUCLoss(**options).double()
        return criterion(torch.tensor(scores, dtype=torch.float64), target, torch.arange(5)).item()

    assert value([3.0, 2.0, 0.0, -1.0, -2.0]) < value([-2.0, -1.0, 0.0, 2.0, 3.0])
    assert value([3.0, 0.5, 0.0, -1.0, -2.0]) < value([3.0, -0.5, 0.0, -1.0, -2.0])


# ---------------------------------------------------------------------------- AUC margin


def test_auc_margin_value_by_hand_class_mean_form() -> None:
    # The paper's objective in class means: p(1-p)[mean_+(h-a)^2 + mean_-(h-b)^2
    #   + 2 alpha (m - mean_+ h + mean_- h) - alpha^2], h = sigmoid(logit).
    logits = [1.0, -0.5, 0.3, -2.0, 0.0]
    y = [1, 0, 1, 0, 0]
    a, b, alpha, m = 0.7, 0.2, 0.4, 1.0
    h = [1 / (1 + math.exp(-x)) for x in logits]
    hp = [hi for hi, yi in zip(h, y) if yi == 1]
    hn = [hi for hi, yi in zip(h, y) if yi == 0]
    p = 2 / 5
    expected = (
        p
        * (1 - p)
        * (
            sum((v - a) ** 2 for v in hp) / 2
            + sum((v - b) ** 2 for v in hn) / 3
            + 2 * alpha * (m - sum(hp) / 2 + sum(hn) / 3)
            - alpha**2
        )
    )
    criterion = AUCMarginLoss(margin=m).double()
    with torch.no_grad():
        criterion.a.fill_(a), criterion.b.fill_(b), criterion.alpha.fill_(alpha)
    loss = criterion(torch.tensor(logits, dtype=torch.float64), torch.tensor(y))
    assert loss.item() == pytest.approx(expected, rel=1e-12)
    two = torch.stack(
        [torch.zeros(5, dtype=torch.float64), torch.tensor(logits, dtype=torch.float64)], 1
    )
    scalars = [torch.tensor(v, dtype=torch.float64) for v in (a, b, alpha)]
    assert auc_margin_loss(two, torch.tensor(y), *scalars, margin=m).item() == pytest.approx(
        expected, rel=1e-12
    )


def test_auc_margin_prevalence_is_counted_in_the_batch() -> None:
    # Same rows, different class mix: p changes with the batch, the objective stays >= 0 at
    # the closed-form saddle point (LibAUC #10's negative loss came from a wrong p).
    for y in ([1, 0, 0, 0], [1, 1, 1, 0]):
        criterion = AUCMarginLoss().double()
        logits = torch.tensor([2.0, -1.0, 0.5, 0.0], dtype=torch.float64)
        h = torch.sigmoid(logits)
        pos = torch.tensor(y) == 1
        with torch.no_grad():
            criterion.a.fill_(h[pos].mean()), criterion.b.fill_(h[~pos].mean())
            criterion.alpha.fill_(max(0.0, 1.0 - (h[pos].mean() - h[~pos].mean()).item()))
        assert criterion(logits, torch.tensor(y)).item() >= 0.0


def _auc_margin_saddle(scores: list[float], y: list[int]) -> float:
    """min over a, b, max over alpha >= 0, in closed form (class means and variances)."""
    criterion = AUCMarginLoss().double()
    logits = torch.tensor(scores, dtype=torch.float64)
    h, pos = torch.sigmoid(logits), torch.tensor(y) == 1
    with torch.no_grad():
        criterion.a.fill_(h[pos].mean()), criterion.b.fill_(h[~pos].mean())
        criterion.alpha.fill_(max(0.0, 1.0 - (h[pos].mean() - h[~pos].mean()).item()))
    return criterion(logits, torch.tensor(y)).item()


def test_auc_margin_ordering_at_the_saddle_point() -> None:
    y = [1, 1, 0, 0, 0]
    assert _auc_margin_saddle([3.0, 2.0, 0.0, -1.0, -2.0], y) < _auc_margin_saddle(
        [-2.0, -1.0, 0.0, 2.0, 3.0], y
    )
    assert _auc_margin_saddle([3.0, 0.5, 0.0, -1.0, -2.0], y) < _auc_margin_saddle(
        [3.0, -0.5, 0.0, -1.0, -2.0], y
    )


def test_auc_margin_dual_ascent_raises_the_objective_and_projects() -> None:
    criterion = AUCMarginLoss().double()
    assert criterion.dual_parameters() == [criterion.alpha]
    assert criterion.primal_parameters() == [criterion.a, criterion.b]
    logits = torch.tensor([0.1, 0.2, -0.3, 0.4], dtype=torch.float64)
    target = torch.tensor([1, 0, 1, 0])
    dual = torch.optim.SGD(criterion.dual_parameters(), lr=0.5, maximize=True)
    before = criterion(logits, target)
    dual.zero_grad()
    before.backward()
    assert criterion.alpha.grad.item() > 0  # at alpha = 0 the objective rises with alpha
    dual.step()
    assert criterion(logits, target).item() > before.item()
    with torch.no_grad():
        criterion.alpha.fill_(-0.3)
    criterion.project_dual_()
    assert criterion.alpha.item() == 0.0


# ------------------------------------------------------------------------------- gradients


def test_gradcheck_stateless_forms() -> None:
    generator = torch.Generator().manual_seed(3)
    scores = torch.randn(8, dtype=torch.float64, generator=generator, requires_grad=True)
    target = torch.tensor([1, 0, 0, 1, 0, 0, 1, 0])
    assert torch.autograd.gradcheck(lambda x: partial_auc_loss(x, target, max_fpr=0.4), (scores,))
    two = torch.randn(8, 2, dtype=torch.float64, generator=generator, requires_grad=True)
    assert torch.autograd.gradcheck(
        lambda x: partial_auc_loss(x, target, max_fpr=0.4, margin=0.3), (two,)
    )
    scalars = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (0.3, -0.2, 0.5)]
    assert torch.autograd.gradcheck(
        lambda x, a, b, al: auc_margin_loss(x, target, a, b, al), (scores, *scalars)
    )


def _numerical_gradient(fn, x: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    grad = torch.zeros_like(x)
    for k in range(x.numel()):
        step = torch.zeros_like(x)
        step[k] = eps
        grad[k] = (fn(x + step) - fn(x - step)) / (2 * eps)
    return grad


@pytest.mark.parametrize("form", ["ap", "dro"])
def test_stateful_gradient_is_the_papers_with_weights_held(form: str) -> None:
    # SOAP and SOPA-s differentiate with the moving averages held constant (the state is an
    # estimate, not a function of this batch's parameters), so gradcheck's finite differences
    # through the state update do not apply: the analytic gradient is compared with finite
    # differences of the papers' objective with the weights p_ij frozen at the state used.
    generator = torch.Generator().manual_seed(3)
    scores = torch.randn(8, dtype=torch.float64, generator=generator)
    target = torch.tensor([1, 0, 0, 1, 0, 0, 1, 0])
    pos, m = target == 1, 1.0
    if form == "ap":
        criterion = AveragePrecisionLoss(8, gamma=0.6).double()
        criterion(
            torch.randn(8, dtype=torch.float64, generator=generator), target, torch.arange(8)
        )  # warm state
    else:
        criterion = PartialAUCLoss(8, form="dro", tau=0.7, gamma=0.6).double()
        criterion(torch.randn(8, dtype=torch.float64, generator=generator), target, torch.arange(8))
    x = scores.clone().requires_grad_()
    criterion(x, target, torch.arange(8)).backward()
    if form == "ap":
        u_all, u_pos = criterion.u_all[pos], criterion.u_pos[pos]
        y = target.to(torch.float64)
        weights = (u_pos[:, None] - u_all[:, None] * y[None, :]) / u_all[:, None] ** 2

        def objective(z: torch.Tensor) -> torch.Tensor:
            ell = torch.clamp(m - (z[pos][:, None] - z[None, :]), min=0) ** 2
            return (weights * ell).sum() / (3 * 8)

    else:
        u = torch.exp(criterion.log_u_pos[pos])
        ell0 = torch.clamp(m - (scores[pos][:, None] - scores[~pos][None, :]), min=0) ** 2
        weights = torch.exp(ell0 / 0.7) / u[:, None]

        def objective(z: torch.Tensor) -> torch.Tensor:
            ell = torch.clamp(m - (z[pos][:, None] - z[~pos][None, :]), min=0) ** 2
            return (weights * ell).sum() / (3 * 5)

    assert torch.allclose(x.grad, _numerical_gradient(objective, scores), rtol=1e-6, atol=1e-9)


# ---------------------------------------------------------------------- refused batches


@pytest.mark.parametrize(
    "make",
    [
        lambda: AveragePrecisionLoss(4),
        lambda: PartialAUCLoss(max_fpr=0.1),
        lambda: PartialAUCLoss(4, form="dro"),
        lambda: AUCMarginLoss(),
    ],
)
def test_batch_without_positive_refused(make) -> None:
    with pytest.raises(
        ValueError, match=r"holds no positive .*BalancedSampler with stratify_batches=True"
    ):
        make()(torch.zeros(4), torch.zeros(4, dtype=torch.int64), torch.arange(4))


@pytest.mark.parametrize(
    "make",
    [
        lambda: PartialAUCLoss(max_fpr=0.1),
        lambda: PartialAUCLoss(4, form="dro"),
        lambda: AUCMarginLoss(),
    ],
)
def test_batch_without_negative_refused(make) -> None:
    with pytest.raises(ValueError, match=r"holds no negative .*BalancedSampler"):
        make()(torch.zeros(4), torch.ones(4, dtype=torch.int64), torch.arange(4))


def test_ap_batch_of_positives_only_is_defined() -> None:
    # AP needs positives only (u_all counts every row): all-positive batches are accepted.
    loss = AveragePrecisionLoss(4)(torch.zeros(4), torch.ones(4), torch.arange(4))
    assert torch.isfinite(loss)


# ----------------------------------------------------------------------- state and resume


def _batches(steps: int, rows: int = 40, size: int = 12):
    generator = torch.Generator().manual_seed(4)
    for _ in range(steps):
        index = torch.randint(0, rows, (size,), generator=generator)  # repeats included
        target = (index % 4 == 0).long()
        target[0], target[1] = 1, 0
        scores = torch.randn(size, generator=generator)
        yield scores, target, index


@pytest.mark.parametrize(
    "make", [lambda: AveragePrecisionLoss(40), lambda: PartialAUCLoss(40, form="dro", tau=0.5)]
)
def test_resume_from_state_dict_equals_uninterrupted(make, tmp_path) -> None:
    batches = list(_batches(8))
    whole = make()
    losses = [whole(*batch).item() for batch in batches]
    first = make()
    for batch in batches[:3]:
        first(*batch)
    torch.save(first.state_dict(), tmp_path / "loss.pt")
    resumed = make()
    resumed.load_state_dict(torch.load(tmp_path / "loss.pt"))
    assert [resumed(*batch).item() for batch in batches[3:]] == losses[3:]
    for name, buffer in whole.state_dict().items():
        assert torch.equal(buffer, resumed.state_dict()[name]), name


def test_state_is_in_state_dict_and_moves_with_dtype() -> None:
    assert set(AveragePrecisionLoss(5).state_dict()) == {"u_all", "u_pos"}
    assert set(PartialAUCLoss(5, form="dro").state_dict()) == {"log_u_pos"}
    assert PartialAUCLoss(max_fpr=0.1).state_dict() == {}
    assert set(AUCMarginLoss().state_dict()) == {"a", "b", "alpha"}
    assert AveragePrecisionLoss(5).double().u_all.dtype == torch.float64


# -------------------------------------------------------------------------- bad arguments


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda: PartialAUCLoss(max_fpr=0.0), ValueError, r"max_fpr=0.0 is outside \(0, 1\]"),
        (lambda: PartialAUCLoss(max_fpr=1.5), ValueError, r"max_fpr=1.5 is outside \(0, 1\]"),
        (lambda: PartialAUCLoss(), ValueError, r"form='topk' needs max_fpr"),
        (
            lambda: PartialAUCLoss(5, form="dro", max_fpr=0.1),
            ValueError,
            r"max_fpr=0.1 is for form='topk'",
        ),
        (
            lambda: PartialAUCLoss(form="dro"),
            ValueError,
            r"form='dro' keeps one moving average .* pass num_rows",
        ),
        (
            lambda: PartialAUCLoss(5, max_fpr=0.1),
            ValueError,
            r"num_rows=5 sizes the state of form='dro'",
        ),
        (
            lambda: PartialAUCLoss(max_fpr=0.1, form="cvar"),
            ValueError,
            r"form='cvar' is not 'topk' or 'dro'",
        ),
        (lambda: PartialAUCLoss(max_fpr=0.1, form=1), TypeError, r"form must be a string"),
        (lambda: PartialAUCLoss(5, form="dro", tau=0.0), ValueError, r"tau=0.0 must be > 0"),
        (lambda: PartialAUCLoss(max_fpr=0.1, margin=-1.0), ValueError, r"margin=-1.0 must be >= 0"),
        (lambda: AUCMarginLoss(margin=-0.5), ValueError, r"margin=-0.5 must be >= 0"),
        (lambda: AveragePrecisionLoss(5, margin=0.0), ValueError, r"margin=0.0 must be > 0"),
        (lambda: AveragePrecisionLoss(5, gamma=0.0), ValueError, r"gamma=0.0 is outside \(0, 1\]"),
        (lambda: AveragePrecisionLoss(5, gamma=1.5), ValueError, r"gamma=1.5 is outside \(0, 1\]"),
        (
            lambda: PartialAUCLoss(5, form="dro", gamma=2),
            ValueError,
            r"gamma=2 is outside \(0, 1\]",
        ),
        (
            lambda: AveragePrecisionLoss(0),
            ValueError,
            r"num_rows must be an int >= 1; got num_rows=0",
        ),
        (lambda: AveragePrecisionLoss(True), TypeError, r"num_rows must be an int >= 1; got True"),
        (
            lambda: AveragePrecisionLoss(5, gamma=True),
            TypeError,
            r"gamma must be a real number, got True",
        ),
    ],
)
def test_bad_options_refused(make, error, match) -> None:
    with pytest.raises(error, match=match):
        make()


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (
            lambda: AveragePrecisionLoss(3)(
                torch.zeros(4), torch.tensor([1, 0, 1, 0]), torch.arange(4)
            ),
            ValueError,
            r"index holds 3, but num_rows=3 .* num_rows >= 4",
        ),
        (
            lambda: PartialAUCLoss(9, form="dro")(
                torch.zeros(2), torch.tensor([1, 0]), torch.tensor([-1, 0])
            ),
            ValueError,
            r"index holds -1, a negative row id; .*provenance\(batch_index\)\['base_id'\]",
        ),
        (
            lambda: AveragePrecisionLoss(3)(
                torch.zeros(2), torch.tensor([1, 0]), torch.tensor([0.0, 1.0])
            ),
            TypeError,
            r"index must hold integer row ids, got dtype torch.float32",
        ),
        (
            lambda: AveragePrecisionLoss(3)(
                torch.zeros(2), torch.tensor([1, 0]), torch.tensor([0])
            ),
            ValueError,
            r"index has shape \(1,\), but the input has 2 rows",
        ),
        (
            lambda: AveragePrecisionLoss(3)(torch.zeros(2), torch.tensor([1, 0]), [0, 1]),
            TypeError,
            r"index must be a LongTensor of row ids, got \[0, 1\]",
        ),
        (
            lambda: PartialAUCLoss(3, form="dro")(torch.zeros(2), torch.tensor([1, 0])),
            ValueError,
            r"form='dro' needs index",
        ),
        (
            lambda: AUCMarginLoss()(torch.zeros(2, 3), torch.tensor([1, 0])),
            ValueError,
            r"input has shape \(2, 3\), but a binary ranking loss takes one logit per row",
        ),
        (
            lambda: AUCMarginLoss()(torch.zeros(2, dtype=torch.int64), torch.tensor([1, 0])),
            TypeError,
            r"input must hold floating logits, got dtype torch.int64",
        ),
        (
            lambda: PartialAUCLoss(max_fpr=0.5)(torch.zeros(2), torch.tensor([1, 2])),
            ValueError,
            r"target holds 2, but a binary ranking loss takes 0/1 labels",
        ),
        (
            lambda: PartialAUCLoss(max_fpr=0.5)(torch.zeros(2), torch.tensor([1, 0, 0])),
            ValueError,
            r"target has shape \(3,\), but the input has 2 rows",
        ),
        (
            lambda: partial_auc_loss(
                torch.zeros(2), torch.tensor([1, 0]), log_u_pos=torch.zeros(2), max_fpr=0.5
            ),
            ValueError,
            r"log_u_pos is the state of form='dro'",
        ),
        (
            lambda: partial_auc_loss(torch.zeros(2), torch.tensor([1, 0]), form="dro"),
            ValueError,
            r"form='dro' keeps one moving average per positive row: pass index",
        ),
        (
            lambda: average_precision_loss(
                torch.zeros(2),
                torch.tensor([1, 0]),
                torch.arange(2),
                torch.zeros(3),
                torch.zeros(2),
            ),
            ValueError,
            r"u_all has shape \(3,\) but u_pos \(2,\)",
        ),
        (
            lambda: auc_margin_loss(
                torch.zeros(2), torch.tensor([1, 0]), 0.0, torch.zeros(()), torch.zeros(())
            ),
            TypeError,
            r"a must be a one-element tensor",
        ),
    ],
)
def test_bad_calls_refused(call, error, match) -> None:
    with pytest.raises(error, match=match):
        call()
