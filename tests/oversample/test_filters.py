"""Per-epoch filtering of synthetic rows: ``safe=`` and ``filter=`` on the SMOTE family
(NOTE [per-epoch filtering]), with SMOTE-Tomek / SMOTE-ENN as the recipe
``SMOTEDataset(oversampler=SMOTE(filter=...))`` + ``BalancedSampler(cleaning=...)``."""

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

import imbalance_torch.oversample._filters as filters
from imbalance_torch import BalancedSampler, SMOTEDataset
from imbalance_torch.neighbors import kneighbors
from imbalance_torch.oversample import ADASYN, SMOTE, SMOTENC, BorderlineSMOTE
from imbalance_torch.oversample._filters import filter_agreement, filter_report
from imbalance_torch.undersample import (
    EditedNearestNeighbours,
    NearMiss,
    RepeatedEditedNearestNeighbours,
    TomekLinks,
)


def _blobs(seed=0, n_major=300, n_minor=40, d=3, shift=1.2, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n_major + n_minor, d, generator=g, dtype=dtype)
    y = torch.cat([torch.zeros(n_major), torch.ones(n_minor)]).long()
    X[y == 1] += shift
    return X, y


def _three_classes():
    X, y = _blobs(1, 200, 30, 3)
    extra = torch.randn(25, 3, generator=torch.Generator().manual_seed(5), dtype=torch.float64) - 1.5
    return torch.cat([X, extra]), torch.cat([y, torch.full((25,), 2)])


def _synthetic(ds, epoch=0):
    """The epoch's synthetic rows, labels and provenance, in slot order."""
    ds.set_epoch(epoch)
    index = torch.arange(ds.num_real, len(ds))
    rows, labels = ds[index]
    return rows, labels, ds.provenance(index)


def _passes(rule, X, y, rows, labels):
    """The exact rule, written out on the whole real data."""
    if rule == "safe":
        _, near = kneighbors(rows, X, 5)
        return 2 * (y[near] != labels[:, None]).sum(1) <= 5
    if rule == "enn":
        _, near = kneighbors(rows, X, 3)
        return (y[near] == labels[:, None]).all(1)
    distance, near = kneighbors(rows, X, 1)  # tomek
    nearest = near[:, 0]
    own, _ = kneighbors(X[nearest], X, 1, query_indices=nearest)
    return (y[nearest] == labels) | (distance[:, 0] >= own[:, 0])


RULES = {
    "safe": {"safe": True},
    "enn": {"filter": EditedNearestNeighbours()},
    "tomek": {"filter": TomekLinks()},
}


# -- the rule holds on every served row --------------------------------------------------------
@pytest.mark.parametrize("method", [SMOTE, BorderlineSMOTE, ADASYN])
@pytest.mark.parametrize("rule", sorted(RULES))
def test_every_served_synthetic_row_passes_the_exact_rule(method, rule):
    X, y = _blobs(shift=2.0)
    ds = SMOTEDataset(X, y, oversampler=method(**RULES[rule], filter_search="exact"), seed=3)
    for epoch in (0, 1):
        rows, labels, _ = _synthetic(ds, epoch)
        assert bool(_passes(rule, X, y, rows, labels).all())


def test_without_the_filter_many_rows_fail_the_rule():
    X, y = _blobs(shift=2.0)
    plain = SMOTEDataset(X, y, seed=3)
    rows, labels, _ = _synthetic(plain)
    assert not bool(_passes("safe", X, y, rows, labels).all())


def test_bounded_search_rows_pass_the_exact_rule_on_small_data():
    X, y = _blobs(shift=2.0)
    ds = SMOTEDataset(X, y, oversampler=SMOTE(safe=True), seed=3)
    rows, labels, _ = _synthetic(ds)
    assert float(_passes("safe", X, y, rows, labels).double().mean()) >= 0.99


def test_combined_rules_all_hold_and_multiclass_counts_are_exact():
    X, y = _three_classes()
    oversampler = SMOTE(safe=True, filter=TomekLinks(), filter_search="exact")
    ds = SMOTEDataset(X, y, oversampler=oversampler, seed=0)
    rows, labels, _ = _synthetic(ds)
    assert bool(_passes("safe", X, y, rows, labels).all()) and bool(_passes("tomek", X, y, rows, labels).all())
    assert {c: int((labels == c).sum()) for c in ds.classes} == {c: n for c, n in ds.target_counts.items() if n}


