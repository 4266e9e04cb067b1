"""One (seed, epoch) gives the same rows however the data is loaded."""

import pytest
import torch
from torch.utils.data import DataLoader

from imbalance_torch import BalancedSampler, SMOTEDataset


def _dataset():
    g = torch.Generator().manual_seed(0)
    X = torch.randn(300, 3, generator=g)
    y = (torch.arange(300) % 10 == 0).long()
    X[y == 1] += 1.0
    return SMOTEDataset(X, y, seed=11)


def _sorted_rows(rows):
    rows = rows.double()
    for column in reversed(range(rows.shape[1])):
        rows = rows[rows[:, column].argsort(stable=True)]
    return rows


def _epoch_rows(ds, epoch, *, batch_size, num_workers=0, persistent=False, world=1, sampler_batches=True, loader=None):
    rows = []
    for rank in range(world):
        sampler = BalancedSampler(ds, batch_size=batch_size if sampler_batches else None, num_replicas=world, rank=rank, drop_last=True)
        sampler.set_epoch(epoch)
        if sampler_batches:
            dl = DataLoader(ds, sampler=sampler, batch_size=None, num_workers=num_workers, persistent_workers=persistent)
        else:
            dl = DataLoader(ds, sampler=sampler, batch_size=batch_size, num_workers=num_workers, persistent_workers=persistent)
        rows.append(torch.cat([x for x, _ in dl]))
    return _sorted_rows(torch.cat(rows))


@pytest.fixture(scope="module")
def dataset():
    return _dataset()


@pytest.fixture(scope="module")
def reference(dataset):
    return _epoch_rows(dataset, 3, batch_size=64)


@pytest.mark.parametrize("batch_size", [1, 7, 1024])
@pytest.mark.parametrize("sampler_batches", [True, False])
def test_batch_size_does_not_change_the_epoch(dataset, reference, batch_size, sampler_batches):
    assert torch.equal(_epoch_rows(dataset, 3, batch_size=batch_size, sampler_batches=sampler_batches), reference)


@pytest.mark.parametrize("persistent", [False, True])
def test_workers_do_not_change_the_epoch(dataset, reference, persistent):
    assert torch.equal(_epoch_rows(dataset, 3, batch_size=64, num_workers=2, persistent=persistent), reference)


def test_world_size_three_unions_to_the_epoch(dataset, reference):
    # 540 rows: a multiple of 3, so nothing is dropped or padded
    assert len(reference) % 3 == 0
    assert torch.equal(_epoch_rows(dataset, 3, batch_size=64, world=3), reference)


def test_epochs_differ_with_persistent_workers(dataset):
    sampler = BalancedSampler(dataset, batch_size=64)
    dl = DataLoader(dataset, sampler=sampler, batch_size=None, num_workers=2, persistent_workers=True)
    epochs = []
    for epoch in range(3):
        sampler.set_epoch(epoch)
        epochs.append(_sorted_rows(torch.cat([x for x, _ in dl])))
    real = _sorted_rows(dataset.features)
    for a, b in [(0, 1), (1, 2), (0, 2)]:
        assert not torch.equal(epochs[a], epochs[b])
    for rows in epochs:  # the real rows are the same every epoch
        assert len(rows) == len(real) + 240
    sampler.set_epoch(1)
    assert torch.equal(_sorted_rows(torch.cat([x for x, _ in dl])), epochs[1])


def test_restored_sampler_reproduces_the_next_epoch_exactly(dataset):
    sampler = BalancedSampler(dataset, batch_size=50, seed=9)
    sampler.set_epoch(4)
    state = sampler.state_dict()
    dl = DataLoader(dataset, sampler=sampler, batch_size=None)
    expected = [x for x, _ in dl]
    restored = BalancedSampler(_dataset(), batch_size=50, seed=9)
    restored.load_state_dict(state)
    got = [x for x, _ in DataLoader(restored.dataset, sampler=restored, batch_size=None)]
    assert all(torch.equal(a, b) for a, b in zip(expected, got)) and len(expected) == len(got)
