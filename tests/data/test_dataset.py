"""SMOTEDataset: inputs, lengths, fetching, provenance, epochs."""

import pandas as pd
import pytest
import torch
from torch.utils.data import DataLoader

from imbalance_torch import (
    ADASYN,
    SMOTE,
    SMOTENC,
    BalancedSampler,
    BorderlineSMOTE,
    RandomOverSampler,
    SMOTEDataset,
)


def _data(n=200, minority=20, d=4, seed=0):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n, d, generator=g)
    y = torch.zeros(n, dtype=torch.long)
    y[torch.randperm(n, generator=g)[:minority]] = 1
    X[y == 1] += 0.7
    return X, y


def test_length_and_items():
    X, y = _data()
    ds = SMOTEDataset(X, y)
    assert ds.num_real == 200 and ds.num_synthetic == 160 and len(ds) == 360
    x0, y0 = ds[0]
    assert torch.equal(x0, X[0]) and y0 == y[0]
    xs, ys = ds[len(ds) - 1]
    assert xs.shape == (4,) and ys == 1
    with pytest.raises(IndexError, match="out of range"):
        ds[len(ds)]
    with pytest.raises(IndexError, match="out of range"):
        ds[-1]


def test_batched_fetch_equals_single_items():
    X, y = _data()
    ds = SMOTEDataset(X, y, seed=5)
    idx = torch.tensor([0, 250, 3, 359, 200, 199])
    batch_x, batch_y = ds[idx]
    for i, j in enumerate(idx.tolist()):
        xi, yi = ds[j]
        assert torch.equal(batch_x[i], xi) and batch_y[i] == yi
    items = ds.__getitems__(idx.tolist())
    assert all(torch.equal(a[0], b) for a, b in zip(items, batch_x))
    assert torch.equal(ds[200:205][0], ds[torch.arange(200, 205)][0])


@pytest.mark.parametrize("kind", ["numpy", "pandas", "float64", "int"])
def test_inputs_and_dtypes(kind):
    X, y = _data()
    if kind == "numpy":
        ds = SMOTEDataset(X.numpy(), y.numpy())
        assert ds[250][0].dtype == torch.float32
    elif kind == "pandas":
        frame = pd.DataFrame(X.numpy(), columns=list("abcd"))
        ds = SMOTEDataset(frame, pd.Series(y.numpy(), name="target"))
        assert ds[250][0].dtype == torch.float32
        assert torch.equal(ds[0][0], X[0])
    elif kind == "float64":
        ds = SMOTEDataset(X.double(), y.double())
        assert ds[250][0].dtype == torch.float64
    else:
        ds = SMOTEDataset((X * 100).long(), y)
        assert ds[250][0].dtype == torch.int64


def test_two_epochs_differ_and_repeat():
    X, y = _data()
    ds = SMOTEDataset(X, y, seed=1)
    syn = torch.arange(ds.num_real, len(ds))
    first = ds[syn][0]
    ds.set_epoch(1)
    second = ds[syn][0]
    ds.set_epoch(0)
    assert not torch.equal(first, second)
    assert torch.equal(first, ds[syn][0])


def test_provenance_explains_every_synthetic_row():
    X, y = _data()
    ds = SMOTEDataset(X, y, seed=2)
    idx = torch.arange(len(ds))
    rows, labels = ds[idx]
    prov = ds.provenance(idx)
    real = ~prov["is_synthetic"]
    assert torch.equal(prov["base_index"][real], idx[real]) and (prov["neighbor_index"][real] == -1).all()
    syn = prov["is_synthetic"]
    base, neighbor, gap = prov["base_index"][syn], prov["neighbor_index"][syn], prov["gap"][syn]
    assert (y[base] == 1).all() and (y[neighbor] == 1).all() and (base != neighbor).all()
    rebuilt = X[base] + gap[:, None].float() * (X[neighbor] - X[base])
    torch.testing.assert_close(rows[syn], rebuilt, rtol=1e-5, atol=1e-5)
    assert torch.equal(prov["label"], labels)
    assert (prov["epoch"][syn] == 0).all()


@pytest.mark.parametrize(
    "oversampler",
    [SMOTE(), BorderlineSMOTE(), BorderlineSMOTE(kind="borderline-2"), ADASYN(), RandomOverSampler(), SMOTENC(categorical_features=[3])],
)
def test_every_oversampler_through_the_loader(oversampler):
    X, y = _data(n=400, minority=60)
    X[:, 3] = (X[:, 3] > 0).float()
    ds = SMOTEDataset(X, y, oversampler=oversampler)
    loader = DataLoader(ds, sampler=BalancedSampler(ds, batch_size=64), batch_size=None)
    seen = torch.cat([yb for _, yb in loader])
    assert torch.bincount(seen).tolist() == [340, 340]


