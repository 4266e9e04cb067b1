"""Invariants of generated rows (hypothesis) and per-method behaviour."""

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from imbalance_torch.neighbors import kneighbors
from imbalance_torch.oversample import ADASYN, SMOTE, SMOTENC, BorderlineSMOTE, RandomOverSampler


def _data(seed, n_major, n_minor, d, shift=1.0):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n_major + n_minor, d, generator=g, dtype=torch.float64)
    y = torch.cat([torch.zeros(n_major), torch.ones(n_minor)]).long()
    X[y == 1] += shift
    return X, y


@given(
    seed=st.integers(0, 2**31),
    n_minor=st.integers(6, 40),
    d=st.integers(1, 6),
    k=st.integers(1, 5),
    epoch=st.integers(0, 1000),
)
def test_every_smote_row_lies_on_a_segment_to_a_k_nearest_neighbour(seed, n_minor, d, k, epoch):
    X, y = _data(seed, 60, n_minor, d)
    sm = SMOTE(k_neighbors=k).fit(X, y, {1: 50})
    slots = torch.arange(50)
    draw = sm.draw(torch.ones(50, dtype=torch.long), slots, seed, epoch)
    rows = sm.rows(draw)
    minority = (y == 1).nonzero().flatten()
    _, local = kneighbors(X[minority], X[minority], k, query_indices=torch.arange(len(minority)))
    table = dict(zip(minority.tolist(), minority[local].tolist()))
    for base, neighbor in zip(draw.base.tolist(), draw.neighbor.tolist()):
        assert y[base] == 1 and neighbor in table[base]
    assert ((draw.gap >= 0) & (draw.gap < 1)).all()
    expected = X[draw.base] + draw.gap[:, None] * (X[draw.neighbor] - X[draw.base])
    torch.testing.assert_close(rows, expected, rtol=0, atol=1e-12)
    # on the segment: the residual from the line through base and neighbour is zero
    direction = X[draw.neighbor] - X[draw.base]
    offset = rows - X[draw.base]
    cross = offset - (offset * direction).sum(1, keepdim=True) / direction.pow(2).sum(1, keepdim=True).clamp(min=1e-300) * direction
    assert cross.abs().max() < 1e-9


def test_draws_are_a_pure_function_of_seed_epoch_slot():
    X, y = _data(0, 100, 20, 3)
    sm = SMOTE().fit(X, y, {1: 80})
    labels = torch.ones(80, dtype=torch.long)
    a = sm.generate(labels, torch.arange(80), seed=7, epoch=3)
    b = sm.generate(labels[:40], torch.arange(40), seed=7, epoch=3)
    c = sm.generate(labels, torch.arange(80), seed=7, epoch=4)
    d = sm.generate(labels, torch.arange(80), seed=8, epoch=3)
    assert torch.equal(a[:40], b)
    assert not torch.equal(a, c) and not torch.equal(a, d)
    # (seed, epoch) = (0, 1) and (1, 0) do not collide
    e = sm.generate(labels, torch.arange(80), seed=0, epoch=1)
    f = sm.generate(labels, torch.arange(80), seed=1, epoch=0)
    assert not torch.equal(e, f)


def test_base_rows_are_uniform_over_the_class():
    X, y = _data(1, 50, 10, 2)
    sm = SMOTE(k_neighbors=3).fit(X, y, {1: 1})
    draw = sm.draw(torch.ones(50000, dtype=torch.long), torch.arange(50000), 0, 0)
    counts = torch.bincount(draw.base)[50:]
    assert counts.min() > 4500 and counts.max() < 5500
    slots = torch.bincount(((draw.neighbor[:, None] == sm.neighbors_[draw.base - 50]).float().argmax(1)), minlength=3)
    assert slots.min() > 15500


def test_borderline2_gap_below_half_toward_other_classes():
    X, y = _data(2, 200, 40, 2, shift=0.7)
    bs = BorderlineSMOTE(kind="borderline-2").fit(X, y, {1: 160})
    draw = bs.draw(torch.ones(5000, dtype=torch.long), torch.arange(5000), 0, 0)
    other = y[draw.neighbor] != 1
    assert other.any() and (~other).any()
    assert draw.gap[other].max() < 0.5 and draw.gap[~other].max() > 0.9
    danger = set(bs.danger_rows(X, y, 1).tolist())
    assert set(draw.base.tolist()) <= danger


def test_borderline_without_danger_rows_raises():
    X, y = _data(3, 100, 20, 2, shift=30.0)
    with pytest.raises(ValueError, match="no rows of class 1 in danger"):
        BorderlineSMOTE().fit(X, y, {1: 80})


def test_adasyn_prefers_hard_rows_and_adds_exactly_the_count():
    X, y = _data(4, 200, 30, 2, shift=1.5)
    ad = ADASYN().fit(X, y, {1: 170})
    rows, ratio = ad.difficulty(X, y, 1)
    draw = ad.draw(torch.ones(100000, dtype=torch.long), torch.arange(100000), 0, 0)
    freq = torch.bincount(draw.base, minlength=len(y))[rows].double() / 100000
    expected = ratio / ratio.sum()
    assert (freq - expected).abs().max() < 0.01
    assert (freq[ratio == 0] == 0).all()