# -- counts and purity -----------------------------------------------------------------------------
def test_counts_are_exact_with_filtering():
    X, y = _blobs()
    ds = SMOTEDataset(X, y, oversampler=SMOTE(safe=True), seed=0)
    assert len(ds) == len(y) + ds.target_counts[1] and ds.num_synthetic == 260
    sampler = BalancedSampler(ds, seed=0)
    labels = torch.cat([ds[torch.as_tensor(list(batch))][1] for batch in [list(sampler)]])
    assert int((labels == 1).sum()) == 300 and int((labels == 0).sum()) == 300


def test_accepted_first_attempts_are_plain_smote_rows_and_provenance_reproduces_rows():
    X, y = _blobs()
    plain, _, plain_from = _synthetic(SMOTEDataset(X, y, seed=4))
    ds = SMOTEDataset(X, y, oversampler=SMOTE(safe=True), seed=4)
    rows, _, source = _synthetic(ds)
    first = (source["base_index"] == plain_from["base_index"]) & (source["gap"] == plain_from["gap"])
    assert 0 < int(first.sum()) < len(first)
    assert torch.equal(rows[first], plain[first])
    base, neighbor, gap = source["base_index"], source["neighbor_index"], source["gap"]
    torch.testing.assert_close(rows, X[base] + gap[:, None] * (X[neighbor] - X[base]), rtol=0, atol=1e-12)


def test_epochs_are_pure_functions_of_seed_and_epoch_any_batch_size():
    X, y = _blobs()
    ds = SMOTEDataset(X, y, oversampler=SMOTE(safe=True, filter=TomekLinks()), seed=9)
    whole, _, _ = _synthetic(ds, epoch=2)
    index = torch.arange(ds.num_real, len(ds))
    pieces = torch.cat([ds[part][0] for part in torch.split(index.flip(0), 7)]).flip(0)
    assert torch.equal(whole, pieces)
    again = SMOTEDataset(X, y, oversampler=SMOTE(safe=True, filter=TomekLinks()), seed=9)
    assert torch.equal(whole, _synthetic(again, epoch=2)[0])
    assert not torch.equal(whole, _synthetic(again, epoch=3)[0])
    assert not torch.equal(whole, _synthetic(SMOTEDataset(X, y, oversampler=SMOTE(safe=True, filter=TomekLinks()), seed=10), epoch=2)[0])


def _loader_rows(ds, workers, batch_size):
    sampler = BalancedSampler(ds, batch_size=batch_size, seed=1)
    sampler.set_epoch(3)
    loader = DataLoader(ds, sampler=sampler, batch_size=None, num_workers=workers)
    return torch.cat([features for features, _ in loader])


@pytest.mark.slow
def test_same_rows_with_zero_and_two_workers_and_any_batch_size():
    X, y = _blobs(dtype=torch.float32)
    ds = SMOTEDataset(X, y, oversampler=BorderlineSMOTE(safe=True), seed=2)
    serial = _loader_rows(ds, 0, 64)
    assert torch.equal(serial, _loader_rows(ds, 2, 64))
    by_size = _loader_rows(ds, 0, 50)  # another batch size: the same epoch, batched differently
    order = lambda t: t[torch.from_numpy(np.lexsort(t.T.numpy()[::-1]))]  # noqa: E731
    assert torch.equal(order(serial), order(by_size))


# -- acceptance, reserve rows and the clear failure -------------------------------------------------
def test_acceptance_rate_is_reported_at_fit_and_per_epoch():
    X, y = _three_classes()
    ds = SMOTEDataset(X, y, oversampler=ADASYN(safe=True), seed=0)
    probe = ds.oversampler.filter_.acceptance_
    assert set(probe) == set(ds.classes) and all(0.1 <= v <= 1 for v in probe.values())
    report = filter_report(ds.oversampler, ds.target_counts, seed=0, epoch=0)
    for label, entry in report.items():
        assert entry["rows"] == ds.target_counts[label]
        assert entry["draws"] >= entry["rows"] and entry["acceptance_rate"] == entry["rows"] / entry["draws"]
        assert entry["reserve_rows"] == 0
        assert abs(entry["acceptance_rate"] - probe[label]) < 0.15


def test_filter_report_without_a_filter_is_refused():
    X, y = _blobs()
    ds = SMOTEDataset(X, y, seed=0)
    with pytest.raises(ValueError, match=r"filters nothing; pass safe=True or filter="):
        filter_report(ds.oversampler, ds.target_counts, seed=0, epoch=0)
    with pytest.raises(ValueError, match=r"filters nothing; pass safe=True or filter="):
        filter_agreement(ds.oversampler, ds.target_counts, seed=0, epoch=0)