def test_multiclass_each_class_from_its_own_rows():
    g = torch.Generator().manual_seed(0)
    X = torch.randn(300, 3, generator=g)
    y = torch.tensor([0] * 200 + [1] * 60 + [2] * 40)
    X[y == 1] += 3
    X[y == 2] -= 3
    ds = SMOTEDataset(X, y, sampling_strategy={1: 100, 2: 120})
    assert ds.target_counts == {1: 40, 2: 80}
    prov = ds.provenance(torch.arange(300, len(ds)))
    assert torch.equal(y[prov["base_index"]], prov["label"])
    assert torch.equal(y[prov["neighbor_index"]], prov["label"])
    assert torch.bincount(prov["label"]).tolist() == [0, 40, 80]


def test_default_loader_path_works_without_a_sampler():
    X, y = _data()
    ds = SMOTEDataset(X, y)
    loader = DataLoader(ds, batch_size=32, shuffle=True)
    labels = torch.cat([yb for _, yb in loader])
    assert torch.bincount(labels).tolist() == [180, 180]


def test_one_oversampler_object_does_not_tie_two_datasets():
    X, y = _data()
    shared = SMOTE(k_neighbors=3)
    first = SMOTEDataset(X, y, oversampler=shared)
    before = first[torch.arange(200, 210)][0].clone()
    SMOTEDataset(X * 100, y, oversampler=shared)
    assert torch.equal(first[torch.arange(200, 210)][0], before)


def test_nothing_to_add_gives_no_synthetic_rows():
    X, y = _data()
    X[:, 3] = (X[:, 3] > 0).float()
    ds = SMOTEDataset(X, y, oversampler=SMOTENC(categorical_features=[3]), sampling_strategy={1: 20})
    assert ds.num_synthetic == 0 and len(ds) == 200


def test_mixed_dtype_frame_and_bfloat16_index(tmp_path):
    X, y = _data()
    frame = pd.DataFrame({"a": X[:, 0].double().numpy(), "b": X[:, 1].numpy(), "c": X[:, 2].numpy()})
    ds = SMOTEDataset(frame, y)
    assert ds.features.dtype == torch.float64
    half = SMOTEDataset(X.to(torch.bfloat16), y, oversampler=SMOTE(k_neighbors=3))
    half.save_index(tmp_path / "i.npz")
    again = SMOTEDataset(X.to(torch.bfloat16), y, oversampler=SMOTE(k_neighbors=3), index_path=tmp_path / "i.npz")
    idx = torch.arange(200, len(half))
    assert torch.equal(half[idx][0], again[idx][0])


def test_out_of_range_next_to_an_encoded_index():
    X, y = _data()
    ds = SMOTEDataset(X, y)
    encoded = ds.synthetic_indices(1, 1, epoch=0)
    with pytest.raises(IndexError, match="out of range"):
        ds[torch.cat([torch.tensor([len(ds) + 5]), encoded])]
    with pytest.raises(TypeError, match="got the bool True"):
        ds[True]


def test_fit_refuses_a_class_without_rows():
    X, y = _data()
    with pytest.raises(ValueError, match="class 5, which has no rows"):
        RandomOverSampler().fit(X, y, {5: 3})


@pytest.mark.parametrize("shuffle", [False, True])
def test_plain_dataloader_batches_equal_batched_fetch(shuffle):
    # NOTE [plain loader rows]: __getitems__ hands CPU labels to collate as ints; the collated
    # batch must be exactly the batched fetch, dtypes included.
    from torch.utils.data import DataLoader

    X, y = _data()
    ds = SMOTEDataset(X, y, seed=3)
    order = torch.randperm(len(ds), generator=torch.Generator().manual_seed(0)) if shuffle else torch.arange(len(ds))
    loader = DataLoader(ds, batch_size=64, sampler=order.tolist())  # a shuffled order, as shuffle=True
    start = 0
    for features, labels in loader:
        expected_x, expected_y = ds[order[start:start + len(labels)]]
        assert features.dtype == expected_x.dtype and labels.dtype == torch.int64
        assert torch.equal(features, expected_x) and torch.equal(labels, expected_y)
        start += len(labels)
    assert start == len(ds)
