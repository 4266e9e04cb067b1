"""LDAM loss and its deferred re-weighting schedule: values from Cao et al.'s formula written
out here, torch's cross-entropy as the oracle for weights and soft targets, step counting,
resume, bad arguments."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from imbalance_torch.losses import LDAMLoss, class_weights, ldam_loss, ldam_margins


def test_margins_by_hand() -> None:
    counts = [625, 16, 1]  # n^(-1/4) = 1/5, 1/2, 1
    assert ldam_margins(counts, max_margin=0.5).tolist() == pytest.approx([0.1, 0.25, 0.5])
    assert ldam_margins(counts, max_margin=1.0).tolist() == pytest.approx([0.2, 0.5, 1.0])


def test_value_by_hand() -> None:
    # counts [100, 1]: margins 0.5 * [100^(-1/4), 1] = [0.158114, 0.5]; s = 2.
    x = [[0.2, 0.1], [0.0, 0.3]]
    y = [0, 1]
    delta = [0.5 * 100 ** (-0.25), 0.5]
    s = 2.0
    rows = []
    for xi, yi in zip(x, y):
        z = [s * (xi[c] - (delta[c] if c == yi else 0.0)) for c in range(2)]
        rows.append(-(z[yi] - math.log(sum(math.exp(v) for v in z))))
    expected = sum(rows) / 2
    logits, target = torch.tensor(x, dtype=torch.float64), torch.tensor(y)
    assert ldam_loss(logits, target, ldam_margins([100, 1]).double(), s=s).item() == pytest.approx(
        expected
    )
    module = LDAMLoss([100, 1], s=s, reduction="none").double()
    assert module(logits, target).tolist() == pytest.approx(rows)


def test_one_hot_probabilities_equal_class_indices_and_soft_targets_follow_torch() -> None:
    generator = torch.Generator().manual_seed(0)
    logits = torch.randn(6, 3, dtype=torch.float64, generator=generator)
    target = torch.tensor([0, 1, 2, 2, 1, 0])
    margins = ldam_margins([50, 10, 2]).double()
    one_hot = F.one_hot(target, 3).double()
    weight = torch.tensor([0.5, 1.0, 2.0], dtype=torch.float64)
    for w in (None, weight):
        indices = ldam_loss(logits, target, margins, s=3.0, weight=w, reduction="sum")
        probabilities = ldam_loss(logits, one_hot, margins, s=3.0, weight=w, reduction="sum")
        assert probabilities.item() == pytest.approx(indices.item())
    soft = torch.softmax(torch.randn(6, 3, dtype=torch.float64, generator=generator), dim=1)
    expected = (
        -(soft * weight * torch.log_softmax(3.0 * (logits - soft * margins), dim=1)).sum(1).mean()
    )
    got = ldam_loss(logits, soft, margins, s=3.0, weight=weight)
    assert got.item() == pytest.approx(expected.item())


def test_weighted_mean_is_torch_cross_entropy_of_shifted_logits() -> None:
    logits = torch.tensor([[1.0, 0.0], [0.2, 0.4], [0.0, 0.0]], dtype=torch.float64)
    target = torch.tensor([0, 1, 1])
    margins = ldam_margins([9, 1]).double()
    weight = torch.tensor([1.0, 3.0], dtype=torch.float64)
    shifted = 30.0 * (logits - F.one_hot(target, 2) * margins)
    expected = F.cross_entropy(shifted, target, weight=weight)
    assert ldam_loss(logits, target, margins, weight=weight).item() == pytest.approx(
        expected.item()
    )


def test_drw_switches_weights_on_at_the_step_and_counts_training_steps_only() -> None:
    counts = [900, 100]
    criterion = LDAMLoss(counts, s=1.0, drw_start_step=2).double()
    drw = class_weights(
        counts=torch.tensor(counts, dtype=torch.float64), scheme="effective_number", beta=0.9999
    )
    drw = drw.to(torch.float64)
    assert torch.allclose(criterion.drw_weight, drw)
    logits = torch.tensor([[0.2, 0.1], [0.0, 0.3], [0.5, 0.6]], dtype=torch.float64)
    target = torch.tensor([0, 1, 0])
    plain = ldam_loss(logits, target, criterion.margins, s=1.0)
    weighted = ldam_loss(logits, target, criterion.margins, s=1.0, weight=drw)
    assert criterion.current_weight() is None
    assert criterion(logits, target).item() == plain.item()  # step 0
    criterion.eval()
    assert criterion(logits, target).item() == plain.item()  # evaluation: not counted
    criterion.train()
    assert criterion(logits, target).item() == plain.item()  # step 1
    assert int(criterion.step) == 2
    assert torch.equal(criterion.current_weight(), drw)
    assert criterion(logits, target).item() == weighted.item()  # step 2: DRW on
    assert int(criterion.step) == 3


def test_weight_without_schedule_applies_from_the_start_and_with_schedule_switches() -> None:
    logits = torch.tensor([[0.2, 0.1], [0.0, 0.3]], dtype=torch.float64)
    target = torch.tensor([0, 1])
    weight = [1.0, 4.0]
    always = LDAMLoss([10, 1], s=1.0, weight=weight).double()
    margins = always.margins
    weighted = ldam_loss(
        logits, target, margins, s=1.0, weight=torch.tensor(weight, dtype=torch.float64)
    )
    assert always(logits, target).item() == pytest.approx(weighted.item())
    later = LDAMLoss([10, 1], s=1.0, weight=weight, drw_start_step=1).double()
    assert later(logits, target).item() == pytest.approx(
        ldam_loss(logits, target, margins, s=1.0).item()
    )
    assert later(logits, target).item() == pytest.approx(weighted.item())


def test_resume_continues_the_schedule_exactly(tmp_path) -> None:
    generator = torch.Generator().manual_seed(1)
    batches = [
        (torch.randn(8, 3, generator=generator), torch.randint(0, 3, (8,), generator=generator))
        for _ in range(6)
    ]

    def make() -> LDAMLoss:
        return LDAMLoss([500, 50, 5], drw_start_step=4)

    whole = make()
    losses = [whole(*batch).item() for batch in batches]
    first = make()
    for batch in batches[:3]:
        first(*batch)
    torch.save(first.state_dict(), tmp_path / "ldam.pt")
    resumed = make()
    resumed.load_state_dict(torch.load(tmp_path / "ldam.pt"))
    assert int(resumed.step) == 3
    assert [resumed(*batch).item() for batch in batches[3:]] == losses[3:]
    assert set(whole.state_dict()) == {"margins", "drw_weight", "step"}


def test_gradcheck() -> None:
    generator = torch.Generator().manual_seed(2)
    logits = torch.randn(5, 3, dtype=torch.float64, generator=generator, requires_grad=True)
    margins = ldam_margins([40, 8, 1]).double()
    target = torch.tensor([0, 2, 1, 1, 0])
    soft = torch.softmax(torch.randn(5, 3, dtype=torch.float64, generator=generator), dim=1)
    assert torch.autograd.gradcheck(lambda x: ldam_loss(x, target, margins, s=2.0), (logits,))
    assert torch.autograd.gradcheck(lambda x: ldam_loss(x, soft, margins, s=2.0), (logits,))


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (
            lambda: LDAMLoss([10, 0]),
            ValueError,
            r"class_counts holds 0.0; every class needs a finite count > 0",
        ),
        (
            lambda: LDAMLoss([10]),
            ValueError,
            r"class_counts has shape \(1,\); .*at least 2 classes",
        ),
        (lambda: LDAMLoss("ab"), TypeError, r"class_counts must "),
        (lambda: LDAMLoss([10, 1], max_margin=0.0), ValueError, r"max_margin=0.0 must be > 0"),
        (lambda: LDAMLoss([10, 1], s=-1.0), ValueError, r"s=-1.0 must be > 0"),
        (lambda: LDAMLoss([10, 1], s=True), TypeError, r"s must be a real number, got True"),
        (
            lambda: LDAMLoss([10, 1], beta=0.99),
            ValueError,
            r"beta=0.99 sets the effective-number DRW weights",
        ),
        (
            lambda: LDAMLoss([10, 1], weight=[1.0, 2.0], drw_start_step=3, beta=0.9),
            ValueError,
            r"beta=0.9 sets the effective-number DRW weights",
        ),
        (
            lambda: LDAMLoss([10, 1], drw_start_step=True),
            TypeError,
            r"drw_start_step must be an int >= 0",
        ),
        (
            lambda: LDAMLoss([10, 1], drw_start_step=-1),
            ValueError,
            r"drw_start_step must be an int >= 0",
        ),
        (
            lambda: LDAMLoss([10, 1], weight=[1.0]),
            ValueError,
            r"weight has shape \(1,\) but class_counts \(2,\)",
        ),
        (lambda: LDAMLoss([10, 1], reduction="avg"), ValueError, r"reduction='avg' is not one of"),
        (
            lambda: LDAMLoss([10, 1])(torch.zeros(2, 3), torch.tensor([0, 1])),
            ValueError,
            r"input has 3 classes \(input.shape\[1\]\) but there are 2 margins",
        ),
        (
            lambda: LDAMLoss([10, 1])(torch.zeros(2, 2), torch.tensor([0, 2])),
            ValueError,
            r"target holds class 2, outside \[0, 2\)",
        ),
        (
            lambda: LDAMLoss([10, 1])(torch.zeros(2, 2), torch.zeros(2, 3)),
            ValueError,
            r"a probability target has shape \(2, 3\)",
        ),
        (
            lambda: LDAMLoss([10, 1])(torch.zeros(2, 2), torch.tensor([True, False])),
            TypeError,
            r"target must hold integer class indices or float probabilities, got dtype torch.bool",
        ),
        (
            lambda: LDAMLoss([10, 1])(torch.zeros(2, 2, dtype=torch.int64), torch.tensor([0, 1])),
            TypeError,
            r"input must be floating logits of shape \(N, C\)",
        ),
        (
            lambda: ldam_loss(torch.zeros(2, 2), torch.tensor([0, 1]), [0.1, 0.5]),
            TypeError,
            r"margins must be a tensor \(C,\) from ldam_margins",
        ),
    ],
)
def test_bad_arguments_refused(call, error, match) -> None:
    with pytest.raises(error, match=match):
        call()
