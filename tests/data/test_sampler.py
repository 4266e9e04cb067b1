"""BalancedSampler: exact counts, shards, batches, state."""

import pytest
import torch
from hypothesis import assume, given
from hypothesis import strategies as st
from torch.utils.data import DataLoader, DistributedSampler, TensorDataset

from imbalance_torch import BalancedSampler, SMOTEDataset


def _labels(counts):
    return torch.cat([torch.full((n,), c) for c, n in enumerate(counts)])[torch.randperm(sum(counts), generator=torch.Generator().manual_seed(0))]


def test_is_a_distributed_sampler():
    y = _labels([50, 10])
    assert isinstance(BalancedSampler(TensorDataset(y), labels=y), DistributedSampler)


def test_over_under_and_both():
    y = _labels([1000, 50])
    ds = TensorDataset(torch.arange(1050), y)
    assert BalancedSampler(ds, labels=y).epoch_counts() == {0: 1000, 1: 1000}
    assert BalancedSampler(ds, labels=y, oversampling=None, undersampling="auto").epoch_counts() == {0: 50, 1: 50}
    with pytest.raises(ValueError, match="would add no rows"):  # 50:100 is already above 1:3
        BalancedSampler(ds, labels=y, undersampling={0: 100}, oversampling=1 / 3)
    both = BalancedSampler(ds, labels=y, undersampling={0: 300}, oversampling=1 / 3)
    assert both.epoch_counts() == {0: 300, 1: int(300 * (1 / 3))}
    idx = torch.tensor(list(both))
    assert torch.bincount(y[idx]).tolist() == [300, int(300 * (1 / 3))]
    assert len(set(idx[y[idx] == 0].tolist())) == 300  # under-sampling draws without replacement


def test_undersampled_rows_change_every_epoch():
    y = _labels([1000, 50])
    s = BalancedSampler(TensorDataset(y), labels=y, undersampling="auto", oversampling=None)
    a = set(s.epoch_indices(0).tolist())
    b = set(s.epoch_indices(1).tolist())
    assert a != b and len(a) == len(b) == 100


def test_synthetic_slots_on_smote_dataset():
    g = torch.Generator().manual_seed(0)
    X = torch.randn(300, 3, generator=g)
    y = (torch.arange(300) < 30).long()
    ds = SMOTEDataset(X, y)
    s = BalancedSampler(ds, undersampling={0: 150}, oversampling=1.0)
    idx = s.epoch_indices(0)
    prov = ds.provenance(idx)
    assert int(prov["is_synthetic"].sum()) == 120
    assert torch.bincount(prov["label"]).tolist() == [150, 150]
    assert len(set(idx.tolist())) == len(idx)


def test_ratio_needs_fitted_class():
    g = torch.Generator().manual_seed(0)
    y = torch.tensor([0] * 100 + [1] * 20 + [2] * 20)
    ds = SMOTEDataset(torch.randn(140, 2, generator=g), y, sampling_strategy={1: 100})
    assert BalancedSampler(ds).epoch_counts() == {0: 100, 1: 100, 2: 20}  # the dataset's own mix
    with pytest.raises(ValueError, match=r"adds rows to class\(es\) \[2\]"):
        BalancedSampler(ds, oversampling="auto")


@given(
    counts=st.lists(st.integers(1, 60), min_size=2, max_size=5),
    world=st.integers(1, 4),
    batch=st.one_of(st.none(), st.integers(1, 17)),
    epoch=st.integers(0, 50),
    drop_last=st.booleans(),
    stratify=st.booleans(),
)
def test_shards_are_disjoint_equal_and_cover_the_epoch(counts, world, batch, epoch, drop_last, stratify):
    y = _labels(counts)
    ds = TensorDataset(y)
    kwargs = dict(labels=y, seed=3, batch_size=batch, drop_last=drop_last, stratify_batches=stratify)
    assume(not (drop_last and max(counts) * len(counts) < world))  # refused: no row per rank
    full = BalancedSampler(ds, **kwargs)
    full.set_epoch(epoch)
    epoch_list = full.epoch_indices()
    assert torch.bincount(y[epoch_list], minlength=len(counts)).tolist() == [max(counts)] * len(counts)
    assert int(epoch_list.min()) >= 0 and int(epoch_list.max()) < len(y)
    shards = []
    for rank in range(world):
        s = BalancedSampler(ds, num_replicas=world, rank=rank, **kwargs)
        s.set_epoch(epoch)
        items = list(s)
        assert len(items) == len(s)
        flat = torch.cat(items) if batch else torch.tensor(items)
        shards.append(flat)
    assert len({len(sh) for sh in shards}) == 1
    # rank-interleaved order = epoch order; stratified: rank-after-rank windows of an order
    # made for this world and batch size, holding the same rows (NOTE [stratified shards])
    if stratify:
        world_list = s.epoch_indices()
        assert torch.equal(world_list.sort().values, epoch_list.sort().values)
        epoch_list = world_list
    positions = torch.cat(shards) if stratify else torch.stack(shards, 1).flatten()
    n = len(epoch_list)
    if drop_last:
        assert torch.equal(positions, epoch_list[: len(positions)]) and n - len(positions) < world
    else:
        assert torch.equal(positions[:n], epoch_list) and len(positions) - n < world


