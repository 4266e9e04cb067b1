"""One epoch mix (issue 9 a): the sampler serves a SMOTEDataset's own targets by default, an
explicit override is followed by the dataset, and two samplers never silently disagree."""

import pytest
import torch
from torch.utils.data import DataLoader

from imbalance_torch import BalancedSampler, SMOTEDataset


def _data(n_major=900, n_minor=100, seed=0):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n_major + n_minor, 4, generator=g)
    y = torch.cat([torch.zeros(n_major, dtype=torch.long), torch.ones(n_minor, dtype=torch.long)])
    return X, y


def _served(ds, sampler):
    loader = DataLoader(ds, sampler=sampler, batch_size=None)
    return torch.cat([labels for _, labels in loader])


@pytest.mark.parametrize("strategy,minority", [(1 / 3, 300), (0.5, 450), ("auto", 900), ({1: 250}, 250)])
def test_default_sampler_serves_the_dataset_targets(strategy, minority):
    X, y = _data()
    ds = SMOTEDataset(X, y, sampling_strategy=strategy, seed=0)
    sampler = BalancedSampler(ds, batch_size=1024)
    labels = _served(ds, sampler)
    assert torch.bincount(labels).tolist() == [900, minority]
    assert len(ds) == len(labels) == sampler.epoch_size == 900 + minority


def test_default_sampler_serves_dataset_targets_on_every_rank():
    X, y = _data()
    ds = SMOTEDataset(X, y, sampling_strategy=1 / 3, seed=0)
    total = torch.zeros(2, dtype=torch.long)
    for rank in range(3):
        sampler = BalancedSampler(ds, batch_size=64, num_replicas=3, rank=rank, drop_last=True)
        total += torch.bincount(_served(ds, sampler), minlength=2)
    assert total.tolist() == [900, 300]


def test_explicit_override_is_followed_by_the_dataset():
    X, y = _data()
    ds = SMOTEDataset(X, y, sampling_strategy=1 / 3, seed=0)
    sampler = BalancedSampler(ds, batch_size=256, undersampling={0: 300}, oversampling=1.0)
    labels = _served(ds, sampler)
    assert torch.bincount(labels).tolist() == [300, 300]
    # the dataset's length, targets and plain indices follow the sampler's counts
    assert ds.target_counts == {1: 200} and ds.num_synthetic == 200 and len(ds) == 1200
    assert ds[len(ds) - 1][1].item() == 1
    with pytest.raises(IndexError):
        ds[len(ds)]
    # a default sampler built later serves the same counts
    assert BalancedSampler(ds, batch_size=256).added_counts() == {0: 0, 1: 200}


def test_second_sampler_with_other_counts_is_refused_naming_both():
    X, y = _data()
    ds = SMOTEDataset(X, y, sampling_strategy=1 / 3, seed=0)
    BalancedSampler(ds, oversampling=0.5)
    with pytest.raises(ValueError, match=r"oversampling=1\.0\).*\{1: 800\}.*oversampling=0\.5\).*\{1: 350\}"):
        BalancedSampler(ds, oversampling=1.0)
    BalancedSampler(ds, oversampling=0.5, num_replicas=2, rank=1)  # same counts: fine


def test_agreeing_explicit_value_changes_nothing():
    X, y = _data()
    ds = SMOTEDataset(X, y, sampling_strategy=0.5, seed=0)
    BalancedSampler(ds, oversampling=0.5)
    assert ds.num_synthetic == 350
    BalancedSampler(ds, oversampling=1.0)  # no earlier override: this one is followed
    assert ds.num_synthetic == 800


def test_other_datasets_default_to_auto():
    from torch.utils.data import TensorDataset

    X, y = _data()
    sampler = BalancedSampler(TensorDataset(X, y), labels=y)
    assert sampler.epoch_counts() == {0: 900, 1: 900}
