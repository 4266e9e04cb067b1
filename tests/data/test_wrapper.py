"""SMOTEDataset wrapping a map-style Dataset: reading, structure, fields, weights, ids, errors."""

import numpy as np
import pytest
import torch
from torch.utils.data import ConcatDataset, DataLoader, Dataset, Subset, TensorDataset

from imbalance_torch import SMOTE, SMOTENC, BalancedSampler, RandomOverSampler, SMOTEDataset

N, MINORITY = 120, 16


def _arrays(seed=0):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(N, 3, generator=g)
    y = torch.zeros(N, dtype=torch.long)
    y[torch.randperm(N, generator=g)[:MINORITY]] = 1
    X[y == 1] += 1.0
    return X, y


class Rows(Dataset):
    """A user's own dataset of dict items, counting how it is read."""

    def __init__(self, fields, batched=True):
        self.fields = fields
        self.item_calls = 0
        self.batch_calls = 0
        if batched:
            self.__getitems__ = self._getitems

    def __len__(self):
        return len(next(iter(self.fields.values())))

    def _row(self, i):
        return {key: value[i] for key, value in self.fields.items()}

    def __getitem__(self, i):
        self.item_calls += 1
        return self._row(i)

    def _getitems(self, indices):
        self.batch_calls += 1
        return [self._row(i) for i in indices]


def _user_dataset(batched=True):
    X, y = _arrays()
    fields = {
        "x": X,
        "amount": torch.arange(N, dtype=torch.float64) * 10,
        "y": y.float(),  # whole-number floats are labels
        "w": torch.linspace(0.5, 2.0, N),
        "card_id": torch.arange(N) + 5000,
    }
    return Rows(fields, batched=batched), X, y


def _wrap(dataset, **kwargs):
    args = {"features": ["x", "amount"], "label": "y", "sample_weight": "w", "ids": "card_id"}
    args.update(kwargs)
    return SMOTEDataset(dataset, oversampler=SMOTE(k_neighbors=3), seed=0, **args)


# -- structure ---------------------------------------------------------------------------


def test_tuple_dataset_matches_the_array_path():
    X, y = _arrays()
    wrapped = SMOTEDataset(TensorDataset(X, y), seed=3)
    arrays = SMOTEDataset(X, y, seed=3)
    index = torch.arange(len(arrays))
    assert len(wrapped) == len(arrays)
    for got, want in zip(wrapped[index], arrays[index]):
        assert torch.equal(got, want)
    item = wrapped[len(wrapped) - 1]
    assert isinstance(item, tuple) and len(item) == 2 and item[0].shape == (3,)


def test_dict_items_keep_keys_shapes_and_dtypes_for_real_and_synthetic_rows():
    dataset, _, _ = _user_dataset()
    ds = _wrap(dataset)
    real, synthetic = ds[0], ds[len(ds) - 1]
    for item in (real, synthetic):
        assert list(item) == ["x", "amount", "y", "w", "card_id"]
        assert item["x"].shape == (3,) and item["x"].dtype == torch.float32
        assert item["amount"].shape == () and item["amount"].dtype == torch.float64
        assert item["y"].dtype == torch.float32 and item["card_id"].dtype == torch.int64
    assert torch.equal(real["x"], dataset.fields["x"][0]) and real["card_id"] == 5000
    assert synthetic["y"] == 1 and synthetic["card_id"] == -1
    batch = ds[torch.tensor([0, 1, len(ds) - 1])]
    assert batch["x"].shape == (3, 3) and batch["amount"].shape == (3,)


def test_fast_path_yields_one_dict_of_batched_tensors_per_batch():
    dataset, _, _ = _user_dataset()
    ds = _wrap(dataset)
    loader = DataLoader(ds, sampler=BalancedSampler(ds, batch_size=32, seed=0), batch_size=None)
    batches = list(loader)
    assert all(set(b) == {"x", "amount", "y", "w", "card_id"} for b in batches)
    labels = torch.cat([b["y"] for b in batches])
    assert int((labels == 1).sum()) == int((labels == 0).sum()) == N - MINORITY
    # the collate path (batch_size=k) gives the same dict of stacked tensors
    collated = next(iter(DataLoader(ds, batch_size=8)))
    assert collated["x"].shape == (8, 3) and torch.equal(collated["card_id"], torch.arange(8) + 5000)