def test_rows_that_exhaust_their_attempts_take_reserve_rows(monkeypatch):
    monkeypatch.setattr(filters, "MAX_ATTEMPTS", 2)
    X, y = _blobs(shift=1.0)
    ds = SMOTEDataset(X, y, oversampler=SMOTE(safe=True, filter_search="exact"), seed=0)
    report = filter_report(ds.oversampler, ds.target_counts, seed=0, epoch=0)
    assert report[1]["reserve_rows"] > 0
    rows, labels, _ = _synthetic(ds)
    assert len(rows) == ds.target_counts[1] and bool(_passes("safe", X, y, rows, labels).all())


def test_almost_nothing_accepted_fails_clearly_at_fit():
    g = torch.Generator().manual_seed(0)
    X = torch.randn(400, 3, generator=g, dtype=torch.float64)
    y = torch.zeros(400, dtype=torch.long)
    y[torch.randperm(400, generator=g)[:30]] = 1  # the minority scattered inside the majority
    with pytest.raises(ValueError, match=r"filter accepted \d+\.\d% of class 1's synthetic rows in a probe of 4096 draws .*at least 10% is needed.*lower safe_k"):
        SMOTEDataset(X, y, oversampler=SMOTE(safe=True), seed=0)
    with pytest.raises(ValueError, match=r"accepted .* use kind_sel='mode'.*filter_search='exact'"):
        SMOTEDataset(X, y, oversampler=SMOTE(filter=EditedNearestNeighbours()), seed=0)


# -- the bounded search against the exact one ----------------------------------------------------
def _keel_like():
    from sklearn.datasets import make_classification

    x, y = make_classification(
        n_samples=1484, n_features=8, n_informative=6, n_redundant=1, weights=[0.89],
        class_sep=0.8, flip_y=0.02, random_state=0,
    )
    X = torch.from_numpy(x)
    return ((X - X.mean(0)) / X.std(0)).float(), torch.from_numpy(y).long()


def _fraud_like(rows):
    from imbalance_torch.lightning.tables.builtin import make_fraud_like

    x, y, _ = make_fraud_like(rows, positive_fraction=0.01, seed=0)
    X = torch.from_numpy(x)
    return ((X - X.mean(0)) / X.std(0)).float(), torch.from_numpy(y)


# Measured here (SMOTE, 2,000 first draws): KEEL-like 99.9-100 %, fraud-like (20,000 rows at
# 1 % positives) 100 %, at most 0.1 % accepted by the bounded search alone; the floors sit a
# little below. benchmarks/filters.py measures the 200,000-row data (98.x-100 %).
@pytest.mark.parametrize("data", ["keel_like", "fraud_like"])
@pytest.mark.parametrize("rule", sorted(RULES))
def test_bounded_search_agrees_with_the_exact_one(data, rule):
    X, y = _keel_like() if data == "keel_like" else _fraud_like(20_000)
    oversampler = SMOTE().fit(X, y, {1: int((y == 0).sum() - (y == 1).sum())})
    for name, value in RULES[rule].items():
        setattr(oversampler, name, value)
    result = filter_agreement(oversampler, {1: 2000}, seed=0, epoch=0)
    assert result["rows"] == 2000
    assert result["agreement"] >= 0.99
    assert result["false_accept"] <= 0.01


def test_segment_distances_equal_gathered_distances():
    X, y = _keel_like()
    ds = SMOTEDataset(X.double(), y, oversampler=SMOTE(safe=True, filter=TomekLinks()), seed=0)
    fitted = ds.oversampler.filter_
    assert fitted.segments is not None
    oversampler = ds.oversampler
    draw = filters._per_row(oversampler.unfiltered_draw_at(torch.zeros(500, dtype=torch.long), torch.arange(500), oversampler.class_keys(0, 0)))
    rows = oversampler.rows(draw)
    along, near = fitted._candidate_nearest(rows, draw)
    fitted.segments = None
    gathered, near_gathered = fitted._candidate_nearest(rows, draw)
    torch.testing.assert_close(along, gathered, rtol=0, atol=1e-9)
    assert torch.equal(near, near_gathered)


