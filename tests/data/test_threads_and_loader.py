"""CPU generation threads (NOTE [generation threads]) and the one-call fast path."""

import pytest
import torch
from torch.utils.data import DataLoader

from imbalance_torch import BalancedSampler, SMOTEDataset


def _data():
    g = torch.Generator().manual_seed(0)
    X = torch.randn(400, 5, generator=g)
    y = torch.cat([torch.zeros(360, dtype=torch.long), torch.ones(40, dtype=torch.long)])
    return X, y


@pytest.fixture
def two_threads():
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(before)


def test_fetch_runs_in_one_thread_and_restores_the_setting(two_threads, monkeypatch):
    X, y = _data()
    ds = SMOTEDataset(X, y, seed=0)
    seen = []
    generate = ds.oversampler.rows_at

    def spy(*args, **kwargs):
        seen.append(torch.get_num_threads())
        return generate(*args, **kwargs)

    monkeypatch.setattr(ds.oversampler, "rows_at", spy)
    ds.fetch(torch.arange(350, 500))
    assert seen == [1] and torch.get_num_threads() == 2
    keep = SMOTEDataset(X, y, seed=0, num_threads=None)
    monkeypatch.setattr(keep.oversampler, "rows_at", spy)
    keep.fetch(torch.arange(350, 500))
    assert seen[-1] == 2


def test_threads_do_not_change_the_rows(two_threads):
    X, y = _data()
    a = SMOTEDataset(X, y, seed=0).fetch(torch.arange(720))
    b = SMOTEDataset(X, y, seed=0, num_threads=None).fetch(torch.arange(720))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])


def test_restored_after_an_error(two_threads):
    X, y = _data()
    ds = SMOTEDataset(X, y, seed=0)
    with pytest.raises(IndexError):
        ds.fetch(torch.tensor([10_000]))
    assert torch.get_num_threads() == 2


@pytest.mark.parametrize("bad,error", [(0, ValueError), (True, TypeError), (1.5, TypeError)])
def test_num_threads_checked(bad, error):
    X, y = _data()
    with pytest.raises(error, match="num_threads"):
        SMOTEDataset(X, y, num_threads=bad)


def test_dataloader_is_the_sampler_fast_path():
    X, y = _data()
    ds = SMOTEDataset(X, y, seed=3, sampling_strategy=0.5)
    loader = ds.dataloader(batch_size=64, stratify_batches=True)
    assert isinstance(loader, DataLoader) and isinstance(loader.sampler, BalancedSampler)
    assert loader.sampler.seed == 3
    loader.sampler.set_epoch(1)
    labels = torch.cat([yb for _, yb in loader])
    assert torch.bincount(labels).tolist() == [360, 180] and len(labels) == len(ds)
    by_hand = DataLoader(ds, sampler=BalancedSampler(ds, batch_size=64, seed=3, stratify_batches=True), batch_size=None)
    by_hand.sampler.set_epoch(1)
    assert all(torch.equal(a[0], b[0]) for a, b in zip(loader, by_hand))
    with pytest.raises(TypeError, match=r"sets \['sampler'\] itself"):
        ds.dataloader(batch_size=8, sampler=None)
