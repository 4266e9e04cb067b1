"""BalancedSampler(cleaning=...): the cleaner runs once on the real rows; dropped rows are
never served (any epoch, rank, batch, stratified or not) and the counts say so."""

import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from imbalance_torch import (
    BalancedSampler,
    EditedNearestNeighbours,
    NearMiss,
    SMOTEDataset,
    TomekLinks,
)


def _data(seed=0, n=400, minority=60, classes=2):
    g = torch.Generator().manual_seed(seed)
    y = torch.zeros(n, dtype=torch.long)
    y[torch.randperm(n, generator=g)[:minority]] = 1
    if classes == 3:
        y[(y == 0).nonzero().squeeze(1)[:90]] = 2
    X = torch.randn(n, 3, generator=g, dtype=torch.float64) + 0.8 * y.unsqueeze(1)
    return X, y


def _served_real_rows(dataset, indices):
    if isinstance(dataset, SMOTEDataset):
        return indices[~dataset.provenance(indices)["is_synthetic"]]
    return indices


SETTINGS = [
    {},
    {"undersampling": "auto", "oversampling": None},
    {"stratify_batches": True, "batch_size": 16},
    {"batch_size": 7, "drop_last_batch": True},
    {"shuffle": False},
]


@pytest.mark.parametrize("settings", SETTINGS)
@pytest.mark.parametrize("num_replicas", [1, 2, 3])
@pytest.mark.parametrize("smote", [True, False])
def test_dropped_rows_are_never_served(settings, num_replicas, smote):
    X, y = _data(classes=3)
    dataset = SMOTEDataset(X, y) if smote else TensorDataset(X, y)
    extra = {} if smote else {"labels": y, "features": X}
    dropped = set(range(len(y))) - set(EditedNearestNeighbours().fit(X, y).sample_indices_.tolist())
    assert dropped
    for epoch in range(3):
        served = []
        for rank in range(num_replicas):
            sampler = BalancedSampler(dataset, cleaning=EditedNearestNeighbours(), num_replicas=num_replicas, rank=rank, seed=5, **extra, **settings)
            sampler.set_epoch(epoch)
            for batch in sampler:
                batch = torch.as_tensor(batch).reshape(-1)
                rows = set(_served_real_rows(dataset, batch).tolist())
                assert not rows & dropped
                served.append(batch)
        served = torch.cat(served)
        assert not set(_served_real_rows(dataset, served).tolist()) & dropped


def test_counts_follow_the_kept_rows():
    X, y = _data(classes=3)
    enn = EditedNearestNeighbours().fit(X, y)
    kept = enn.sample_indices_
    sampler = BalancedSampler(TensorDataset(X, y), labels=y, features=X, cleaning=EditedNearestNeighbours(), oversampling=None)
    assert torch.equal(sampler.kept_rows, kept)
    kept_counts = torch.bincount(y[kept], minlength=3).tolist()
    all_counts = torch.bincount(y, minlength=3).tolist()
    assert sampler.epoch_counts() == dict(enumerate(kept_counts))
    assert sampler.dropped_counts() == {c: all_counts[c] - kept_counts[c] for c in range(3)}
    assert sampler.dropped_counts()[1] == 0  # "auto" never cleans the minority
    epoch = sampler.epoch_indices(0)
    assert sorted(epoch.tolist()) == kept.tolist()  # every kept row once, nothing else
    assert sampler.epoch_size == len(kept)
    # over-sampling fills up to the largest class *after* cleaning
    balanced = BalancedSampler(TensorDataset(X, y), labels=y, features=X, cleaning=EditedNearestNeighbours())
    assert set(balanced.epoch_counts().values()) == {max(kept_counts)}
    served = balanced.epoch_indices(0)
    assert set(served.tolist()) <= set(kept.tolist())  # duplicates are drawn from kept rows