def test_stratified_batches_hold_the_mix():
    y = _labels([900, 300])
    s = BalancedSampler(TensorDataset(y), labels=y, oversampling=None, batch_size=40, stratify_batches=True)
    for batch in s:
        counts = torch.bincount(y[batch], minlength=2)
        if len(batch) == 40:
            assert abs(int(counts[1]) - 10) <= 1


def test_state_dict_restores_the_next_epoch():
    y = _labels([100, 10])
    a = BalancedSampler(TensorDataset(y), labels=y, seed=4)
    a.set_epoch(7)
    state = a.state_dict()
    expected = list(a)
    b = BalancedSampler(TensorDataset(y), labels=y, seed=4)
    b.load_state_dict(state)
    assert list(b) == expected
    c = BalancedSampler(TensorDataset(y), labels=y, seed=5)
    with pytest.raises(ValueError, match="seed=4"):
        c.load_state_dict(state)


def test_fast_path_on_tensor_dataset():
    y = _labels([100, 10])
    X = torch.arange(110).float()[:, None]
    ds = TensorDataset(X, y)
    loader = DataLoader(ds, sampler=BalancedSampler(ds, labels=y, batch_size=50), batch_size=None)
    labels = torch.cat([yb for _, yb in loader])
    assert torch.bincount(labels).tolist() == [100, 100]


def test_no_2_to_the_24_limit():
    n = 2**24 + 10
    y = torch.zeros(n, dtype=torch.int8)
    y[:5] = 1
    s = BalancedSampler(range(n), labels=y, oversampling={1: 1000}, batch_size=2**20)
    assert s.epoch_counts() == {0: n - 5, 1: 1000}
    assert len(s.epoch_indices(0)) == n - 5 + 1000


@given(
    counts=st.lists(st.integers(2, 80), min_size=2, max_size=4),
    over=st.sampled_from(["auto", "minority", "not minority", "all", None]),
    under=st.sampled_from([None, "auto", "majority", "not majority", "all"]),
    world=st.integers(1, 3),
    batch=st.one_of(st.none(), st.integers(1, 9)),
)
def test_counts_match_the_targets_for_any_strategy(counts, over, under, world, batch):
    from imbalance_torch.targets import oversampling_targets, undersampling_targets

    y = _labels(counts)
    keep = {c: n for c, n in enumerate(counts)}
    if under is not None:
        keep.update(undersampling_targets(y, under))
    add = {}
    if over is not None:
        kept = torch.repeat_interleave(torch.tensor(list(keep)), torch.tensor(list(keep.values())))
        add = oversampling_targets(kept, over)
    expected = [keep[c] + add.get(c, 0) for c in range(len(counts))]
    seen = []
    for rank in range(world):
        s = BalancedSampler(TensorDataset(y), labels=y, oversampling=over, undersampling=under, batch_size=batch, num_replicas=world, rank=rank, drop_last=True, seed=1)
        items = list(s)
        flat = torch.cat(items) if batch else torch.tensor(items, dtype=torch.long)
        assert flat.numel() == 0 or (int(flat.min()) >= 0 and int(flat.max()) < len(y))
        seen.append(flat)
    assert torch.bincount(y[s.epoch_indices()], minlength=len(counts)).tolist() == expected
    union = torch.cat(seen)
    assert len(union) == sum(expected) - sum(expected) % world


def test_state_from_another_configuration_is_refused():
    y = _labels([100, 10])
    a = BalancedSampler(TensorDataset(y), labels=y, seed=4)
    b = BalancedSampler(TensorDataset(y), labels=y, seed=4, shuffle=False)
    with pytest.raises(ValueError, match="shuffle=True"):
        b.load_state_dict(a.state_dict())
    with pytest.raises(ValueError, match="drop_last_batch=True needs batch_size"):
        BalancedSampler(TensorDataset(y), labels=y, drop_last_batch=True)