def test_synthetic_features_are_interpolated_and_match_the_array_engine():
    dataset, X, y = _user_dataset()
    ds = _wrap(dataset)
    index = torch.arange(N, len(ds))
    items, prov = ds[index], ds.provenance(index)
    base, neighbor, gap = prov["base_index"], prov["neighbor_index"], prov["gap"]
    want = X[base] + gap.float().unsqueeze(1) * (X[neighbor] - X[base])
    assert torch.allclose(items["x"], want, atol=1e-5)
    amount = dataset.fields["amount"]
    assert torch.allclose(items["amount"], amount[base] + gap * (amount[neighbor] - amount[base]))
    engine = torch.cat([X, amount.unsqueeze(1).float()], 1)
    arrays = SMOTEDataset(engine, y, oversampler=SMOTE(k_neighbors=3), seed=0)
    assert torch.allclose(arrays[index][0][:, :3], items["x"], atol=1e-5)


# -- reading -----------------------------------------------------------------------------


def test_one_batched_read_when_getitems_exists():
    dataset, _, _ = _user_dataset()
    _wrap(dataset)
    assert dataset.batch_calls == 1 and dataset.item_calls == 0


def test_reads_in_chunks_of_read_batch_size():
    dataset, _, _ = _user_dataset()
    _wrap(dataset, read_batch_size=50)
    assert dataset.batch_calls == 3 and dataset.item_calls == 0


def test_without_getitems_each_row_is_one_call():
    dataset, _, _ = _user_dataset(batched=False)
    _wrap(dataset)
    assert dataset.item_calls == N


def test_subset_reads_through_its_parents_getitems():
    dataset, X, _ = _user_dataset()
    rows = torch.randperm(N, generator=torch.Generator().manual_seed(1))[:90]
    rows = torch.cat([rows, (dataset.fields["y"] == 1).nonzero().flatten()]).unique()
    ds = _wrap(Subset(dataset, rows.tolist()))
    assert dataset.batch_calls == 1 and dataset.item_calls == 0
    assert ds.num_real == len(rows)
    real = ds[torch.arange(len(rows))]
    assert torch.equal(real["x"], X[rows]) and torch.equal(real["card_id"], rows + 5000)


def test_concat_dataset_in_order():
    first, X, y = _user_dataset()
    second, _, _ = _user_dataset()
    ds = _wrap(ConcatDataset([first, second]))
    assert ds.num_real == 2 * N
    assert (first.batch_calls, second.batch_calls, first.item_calls, second.item_calls) == (1, 1, 0, 0)
    real = ds[torch.arange(2 * N)]
    assert torch.equal(real["x"], torch.cat([X, X]))
    assert torch.equal(real["card_id"], torch.cat([dataset.fields["card_id"] for dataset in (first, second)]))


def test_subset_of_a_concat_dataset_reads_each_part_batched():
    first, X, _ = _user_dataset()
    second, _, _ = _user_dataset(batched=False)
    rows = list(range(N - 40, N + 40)) + (first.fields["y"] == 1).nonzero().flatten().tolist()
    ds = _wrap(Subset(ConcatDataset([first, second]), rows))
    assert first.batch_calls == 1 and first.item_calls == 0 and second.item_calls == 40
    assert torch.equal(ds[torch.arange(len(rows))]["x"], torch.cat([X, X])[rows])


def test_a_subclass_of_subset_is_read_through_its_own_getitem():
    class Scaled(Subset):
        def __getitem__(self, i):
            item = dict(super().__getitem__(i))
            item["x"] = item["x"] * 2
            return item

        def __getitems__(self, indices):  # torch requires it beside an overridden __getitem__
            return [self[i] for i in indices]

    dataset, X, _ = _user_dataset()
    ds = _wrap(Scaled(dataset, list(range(N))))
    assert torch.equal(ds[torch.arange(N)]["x"], X * 2)