def test_smote_dataset_features_are_used_and_its_targets_served():
    X, y = _data()
    dataset = SMOTEDataset(X, y)
    sampler = BalancedSampler(dataset, cleaning=TomekLinks())
    kept = TomekLinks().fit(X, y).sample_indices_
    assert torch.equal(sampler.kept_rows, kept)
    assert sampler.added_counts() == {0: 0, 1: dataset.target_counts[1]}
    n0, n1 = torch.bincount(y[kept]).tolist()
    assert sampler.epoch_counts() == {0: n0, 1: n1 + dataset.target_counts[1]}
    idx = sampler.epoch_indices(0)
    provenance = dataset.provenance(idx)
    assert torch.equal(torch.sort(idx[~provenance["is_synthetic"]]).values, kept)


def test_dataloader_fast_path_serves_only_kept_rows():
    X, y = _data()
    ids = torch.arange(len(y))
    dataset = TensorDataset(ids, y)
    sampler = BalancedSampler(dataset, labels=y, features=X, cleaning=NearMiss(), oversampling=None, batch_size=32)
    assert sampler.epoch_counts() == {0: 60, 1: 60}
    assert sampler.dropped_counts() == {0: 280, 1: 0}
    seen = torch.cat([row_ids for row_ids, _ in DataLoader(dataset, sampler=sampler, batch_size=None)])
    assert torch.equal(torch.sort(seen).values, sampler.kept_rows)


def test_no_cleaning_keeps_every_row():
    X, y = _data()
    sampler = BalancedSampler(TensorDataset(X, y), labels=y)
    assert torch.equal(sampler.kept_rows, torch.arange(len(y)))
    assert sampler.dropped_counts() == {0: 0, 1: 0}
    assert sampler.state_dict()["dropped_counts"] == {} and sampler.state_dict()["kept_rows"] is None


def test_state_dict_carries_the_selection():
    X, y = _data()
    make = lambda cleaning: BalancedSampler(TensorDataset(X, y), labels=y, features=X, cleaning=cleaning, oversampling=None)  # noqa: E731
    cleaned = make(EditedNearestNeighbours())
    cleaned.set_epoch(4)
    state = cleaned.state_dict()
    assert state["dropped_counts"] == {"0": cleaned.dropped_counts()[0]}
    again = make(EditedNearestNeighbours())
    again.load_state_dict(state)
    assert again.epoch == 4 and torch.equal(again.epoch_indices(), cleaned.epoch_indices())
    with pytest.raises(ValueError, match="cannot restore a BalancedSampler state with epoch_size"):
        make(None).load_state_dict(state)
    # a state saved before cleaning existed (no selection keys) restores into an uncleaned sampler
    plain = make(None)
    old = {k: v for k, v in plain.state_dict().items() if k not in ("dropped_counts", "kept_rows")}
    plain.load_state_dict(old)
    # same counts, other rows: refused by the kept-rows digest
    other = make(EditedNearestNeighbours())
    forged = dict(state, kept_rows="0" * 16)
    with pytest.raises(ValueError, match="kept_rows"):
        other.load_state_dict(forged)


def test_cleaning_errors():
    X, y = _data()
    dataset = TensorDataset(X, y)
    with pytest.raises(TypeError, match=r"needs the features of every row.*features=X"):
        BalancedSampler(dataset, labels=y, cleaning=EditedNearestNeighbours())
    with pytest.raises(ValueError, match=r"features has 399 rows but the dataset has 400 real rows"):
        BalancedSampler(dataset, labels=y, features=X[:-1], cleaning=EditedNearestNeighbours())
    with pytest.raises(TypeError, match=r"cleaning must be a cleaning method .* got str 'enn'"):
        BalancedSampler(dataset, labels=y, features=X, cleaning="enn")
    BalancedSampler(dataset, labels=y, features=X[:-1], cleaning=None)  # features unused without cleaning
    with pytest.raises(ValueError, match=r"n_neighbors=400 needs at least 400 other rows per row, which has 399"):
        BalancedSampler(dataset, labels=y, features=X, cleaning=EditedNearestNeighbours(n_neighbors=400))
