"""Remix and MAMix batch transforms (issue 24 item 3)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from scipy import stats

from imbalance_torch.losses import focal_loss
from imbalance_torch.mixing import MAMix, MixedBatch, Remix

COUNTS = torch.tensor([300, 100, 30, 10])


def _batch(n: int = 16, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 5, generator=generator, dtype=torch.float64)
    y = torch.arange(n) % 4
    return x, y


# ----------------------------------------------------------------------- Remix truth table

# (n_i, n_j, lam, expected lambda_y) with kappa = 3, tau = 0.5. n_i is the row's own class,
# n_j its partner's; the label is lambda_y * e_{y_i} + (1 - lambda_y) * e_{y_j}.
REMIX_TABLE = [
    # n_i / n_j >= kappa (row i majority): label wholly to j when lam < tau
    (300, 100, 0.2, 0.0),  # ratio 3 = kappa, lam < tau
    (300, 100, 0.49, 0.0),
    (300, 100, 0.5, 0.5),  # lam = tau: not < tau, mixed label
    (300, 100, 0.8, 0.8),
    (300, 10, 0.1, 0.0),  # ratio 30
    # just below kappa: never reassigned
    (299, 100, 0.2, 0.2),
    (290, 100, 0.49, 0.49),
    # n_i / n_j <= 1 / kappa (row i minority): label wholly to i when 1 - lam < tau
    (100, 300, 0.8, 1.0),  # ratio 1/3, 1 - lam = 0.2 < tau
    (100, 300, 0.51, 1.0),
    (100, 300, 0.5, 0.5),  # 1 - lam = tau: not < tau
    (100, 300, 0.2, 0.2),
    (10, 300, 0.9, 1.0),
    # just above 1 / kappa: never reassigned
    (101, 300, 0.8, 0.8),
    # balanced pair and same class: plain mixup
    (100, 100, 0.2, 0.2),
    (100, 100, 0.8, 0.8),
    # lam = 0 and 1: the unmixed partner / row keeps its own hard label
    (300, 100, 0.0, 0.0),
    (100, 300, 1.0, 1.0),
    (100, 300, 0.0, 0.0),
    (300, 100, 1.0, 1.0),
]


@pytest.mark.parametrize(("n_i", "n_j", "lam", "expected"), REMIX_TABLE)
def test_remix_truth_table(n_i, n_j, lam, expected):
    remix = Remix(COUNTS, kappa=3.0, tau=0.5)
    got = remix.label_weight(torch.tensor([n_i]), torch.tensor([n_j]), lam)
    assert got.item() == expected


def test_remix_tau_zero_is_plain_mixup_and_tau_one_always_reassigns():
    n_i, n_j = torch.tensor([300, 100]), torch.tensor([100, 300])
    assert Remix(COUNTS, tau=0.0).label_weight(n_i, n_j, 0.3).tolist() == [0.3, 0.3]
    assert Remix(COUNTS, tau=1.0).label_weight(n_i, n_j, 0.3).tolist() == [0.0, 1.0]


# ----------------------------------------------------------------------- MAMix breakpoints


@pytest.mark.parametrize(
    ("n_i", "n_j", "power"), [(300, 10, -0.25), (10, 300, -0.25), (50, 5, -1.0), (7, 70, 0.5)]
)
def test_mamix_breakpoint_and_lines(n_i, n_j, power):
    mamix = MAMix(COUNTS, power=power)
    k_i, k_j = n_i**power, n_j**power
    m = k_j / (k_i + k_j)
    weight = lambda lam: mamix.label_weight(torch.tensor([n_i]), torch.tensor([n_j]), lam).item()  # noqa: E731
    assert mamix.breakpoint(torch.tensor([n_i]), torch.tensor([n_j])).item() == pytest.approx(
        m, rel=1e-12
    )
    assert weight(0.0) == 0.0
    assert weight(1.0) == 1.0
    assert weight(m) == pytest.approx(0.5, abs=1e-12)
    # two straight lines through (0, 0), (m, 1/2) and (1, 1)
    for lam in (0.25 * m, 0.5 * m, 0.9 * m):
        assert weight(lam) == pytest.approx(lam / (2 * m), rel=1e-12)
    for lam in (m + 0.1 * (1 - m), m + 0.5 * (1 - m), 1 - 0.01 * (1 - m)):
        assert weight(lam) == pytest.approx(1 - (1 - lam) / (2 * (1 - m)), rel=1e-12)


def test_mamix_extreme_power_stays_finite():
    mamix = MAMix(COUNTS, power=-200.0)
    n_i, n_j = torch.tensor([300, 10]), torch.tensor([10, 300])
    for lam in (0.0, 0.5, 1.0):
        assert torch.isfinite(mamix.label_weight(n_i, n_j, lam)).all()
    assert mamix.label_weight(n_i, n_j, 0.0).tolist() == [0.0, 0.0]
    assert mamix.label_weight(n_i, n_j, 1.0).tolist() == [1.0, 1.0]


def test_mamix_by_hand_numbers():
    # n_i = 160, n_j = 10, power = -0.25: k_i = 160^-0.25 = 1/sqrt(sqrt(160)), k_j = 10^-0.25;
    # m = k_j / (k_i + k_j) = 1 / (1 + (10/160)^0.25) = 1 / (1 + 0.5) = 2/3.
    mamix = MAMix(COUNTS, power=-0.25)
    n_i, n_j = torch.tensor([160]), torch.tensor([10])
    assert mamix.breakpoint(n_i, n_j).item() == pytest.approx(2 / 3, rel=1e-12)
    assert mamix.label_weight(n_i, n_j, 1 / 3).item() == pytest.approx(0.25, rel=1e-12)
    assert mamix.label_weight(n_i, n_j, 5 / 6).item() == pytest.approx(0.75, rel=1e-12)


def test_mamix_equal_counts_or_power_zero_is_plain_mixup():
    n_i, n_j = torch.tensor([300, 30]), torch.tensor([300, 10])
    assert MAMix(COUNTS).label_weight(n_i[:1], n_j[:1], 0.3).item() == pytest.approx(0.3)
    assert MAMix(COUNTS, power=0.0).label_weight(n_i, n_j, 0.3).tolist() == pytest.approx(
        [0.3, 0.3]
    )


def test_mamix_negative_power_moves_the_label_to_the_minority():
    mamix = MAMix(COUNTS, power=-0.25)
    # row i majority, partner minority: i's label share is below its feature share
    assert mamix.label_weight(torch.tensor([300]), torch.tensor([10]), 0.6).item() < 0.6
    assert mamix.label_weight(torch.tensor([10]), torch.tensor([300]), 0.4).item() > 0.4


# ----------------------------------------------------------------------- the mixed batch


@pytest.mark.parametrize("transform", [Remix(COUNTS, seed=3), MAMix(COUNTS, seed=3)], ids=repr)
def test_mixed_batch_is_consistent(transform):
    x, y = _batch()
    result = transform(x, y, epoch=2, batch=5)
    assert isinstance(result, MixedBatch)
    features, target = result
    assert target.shape == (16, 4)
    torch.testing.assert_close(target.sum(1), torch.ones(16, dtype=torch.float64))
    assert bool((target >= 0).all())
    lam, partner = result.lam, result.partner
    torch.testing.assert_close(features, lam * x + (1 - lam) * x[partner])
    expected = result.label_weight[:, None] * F.one_hot(y, 4) + (1 - result.label_weight)[
        :, None
    ] * F.one_hot(y[partner], 4)
    torch.testing.assert_close(target, expected.to(torch.float64))
    counts = COUNTS.double()
    torch.testing.assert_close(
        result.label_weight, transform.label_weight(counts[y], counts[y[partner]], lam)
    )


@pytest.mark.parametrize("transform", [Remix(COUNTS), MAMix(COUNTS)], ids=repr)
@pytest.mark.parametrize("lam", [0.0, 1.0])
def test_lambda_zero_or_one_gives_the_unmixed_row_and_its_hard_label(transform, lam):
    x, y = _batch()
    partner = torch.roll(torch.arange(16), 3)
    result = transform.apply(x, y, partner=partner, lam=lam)
    source = torch.arange(16) if lam == 1.0 else partner
    assert torch.equal(result.features, x[source])
    assert torch.equal(result.target, F.one_hot(y[source], 4).to(torch.float64))


def test_same_seed_epoch_batch_same_draws_and_others_differ():
    x, y = _batch(64)
    remix = Remix(COUNTS, seed=11)
    first = remix(x, y, epoch=1, batch=7)
    again = Remix(COUNTS, seed=11)(x, y, epoch=1, batch=7)
    assert torch.equal(first.partner, again.partner) and first.lam == again.lam
    assert torch.equal(first.target, again.target)
    # MAMix with the same seed draws the same pairs and lambda (one pairing rule)
    assert torch.equal(MAMix(COUNTS, seed=11)(x, y, epoch=1, batch=7).partner, first.partner)
    others = [
        remix(x, y, epoch=1, batch=8),
        remix(x, y, epoch=2, batch=7),
        Remix(COUNTS, seed=12)(x, y, epoch=1, batch=7),
    ]
    # (epoch 0, batch 1) and (epoch 1, batch 0) must not collide (never seed + epoch)
    others += [remix(x, y, epoch=0, batch=1)]
    swapped = remix(x, y, epoch=1, batch=0)
    for other in [*others, swapped]:
        assert not torch.equal(other.partner, first.partner)
        assert other.lam != first.lam
    assert not torch.equal(others[-1].partner, swapped.partner)


def test_global_rng_is_neither_read_nor_moved():
    x, y = _batch(32)
    torch.manual_seed(0)
    state = torch.get_rng_state()
    first = Remix(COUNTS)(x, y, epoch=0, batch=0)
    assert torch.equal(torch.get_rng_state(), state)
    torch.manual_seed(123)
    assert torch.equal(Remix(COUNTS)(x, y, epoch=0, batch=0).partner, first.partner)


def test_partners_are_one_cycle_never_self_never_consecutive_order():
    x = torch.randn(40, 2)
    y = torch.sort(torch.arange(40) % 4).values  # a class-sorted batch
    result = Remix(COUNTS, seed=5)(x, y, epoch=0, batch=0)
    partner = result.partner
    assert sorted(partner.tolist()) == list(range(40))
    assert bool((partner != torch.arange(40)).all())
    # one cycle through all rows
    seen, row = set(), 0
    while row not in seen:
        seen.add(row)
        row = int(partner[row])
    assert len(seen) == 40
    assert not torch.equal(partner, torch.roll(torch.arange(40), -1))
    # a class-sorted batch is mixed across classes, not only with itself
    assert (y != y[partner]).float().mean() > 0.5


def test_lambda_follows_beta_alpha_alpha():
    x, y = _batch(4)
    for alpha in (0.2, 1.0, 2.0):
        lams = [Remix(COUNTS, alpha=alpha)(x, y, epoch=0, batch=b).lam for b in range(400)]
        assert stats.kstest(lams, stats.beta(alpha, alpha).cdf).pvalue > 1e-3


def test_plain_training_loop_with_focal_loss_on_soft_targets():
    torch.manual_seed(0)
    features = torch.randn(96, 6)
    labels = torch.cat([torch.zeros(72), torch.ones(18), torch.full((6,), 2)]).long()
    model = torch.nn.Linear(6, 3)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for name, transform in (
        ("remix", Remix(torch.bincount(labels), seed=1)),
        ("mamix", MAMix(np.bincount(labels.numpy()), seed=1)),
    ):
        for epoch in range(2):
            for batch, rows in enumerate(torch.arange(96).split(32)):
                mixed, target = transform(features[rows], labels[rows], epoch=epoch, batch=batch)
                loss = focal_loss(model(mixed), target, gamma=2.0, task="multiclass")
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                assert torch.isfinite(loss), name
        assert all(torch.isfinite(p).all() for p in model.parameters())


def test_empty_batch_and_single_row():
    remix = Remix(COUNTS)
    empty = remix(torch.zeros(0, 3), torch.zeros(0, dtype=torch.long), epoch=0, batch=0)
    assert empty.features.shape == (0, 3) and empty.target.shape == (0, 4)
    one = remix(torch.ones(1, 3), torch.tensor([2]), epoch=0, batch=0)
    assert torch.equal(one.features, torch.ones(1, 3))
    assert torch.equal(one.target, torch.tensor([[0.0, 0.0, 1.0, 0.0]]))


# ----------------------------------------------------------------------- bad arguments

BAD_ARGUMENTS = [
    (
        lambda: Remix(COUNTS, alpha=0.0),
        ValueError,
        r"alpha must be a float > 0\.0 \(finite\); got alpha=0\.0\. lambda is drawn from Beta",
    ),
    (
        lambda: MAMix(COUNTS, alpha=-1),
        ValueError,
        r"alpha must be a float > 0\.0 \(finite\); got alpha=-1\.",
    ),
    (
        lambda: Remix(COUNTS, alpha=True),
        TypeError,
        r"alpha must be a float > 0\.0; got True of type bool",
    ),
    (
        lambda: Remix(COUNTS, alpha=float("inf")),
        ValueError,
        r"alpha must be a float > 0\.0 \(finite\); got alpha=inf\.",
    ),
    (
        lambda: Remix(COUNTS, kappa=0.5),
        ValueError,
        r"kappa must be a float >= 1\.0 \(finite\); got kappa=0\.5\. kappa is the count ratio",
    ),
    (
        lambda: Remix(COUNTS, kappa="3"),
        TypeError,
        r"kappa must be a float >= 1\.0; got '3' of type str",
    ),
    (
        lambda: Remix(COUNTS, tau=-0.1),
        ValueError,
        r"tau must be a float in \[0\.0, 1\.0\] \(finite\); got tau=-0\.1\. tau bounds",
    ),
    (
        lambda: Remix(COUNTS, tau=1.5),
        ValueError,
        r"tau must be a float in \[0\.0, 1\.0\] \(finite\); got tau=1\.5\.",
    ),
    (
        lambda: MAMix(COUNTS, power=float("nan")),
        ValueError,
        r"power must be a float \(finite\); got power=nan\. power is the exponent",
    ),
    (lambda: Remix([5, 0, 3]), ValueError, r"class_counts\[1\]=0\.0: every class needs a positive"),
    (
        lambda: MAMix(torch.tensor([5, -2])),
        ValueError,
        r"class_counts\[1\]=-2\.0: every class needs",
    ),
    (
        lambda: Remix([5]),
        ValueError,
        r"class_counts must be 1-D with one count per class \(at least 2\)",
    ),
    (
        lambda: Remix(torch.ones(2, 2)),
        ValueError,
        r"got shape \(2, 2\); pass e\.g\. torch\.bincount",
    ),
    (
        lambda: Remix(torch.tensor([True, True])),
        TypeError,
        r"class_counts must hold numbers, got dtype torch\.bool",
    ),
    (
        lambda: Remix(5),
        TypeError,
        r"class_counts must be a 1-D tensor, array or list of numbers \(one count",
    ),
    (lambda: Remix(COUNTS, seed=-1), ValueError, r"seed must be in \[0, 2\*\*63\); got seed=-1"),
    (lambda: Remix(COUNTS, seed=1.5), TypeError, r"seed must be a non-negative int; got 1\.5"),
]


@pytest.mark.parametrize(("call", "error", "match"), BAD_ARGUMENTS)
def test_bad_constructor_arguments(call, error, match):
    with pytest.raises(error, match=match):
        call()


BAD_CALLS = [
    (
        lambda t, x, y: t(x, torch.tensor([0, 1, 4, 1]), epoch=0, batch=0),
        ValueError,
        r"y\[2\]=4 is outside the classes \[0, 4\) of class_counts",
    ),
    (
        lambda t, x, y: t(x, torch.tensor([0, -1, 1, 1]), epoch=0, batch=0),
        ValueError,
        r"y\[1\]=-1 is outside the classes",
    ),
    (
        lambda t, x, y: t(x, y.float(), epoch=0, batch=0),
        TypeError,
        r"y has dtype torch\.float32; pass integer class indices",
    ),
    (
        lambda t, x, y: t(x, y[:3], epoch=0, batch=0),
        ValueError,
        r"y has shape \(3,\), but x holds 4 rows",
    ),
    (
        lambda t, x, y: t(x.long(), y, epoch=0, batch=0),
        TypeError,
        r"x has dtype torch\.int64; mixing interpolates",
    ),
    (
        lambda t, x, y: t(x.numpy(), y, epoch=0, batch=0),
        TypeError,
        r"x must be a tensor of features, got ndarray",
    ),
    (
        lambda t, x, y: t(x, y, epoch=-1, batch=0),
        ValueError,
        r"epoch must be an int >= 0; got epoch=-1",
    ),
    (
        lambda t, x, y: t(x, y, epoch=0, batch=True),
        TypeError,
        r"batch must be an int >= 0; got True of type bool",
    ),
    (
        lambda t, x, y: t.apply(x, y, partner=torch.tensor([0, 1, 2, 9]), lam=0.5),
        ValueError,
        r"partner holds indices outside \[0, 4\)",
    ),
    (
        lambda t, x, y: t.apply(x, y, partner=torch.arange(4), lam=1.5),
        ValueError,
        r"lam must be a float in \[0\.0, 1\.0\] \(finite\); got lam=1\.5\. lambda is a mixing",
    ),
]


@pytest.mark.parametrize("transform", [Remix(COUNTS), MAMix(COUNTS)], ids=repr)
@pytest.mark.parametrize(("call", "error", "match"), BAD_CALLS)
def test_bad_call_arguments(transform, call, error, match):
    x, y = torch.randn(4, 2), torch.tensor([0, 1, 2, 3])
    with pytest.raises(error, match=match):
        call(transform, x, y)