def test_labels_passed_directly_are_not_read_from_items():
    dataset, _, y = _user_dataset()
    del dataset.fields["y"]
    ds = SMOTEDataset(dataset, y, features="x", other_fields={"amount": "drop", "w": "drop", "card_id": "drop"})
    item = ds[len(ds) - 1]
    assert list(item) == ["x", "label"] and item["label"] == 1
    assert torch.equal(ds.labels, y)


# -- weights, ids, other fields ----------------------------------------------------------


def test_weight_policy_base_gives_the_base_rows_weight():
    dataset, _, _ = _user_dataset()
    ds = _wrap(dataset)
    index = torch.arange(len(ds))
    weights, prov = ds[index]["w"], ds.provenance(index)
    assert torch.equal(weights, dataset.fields["w"][prov["base_index"]])


def test_weight_policy_interpolate_takes_the_features_step():
    dataset, _, _ = _user_dataset()
    ds = _wrap(dataset, weight_policy="interpolate")
    index = torch.arange(N, len(ds))
    weights, prov = ds[index]["w"], ds.provenance(index)
    w, base, neighbor, gap = dataset.fields["w"], prov["base_index"], prov["neighbor_index"], prov["gap"]
    assert torch.allclose(weights, w[base] + gap.float() * (w[neighbor] - w[base]))
    assert torch.equal(ds[torch.arange(N)]["w"], w)  # real rows keep their own weight


def test_interpolated_weight_without_a_neighbour_is_the_base_weight():
    dataset, _, _ = _user_dataset()
    ds = SMOTEDataset(
        dataset, features="x", label="y", sample_weight="w", ids="card_id",
        other_fields={"amount": "base"}, oversampler=RandomOverSampler(), weight_policy="interpolate",
    )
    index = torch.arange(N, len(ds))
    assert torch.equal(ds[index]["w"], dataset.fields["w"][ds.provenance(index)["base_index"]])


def test_sample_weight_and_ids_as_arrays_with_array_features():
    X, y = _arrays()
    weights = torch.rand(N, generator=torch.Generator().manual_seed(2))
    ds = SMOTEDataset(X, y, sample_weight=weights, ids=torch.arange(N) * 2)
    features, labels, w, ids = ds[torch.tensor([0, len(ds) - 1])]
    assert torch.equal(features[0], X[0]) and labels.tolist() == [int(y[0]), 1]
    assert w[0] == weights[0] and ids.tolist() == [0, -1]
    plain = SMOTEDataset(X, y)
    assert torch.equal(ds.fetch(torch.arange(len(ds)))[0], plain.fetch(torch.arange(len(plain)))[0])


def test_provenance_maps_synthetic_rows_to_their_parents_ids():
    dataset, _, _ = _user_dataset()
    ds = _wrap(dataset)
    index = torch.tensor([3, N, N + 7, len(ds) - 1])
    prov = ds.provenance(index)
    card = dataset.fields["card_id"]
    assert prov["id"].tolist() == [5003, -1, -1, -1]
    assert torch.equal(prov["base_id"], card[prov["base_index"]])
    assert prov["neighbor_id"][0] == -1
    assert torch.equal(prov["neighbor_id"][1:], card[prov["neighbor_index"][1:]])
    assert torch.equal(ds[index]["card_id"], prov["id"])


