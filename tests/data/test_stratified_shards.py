"""Stratified batches on every DDP rank (issue 9 c): each rank's batches each hold the epoch's
class mix within one row per class; the union is the epoch."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.utils.data import TensorDataset

from imbalance_torch import BalancedSampler, SMOTEDataset


def _labels(counts, seed=0):
    y = torch.cat([torch.full((n,), c) for c, n in enumerate(counts)])
    return y[torch.randperm(len(y), generator=torch.Generator().manual_seed(seed))]


def _check_batches(y_of, batches, counts):
    """Every full batch holds each class's epoch share within one row; returns the union."""
    total = sum(counts)
    for batch in batches:
        got = torch.bincount(y_of(batch), minlength=len(counts))
        for c, n in enumerate(counts):
            expected = len(batch) * n / total
            assert abs(int(got[c]) - expected) <= 1 + 1e-9, (got.tolist(), expected, len(batch))


@pytest.mark.parametrize("world,ratio", [(2, 1.0), (3, 0.5), (4, 1 / 3), (8, 1.0)])
def test_reported_cases_each_rank_holds_the_mix(world, ratio):
    y = _labels([900, 100])
    ds = TensorDataset(y)
    for rank in range(world):
        s = BalancedSampler(ds, labels=y, oversampling=ratio, batch_size=48, stratify_batches=True, num_replicas=world, rank=rank)
        counts = list(s.epoch_counts().values())
        batches = list(s)
        minority = torch.cat([y[b] for b in batches]).float().mean().item()
        assert abs(minority - counts[1] / sum(counts)) < 0.02, (rank, minority)
        _check_batches(lambda b: y[b], batches, counts)


@settings(max_examples=60, deadline=None)
@given(
    counts=st.lists(st.integers(3, 120), min_size=2, max_size=4),
    world=st.integers(1, 8),
    batch=st.integers(2, 40),
    over=st.sampled_from(["auto", None, "minority"]),
    drop_last=st.booleans(),
    epoch=st.integers(0, 20),
)
def test_every_rank_and_batch_holds_the_mix(counts, world, batch, over, drop_last, epoch):
    y = _labels(counts, seed=epoch)
    ds = TensorDataset(y)
    shards = []
    for rank in range(world):
        s = BalancedSampler(ds, labels=y, oversampling=over, batch_size=batch, stratify_batches=True,
                            num_replicas=world, rank=rank, drop_last=drop_last, seed=5)
        s.set_epoch(epoch)
        batches = list(s)
        mix = list(s.epoch_counts().values())
        # padding rows (repeats of the epoch's start) sit at the end of the last rank's shard,
        # in its last batch or two; batches holding them are exempt
        real = min(s.num_samples, s.epoch_size - rank * s.num_samples)
        unpadded = [b for i, b in enumerate(batches) if i * batch + len(b) <= real]
        assert len(batches) - len(unpadded) <= (0 if drop_last else -(-(world - 1) // batch) + 1)
        _check_batches(lambda b: y[b], unpadded, mix)
        shards.append(torch.cat(batches))
    assert len({len(sh) for sh in shards}) == 1
    epoch_list = s.epoch_indices(epoch)
    union = torch.cat(shards)
    n = len(epoch_list)
    if drop_last:
        assert torch.equal(union, epoch_list[: len(union)])
    else:
        assert torch.equal(union[:n], epoch_list)


def test_smote_dataset_ranks_hold_the_mix_and_resume_mid_epoch():
    g = torch.Generator().manual_seed(0)
    X = torch.randn(1000, 3, generator=g)
    y = torch.cat([torch.zeros(900, dtype=torch.long), torch.ones(100, dtype=torch.long)])
    ds = SMOTEDataset(X, y, sampling_strategy=0.5, seed=0)
    for rank in range(3):
        s = BalancedSampler(ds, batch_size=30, stratify_batches=True, num_replicas=3, rank=rank)
        s.set_epoch(2)
        batches = list(s)
        _check_batches(lambda b: ds[b][1], batches, [900, 450])
        # the mid-epoch resume path skips batches of the same iteration: the rest still hold the mix
        restored = BalancedSampler(ds, batch_size=30, stratify_batches=True, num_replicas=3, rank=rank)
        restored.load_state_dict(s.state_dict())
        rest = list(restored)[4:]
        assert all(torch.equal(a, b) for a, b in zip(rest, batches[4:]))
        _check_batches(lambda b: ds[b][1], rest, [900, 450])