# -- SMOTE-Tomek / SMOTE-ENN: the real rows cleaned at fit -------------------------------------
@pytest.mark.parametrize(
    "cleaner", [TomekLinks(sampling_strategy="all"), EditedNearestNeighbours(sampling_strategy="all")]
)
def test_smote_tomek_and_enn_recipe_cleans_real_rows_as_the_cleaner(cleaner):
    X, y = _blobs(shift=1.5)
    ds = SMOTEDataset(X, y, oversampler=SMOTE(filter=cleaner), seed=0)
    sampler = BalancedSampler(ds, cleaning=cleaner, seed=0)
    expected = type(cleaner)(**cleaner.get_params()).fit(X, y).sample_indices_
    assert torch.equal(sampler.kept_rows, expected) and len(expected) < len(y)
    served = torch.tensor(list(sampler))
    real = served[served < ds.num_real]
    assert torch.equal(torch.sort(real).values, expected)  # each kept row once, no dropped row
    synthetic = served[served >= ds.num_real]
    assert len(synthetic) == ds.num_synthetic
    rows, labels = ds[synthetic]
    assert bool((labels == 1).all())


# -- arguments -----------------------------------------------------------------------------------
def test_repr_and_params_carry_the_filter_and_index_files_ignore_it(tmp_path):
    assert repr(SMOTE()) == "SMOTE(k_neighbors=5, categorical_features=None)"
    assert "safe=True" in repr(SMOTE(safe=True)) and "filter=TomekLinks" in repr(SMOTE(filter=TomekLinks()))
    X, y = _blobs()
    ds = SMOTEDataset(X, y, oversampler=SMOTE(safe=True), seed=0)
    assert ds.oversampler.safe is True and ds.oversampler.filter_ is not None
    path = tmp_path / "index.npz"
    SMOTEDataset(X, y, seed=0).save_index(path)  # an unfiltered index loads under a filter
    loaded = SMOTEDataset(X, y, oversampler=SMOTE(safe=True), seed=0, index_path=path)
    assert torch.equal(_synthetic(loaded)[0], _synthetic(ds)[0])


def test_categorical_columns_are_filtered_with_gathered_distances():
    X, y = _blobs()
    X[:, 2] = torch.randint(0, 3, (len(y),), generator=torch.Generator().manual_seed(0)).double()
    ds = SMOTEDataset(X, y, oversampler=SMOTENC(categorical_features=[2], safe=True), seed=0)
    assert ds.oversampler.filter_.segments is None
    rows, labels, _ = _synthetic(ds)
    assert bool((rows[:, 2] == rows[:, 2].round()).all()) and len(rows) == ds.num_synthetic


def test_bad_filter_arguments_are_refused():
    X, y = _blobs()
    cases = [
        (TypeError, r"safe must be a bool; got 1", SMOTE(safe=1)),
        (TypeError, r"safe_k must be an int >= 1", SMOTE(safe=True, safe_k=2.5)),
        (ValueError, r"safe_k must be an int >= 1; got safe_k=0", SMOTE(safe=True, safe_k=0)),
        (ValueError, r"filter_search='fast' is not known; use 'candidates'", SMOTE(safe=True, filter_search="fast")),
        (TypeError, r"filter must be TomekLinks\(...\) or EditedNearestNeighbours\(...\).*got NearMiss", SMOTE(filter=NearMiss())),
        (TypeError, r"got RepeatedEditedNearestNeighbours.*BalancedSampler\(cleaning=...\)", BorderlineSMOTE(filter=RepeatedEditedNearestNeighbours())),
        (ValueError, r"kind_sel must be 'all'", ADASYN(filter=EditedNearestNeighbours(kind_sel="most"))),
        (ValueError, r"safe_k=400 needs at least 400 real rows; there are 340. Lower safe_k to 340", SMOTE(safe=True, safe_k=400)),
    ]
    for error, message, oversampler in cases:
        with pytest.raises(error, match=message):
            SMOTEDataset(X, y, oversampler=oversampler, seed=0)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.int64])
def test_half_precision_and_integer_features_are_filtered(dtype):
    X, y = _blobs(shift=2.0, dtype=torch.float32)
    X = (X * 10).round().to(dtype) if dtype == torch.int64 else X.to(dtype)
    ds = SMOTEDataset(X, y, oversampler=SMOTE(safe=True, filter_search="exact"), seed=0)
    rows, labels, _ = _synthetic(ds)
    assert rows.dtype == dtype and len(rows) == ds.num_synthetic
    assert bool(_passes("safe", X.double(), y, rows.double(), labels).all())
    bounded = SMOTEDataset(X, y, oversampler=SMOTE(safe=True), seed=0)
    assert (bounded.oversampler.filter_.segments is not None) == (dtype != torch.int64)