def test_other_field_policies():
    dataset, _, _ = _user_dataset()
    dataset.fields["note"] = [f"row {i}" for i in range(N)]
    dataset.fields["score"] = torch.rand(N, 2, dtype=torch.float64)
    ds = SMOTEDataset(
        dataset, features="x", label="y",
        other_fields={"amount": "drop", "w": "base", "card_id": "base", "note": "base", "score": "interpolate"},
        oversampler=SMOTE(k_neighbors=3),
    )
    index = torch.arange(N - 2, N + 3)
    items, prov = ds[index], ds.provenance(index)
    assert list(items) == ["x", "y", "w", "card_id", "note", "score"]
    base, neighbor, gap = prov["base_index"], prov["neighbor_index"].clamp(min=0), prov["gap"]
    assert items["note"] == [f"row {int(b)}" for b in base]
    assert torch.equal(items["card_id"], dataset.fields["card_id"][base])  # copied, not -1: not declared ids
    score = dataset.fields["score"]
    want = score[base] + gap.unsqueeze(1) * (score[neighbor] - score[base])
    assert torch.allclose(items["score"], want)
    assert ds[N]["note"] == f"row {int(ds.provenance([N])['base_index'])}"


def test_epochs_are_fresh_and_reproducible_through_the_sampler():
    dataset, _, _ = _user_dataset()
    ds = _wrap(dataset)
    sampler = BalancedSampler(ds, batch_size=40, seed=0)
    loader = DataLoader(ds, sampler=sampler, batch_size=None)

    def epoch(e):
        sampler.set_epoch(e)
        return torch.cat([b["x"] for b in loader])

    assert torch.equal(epoch(0), epoch(0))
    assert not torch.equal(epoch(0), epoch(1))


# -- categorical fields ------------------------------------------------------------------

def _with_codes():
    dataset, X, y = _user_dataset()
    g = torch.Generator().manual_seed(4)
    codes = torch.randint(0, 3, (N, 2), generator=g)
    codes[y == 1, 0] = 2  # the minority mostly holds code 2 in the first column
    dataset.fields["codes"] = codes
    return dataset, X, y, codes


def test_categorical_fields_follow_the_familys_vote():
    dataset, X, y, codes = _with_codes()
    ds = SMOTEDataset(dataset, features="x", label="y", categorical="codes", oversampler=SMOTE(k_neighbors=3),
                      other_fields={"amount": "drop", "w": "drop", "card_id": "drop"})
    assert ds.oversampler.categorical_features == [3, 4]
    index = torch.arange(N, len(ds))
    items = ds[index]
    assert items["codes"].dtype == torch.int64 and items["codes"].shape == (len(index), 2)
    engine = torch.cat([X, codes.float()], 1)
    oracle = SMOTEDataset(engine, y, oversampler=SMOTE(k_neighbors=3, categorical_features=[3, 4]), seed=0)
    want = oracle[index][0]
    assert torch.equal(items["codes"], want[:, 3:].long())
    assert torch.allclose(items["x"], want[:, :3])
    assert bool((items["codes"][:, 0] == 2).float().mean() > 0.8)


def test_categorical_conflicts_are_refused():
    dataset, _, _, _ = _with_codes()
    args = {"features": "x", "label": "y", "categorical": "codes", "other_fields": {"amount": "drop", "w": "drop", "card_id": "drop"}}
    with pytest.raises(ValueError, match="categorical='codes' places the categorical fields.*SMOTE with categorical"):
        SMOTEDataset(dataset, oversampler=SMOTENC(categorical_features=[0]), **args)
    with pytest.raises(ValueError, match="names categorical_features too"):
        SMOTEDataset(dataset, oversampler=SMOTE(categorical_features=[2]), **args)
    with pytest.raises(ValueError, match="RandomOverSampler\\(\\) without shrinkage"):
        SMOTEDataset(dataset, oversampler=RandomOverSampler(shrinkage=0.5), **args)


def test_categorical_codes_copy_with_random_over_sampling():
    dataset, _, _, codes = _with_codes()
    ds = SMOTEDataset(dataset, features="x", label="y", categorical="codes", oversampler=RandomOverSampler(),
                      other_fields={"amount": "drop", "w": "drop", "card_id": "drop"})
    index = torch.arange(N, len(ds))
    assert torch.equal(ds[index]["codes"], codes[ds.provenance(index)["base_index"]])


# -- bad input ---------------------------------------------------------------------------