def test_adasyn_on_separated_class_raises():
    X, y = _data(5, 100, 20, 2, shift=40.0)
    with pytest.raises(ValueError, match="ADASYN found no row of class 1"):
        ADASYN().fit(X, y, {1: 80})


def test_random_over_sampler_copies_and_shrinkage():
    X, y = _data(6, 100, 20, 3)
    ros = RandomOverSampler().fit(X, y, {1: 80})
    draw = ros.draw(torch.ones(80, dtype=torch.long), torch.arange(80), 0, 0)
    assert torch.equal(ros.rows(draw), X[draw.base])
    assert (draw.neighbor == -1).all() and (draw.gap == 0).all()
    smooth = RandomOverSampler(shrinkage=1.0).fit(X, y, {1: 80})
    noisy = smooth.generate(torch.ones(20000, dtype=torch.long), torch.arange(20000), 0, 0)
    base = smooth.draw(torch.ones(20000, dtype=torch.long), torch.arange(20000), 0, 0).base
    noise = noisy - X[base]
    n, d = X.shape
    h = (4 / ((d + 2) * n)) ** (1 / (d + 4))
    expected_std = X[y == 1].std(0, correction=0) * h
    torch.testing.assert_close(noise.std(0), expected_std, rtol=0.05, atol=0)
    torch.testing.assert_close(noise.mean(0), torch.zeros(d, dtype=noise.dtype), atol=0.02, rtol=0)


def test_integer_features_are_truncated_like_imblearn():
    X = torch.tensor([[0, 0], [10, 10], [0, 10], [10, 0], [5, 5], [100, 100], [101, 99], [99, 101], [100, 98], [98, 100]])
    y = torch.tensor([1, 1, 1, 1, 1, 0, 0, 0, 0, 0])
    sm = SMOTE(k_neighbors=2).fit(X, y, {1: 5})
    draw = sm.draw(torch.ones(50, dtype=torch.long), torch.arange(50), 0, 0)
    rows = sm.rows(draw)
    assert rows.dtype == torch.int64
    exact = X[draw.base].double() + draw.gap[:, None] * (X[draw.neighbor] - X[draw.base]).double()
    assert torch.equal(rows, exact.trunc().long())


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float32])
def test_low_precision_features_keep_their_dtype(dtype):
    X, y = _data(7, 50, 10, 3)
    sm = SMOTE(k_neighbors=3).fit(X.to(dtype), y, {1: 40})
    rows = sm.generate(torch.ones(40, dtype=torch.long), torch.arange(40), 0, 0)
    assert rows.dtype == dtype and torch.isfinite(rows.float()).all()


def test_smotenc_categories_come_from_neighbours():
    g = torch.Generator().manual_seed(0)
    X = torch.randn(120, 3, generator=g)
    X[:, 2] = torch.randint(0, 4, (120,), generator=g).float()
    y = (torch.arange(120) < 20).long()
    nc = SMOTENC(categorical_features=[2], k_neighbors=3).fit(X, y, {1: 100})
    draw = nc.draw(torch.ones(500, dtype=torch.long), torch.arange(500), 0, 0)
    rows = nc.rows(draw)
    neighbour_codes = X[nc.neighbors_[draw.pool]][:, :, 2]
    assert ((neighbour_codes == rows[:, 2:3]).any(1)).all()
    assert set(rows[:, 2].unique().tolist()) <= {0.0, 1.0, 2.0, 3.0}


def test_smotenc_penalty_counts_in_the_distance():
    # Two candidate neighbours at equal continuous distance: the one with the same category wins.
    X = torch.tensor([[0.0, 0], [1.0, 0], [-1.0, 1], [5.0, 0], [6.0, 1], [0.0, 0], [100.0, 0]])
    y = torch.tensor([1, 1, 1, 1, 1, 0, 0])
    nc = SMOTENC(categorical_features=[1], k_neighbors=1).fit(X, y, {1: 2})
    assert nc.median_std_[1] > 0
    assert nc.neighbors_[0, 0].item() == 1


def test_smotenc_ties_are_broken_uniformly():
    # Every minority row's 4 neighbours carry codes 0, 0, 1, 1 in column 2: a tie each time.
    X = torch.zeros(25, 3)
    X[:5, 0] = torch.arange(5).float()
    X[:5, 2] = torch.tensor([0.0, 0, 1, 1, 2])
    X[5:, 0] = 100 + torch.arange(20).float()
    y = torch.tensor([1] * 5 + [0] * 20)
    nc = SMOTENC(categorical_features=[2], k_neighbors=4).fit(X, y, {1: 15})
    draw = nc.draw(torch.ones(40000, dtype=torch.long), torch.arange(40000), 0, 0)
    codes = nc.categorical_vote(draw)[:, 0]
    base4 = draw.base == 4  # neighbours of row 4: rows 0-3, codes 0, 0, 1, 1
    share = (codes[base4] == 0).float().mean()
    assert abs(float(share) - 0.5) < 0.02
    assert set(codes[base4].tolist()) == {0.0, 1.0} or set(codes[base4].tolist()) == {0, 1}