def test_field_names_that_do_not_exist():
    dataset, _, _ = _user_dataset()
    with pytest.raises(ValueError, match=r"features='pixels' is not a field of the items of Rows; their fields are \['amount', 'card_id'"):
        _wrap(dataset, features="pixels")
    with pytest.raises(ValueError, match="sample_weight='weight' is not a field"):
        _wrap(dataset, sample_weight="weight")
    X, y = _arrays()
    with pytest.raises(ValueError, match="label=2 is out of range: the items of TensorDataset are tuples of 2 fields"):
        SMOTEDataset(TensorDataset(X, y), label=2)
    with pytest.raises(TypeError, match="fields are named by position"):
        SMOTEDataset(TensorDataset(X, y), features="x")


def test_undeclared_and_twice_named_fields():
    dataset, _, _ = _user_dataset()
    with pytest.raises(ValueError, match=r"hold field\(s\) \['card_id'\] that no argument declares.*other_fields=\{'card_id': 'base'\}"):
        _wrap(dataset, ids=None)
    with pytest.raises(ValueError, match="field 'w' is named by both features= and sample_weight=; name each field once"):
        _wrap(dataset, features=["x", "w"])
    with pytest.raises(ValueError, match="features= is required for a dataset of dict items"):
        SMOTEDataset(dataset, label="y")
    with pytest.raises(ValueError, match="label= is required for a dataset of dict items"):
        SMOTEDataset(dataset, features="x")


def test_ragged_features():
    X, y = _arrays()
    rows = [torch.randn(3) for _ in range(N)]
    rows[7] = torch.randn(4)
    dataset = Rows({"x": rows, "y": y})
    with pytest.raises(ValueError, match=r"the field 'x' of Rows is ragged: item 0 has shape \(3,\), item 7 has \(4,\)"):
        SMOTEDataset(dataset, features="x", label="y")


def test_fields_that_change_between_read_chunks():
    X, y = _arrays()
    rows = [torch.randn(3) if i < 50 else torch.randn(4) for i in range(N)]
    with pytest.raises(ValueError, match=r"the field 'x' of Rows is ragged: items 0.. hold shape \(3,\), items 50.. hold \(4,\)"):
        SMOTEDataset(Rows({"x": rows, "y": y}), features="x", label="y", read_batch_size=50)
    weights = [1.0 if i < 50 else "heavy" for i in range(N)]
    with pytest.raises(TypeError, match="the field 'w' of Rows holds numbers in some items and other values"):
        SMOTEDataset(Rows({"x": X, "y": y, "w": weights}), features="x", label="y", sample_weight="w", read_batch_size=50)


def test_non_numeric_feature_fields():
    X, y = _arrays()
    dataset = Rows({"x": X, "city": [f"city {i % 4}" for i in range(N)], "y": y})
    with pytest.raises(TypeError, match="features='city' names the field 'city' of Rows, which holds non-numeric values.*categorical="):
        SMOTEDataset(dataset, features=["x", "city"], label="y")
    flags = Rows({"x": X > 0, "y": y})
    with pytest.raises(TypeError, match="holds bool values"):
        SMOTEDataset(flags, features="x", label="y")


def test_label_floats_that_are_not_whole_numbers():
    X, y = _arrays()
    labels = y.float()
    labels[5] = 0.5
    with pytest.raises(ValueError, match="the label field 'y' of Rows must hold class labels; got the float 0.5 at row 5"):
        SMOTEDataset(Rows({"x": X, "y": labels}), features="x", label="y")


def test_bad_weights_ids_and_policies():
    dataset, _, _ = _user_dataset()
    with pytest.raises(ValueError, match="weight_policy must be one of \\('base', 'interpolate'\\); got 'mean'"):
        _wrap(dataset, weight_policy="mean")
    with pytest.raises(ValueError, match="weight_policy='interpolate' needs sample_weight="):
        _wrap(dataset, sample_weight=None, weight_policy="interpolate", other_fields={"w": "base"})
    dataset.fields["w"] = dataset.fields["w"] - 1
    with pytest.raises(ValueError, match="sample_weight \\(the field 'w'\\) has negative weights"):
        _wrap(dataset)
    dataset, _, _ = _user_dataset()
    dataset.fields["card_id"] = dataset.fields["card_id"].float()
    with pytest.raises(TypeError, match="ids \\(the field 'card_id'\\) must hold integer ids"):
        _wrap(dataset)
    dataset.fields["card_id"] = torch.arange(N) - 1
    with pytest.raises(ValueError, match="holds negative ids \\(min -1\\); -1 marks synthetic rows"):
        _wrap(dataset)
    dataset, _, _ = _user_dataset()
    with pytest.raises(ValueError, match="the policy must be one of \\('base', 'interpolate', 'drop'\\)"):
        _wrap(dataset, other_fields={"amount": "mean"}, features="x")
    with pytest.raises(TypeError, match="other_fields\\['card_id'\\]='interpolate' needs a floating-point field"):
        _wrap(dataset, ids=None, other_fields={"card_id": "interpolate"})
    with pytest.raises(ValueError, match="sample_weight has shape \\(3,\\); pass one value per item of Rows \\(120\\)"):
        _wrap(dataset, sample_weight=[1.0, 2.0, 3.0], other_fields={"w": "drop"})


def test_items_that_are_neither_tuples_nor_dicts():
    class Bare(Dataset):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            return torch.zeros(3)

    with pytest.raises(TypeError, match="the items of Bare are Tensor; SMOTEDataset wraps datasets whose items are \\(features, label\\) tuples or dicts"):
        SMOTEDataset(Bare(), torch.zeros(4))


def test_read_too_large_is_refused_with_the_size_and_the_fix():
    dataset, _, _ = _user_dataset()
    with pytest.raises(ValueError, match="reading the 120 items of Rows into memory needs about .* GiB .*more than max_read_bytes=1000.*Subset"):
        _wrap(dataset, read_batch_size=10, max_read_bytes=1000)
    assert dataset.batch_calls == 1  # refused after the first chunk


def test_field_arguments_with_arrays_and_missing_labels():
    X, y = _arrays()
    with pytest.raises(TypeError, match="features= names a field of a wrapped Dataset's items, but X is Tensor"):
        SMOTEDataset(X, y, features="x")
    with pytest.raises(TypeError, match="y is required when X is Tensor"):
        SMOTEDataset(X)
    with pytest.raises(TypeError, match="X is already a SMOTEDataset"):
        SMOTEDataset(SMOTEDataset(X, y))


# -- other containers, workers, index files, devices -------------------------------------


def test_numpy_and_python_scalar_items():
    X, y = _arrays()
    rows = [{"x": X[i].double().numpy(), "y": int(y[i]), "w": float(i) / N} for i in range(N)]
    dataset = Rows({"row": rows})
    dataset._row = lambda i: rows[i]
    ds = SMOTEDataset(dataset, features="x", label="y", sample_weight="w")
    real, synthetic = ds[0], ds[len(ds) - 1]
    assert real["x"].dtype == torch.float64 and np.allclose(real["x"].numpy(), rows[0]["x"])
    assert real["y"].dtype == torch.int64 and synthetic["y"] == 1
    assert synthetic["w"].dtype == torch.get_default_dtype()


def test_worker_processes_give_the_same_batches():
    dataset, _, _ = _user_dataset()
    ds = _wrap(dataset)
    sampler = BalancedSampler(ds, batch_size=64, seed=0)
    sampler.set_epoch(2)
    here = list(DataLoader(ds, sampler=sampler, batch_size=None))
    there = list(DataLoader(ds, sampler=sampler, batch_size=None, num_workers=1))
    assert len(here) == len(there)
    for a, b in zip(here, there):
        assert all(torch.equal(a[key], b[key]) for key in a)


def test_index_file_round_trip(tmp_path):
    dataset, _, _ = _user_dataset()
    ds = _wrap(dataset)
    ds.save_index(tmp_path / "index.npz")
    again = _wrap(dataset, index_path=tmp_path / "index.npz")
    index = torch.arange(len(ds))
    assert all(torch.equal(a, b) for a, b in zip(ds[index].values(), again[index].values()))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_fields_stay_on_the_device():
    dataset, _, _ = _user_dataset()
    dataset.fields = {key: value.cuda() for key, value in dataset.fields.items()}
    ds = _wrap(dataset, weight_policy="interpolate")
    assert ds.features.is_cuda
    batch = next(iter(DataLoader(ds, sampler=BalancedSampler(ds, batch_size=64, seed=0), batch_size=None)))
    assert all(value.is_cuda for value in batch.values())
    prov = ds.provenance(torch.arange(N, N + 8, device="cuda"))
    assert torch.equal(ds[torch.arange(N, N + 8)]["card_id"].cpu(), torch.full((8,), -1))
    assert bool((prov["base_id"] >= 5000).all())


def test_compile_is_for_array_datasets():
    dataset, _, _ = _user_dataset()
    with pytest.raises(ValueError, match="compile=True is for array datasets"):
        _wrap(dataset, compile=True)
    with pytest.raises(TypeError, match="compile must be a bool"):
        _wrap(dataset, compile="yes")


def test_ids_keep_a_signed_dtype_and_unsigned_ids_become_int64():
    dataset, _, _ = _user_dataset()
    dataset.fields["card_id"] = dataset.fields["card_id"].to(torch.int32)
    assert _wrap(dataset)[torch.tensor([0, N])]["card_id"].tolist() == [5000, -1]
    assert _wrap(dataset)[0]["card_id"].dtype == torch.int32
    dataset.fields["card_id"] = torch.arange(N, dtype=torch.uint8)
    item = _wrap(dataset)[torch.tensor([1, N])]["card_id"]
    assert item.dtype == torch.int64 and item.tolist() == [1, -1]


def test_getitems_that_breaks_torchs_contract():
    dataset, _, _ = _user_dataset()
    dataset.__getitems__ = lambda indices: {"x": dataset.fields["x"][indices]}
    with pytest.raises(TypeError, match=r"(?s)Rows.__getitems__ returned \{'x'.* for 120 indices; expected a list of 120 items"):
        _wrap(dataset)


def test_balanced_sampler_still_serves_any_labelled_dataset():
    dataset, _, y = _user_dataset()
    sampler = BalancedSampler(dataset, labels=y, batch_size=32, seed=0)
    loader = DataLoader(dataset, sampler=sampler, batch_size=None)  # Rows indexes with a tensor
    rows = [i for batch in sampler for i in batch.tolist()]
    assert len(rows) == 2 * (N - MINORITY) and int((y[rows] == 1).sum()) == N - MINORITY
    assert len(next(iter(loader))["x"]) == 32


@pytest.mark.parametrize("safe", [True, False])
def test_a_filtered_wrapped_dataset_generates_each_synthetic_row_once(safe, monkeypatch):
    # A wrapped dataset's batch takes the rows the filter built for its accepted draws; it
    # does not draw through the filter and then interpolate the accepted draws again. The
    # rows are the array path's.
    from imbalance_torch.oversample import _family

    X, y = _arrays()
    X[y == 1] += 2.0  # clear of the majority, so the filter accepts most rows
    made = []
    original = _family.interpolate

    def counted(X_, base, *args, **kwargs):
        made.append(len(base))
        return original(X_, base, *args, **kwargs)

    monkeypatch.setattr(_family, "interpolate", counted)
    wrapped = SMOTEDataset(Rows({"x": X, "y": y.float()}), features="x", label="y",
                           oversampler=SMOTE(k_neighbors=3, safe=safe), seed=3)
    arrays = SMOTEDataset(X, y, oversampler=SMOTE(k_neighbors=3, safe=safe), seed=3)
    synthetic = torch.arange(wrapped.num_real, len(wrapped))
    made.clear()
    batch = wrapped[synthetic]
    made_wrapped = sum(made)
    made.clear()
    expected = arrays[synthetic]
    assert made_wrapped == sum(made) > 0
    assert torch.equal(batch["x"], expected[0]) and torch.equal(batch["y"].long(), expected[1])
