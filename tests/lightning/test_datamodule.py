from __future__ import annotations

import numpy as np
import pytest
import torch

from imbalance_torch.lightning import (
    ImbalanceDataModule,
    RowsDataset,
    ShuffledBatchSampler,
    TabularClassifier,
)


def module(blobs, **kwargs):
    x, y = blobs
    dm = ImbalanceDataModule.from_arrays(x, y, batch_size=128, **kwargs)
    dm.setup("fit")
    return dm


@pytest.mark.parametrize("split_seed", [0, 1])
def test_val_and_test_keep_the_raw_class_ratio(split_seed):
    from imbalance_torch.lightning import make_fraud_like

    x, y, _ = make_fraud_like(20_000, positive_fraction=0.01, seed=0)
    dm = ImbalanceDataModule.from_arrays(x, y, split_seed=split_seed)
    dm.setup("fit")
    raw = np.bincount(y) / y.size
    seen = []
    for split in ("train", "val", "test"):
        rows = dm.split_rows(split)
        counts = np.bincount(y[rows], minlength=2)
        expected = raw * rows.size
        assert np.all(np.abs(counts - expected) <= 1.0), (split, counts, expected)
        # The loader serves exactly the split's rows at that ratio, nothing resampled.
        labels = torch.cat([b[1] for b in dm.dataloader(split if split != "train" else "val")])
        seen.append(rows)
    assert sum(r.size for r in seen) == y.size
    assert np.unique(np.concatenate(seen)).size == y.size
    val_labels = torch.cat([b[1] for b in dm.val_dataloader()])
    np.testing.assert_array_equal(val_labels.numpy(), y[dm.split_rows("val")])
    test_labels = torch.cat([b[1] for b in dm.test_dataloader()])
    np.testing.assert_array_equal(test_labels.numpy(), y[dm.split_rows("test")])
    del labels


def test_split_is_the_same_for_every_strategy(blobs):
    a = module(blobs, resampling="none")
    b = module(blobs, resampling="smote", ratio=0.5)
    for split in ("train", "val", "test"):
        np.testing.assert_array_equal(a.split_rows(split), b.split_rows(split))


def test_scaling_is_fitted_on_train_only(blobs):
    x, y = blobs
    dm = module(blobs)
    train_x, _ = dm.split_tensors("train")
    val_x, _ = dm.split_tensors("val")
    assert torch.allclose(train_x.mean(0), torch.zeros(4), atol=1e-5)
    assert torch.allclose(train_x.std(0, unbiased=False), torch.ones(4), atol=1e-4)
    train_rows = dm.split_rows("train")
    expected = (x[dm.split_rows("val")] - x[train_rows].mean(0)) / x[train_rows].std(0)
    np.testing.assert_allclose(val_x.numpy(), expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("resampling", ["smote", "borderline1", "borderline2", "adasyn"])
def test_synthetic_rows_come_from_the_train_split_only(blobs, resampling):
    dm = module(blobs, resampling=resampling, ratio=0.5)
    dataset = dm.train_dataset()
    assert dataset.num_real == dm.split_rows("train").size
    batches = list(dm.train_dataloader())
    index = torch.cat(list(dm.train_sampler()))
    provenance = dataset.provenance(index)
    synthetic = provenance["is_synthetic"]
    assert synthetic.any()
    train_rows = dm.split_rows("train")
    held_out = set(dm.split_rows("val").tolist()) | set(dm.split_rows("test").tolist())
    for key in ("base_index", "neighbor_index"):
        local = provenance[key][synthetic]
        assert int(local.min()) >= 0 and int(local.max()) < train_rows.size
        rows = set(train_rows[local.numpy()].tolist())
        assert rows.isdisjoint(held_out)
    # Every synthetic row lies on the segment between two train rows.
    x, _ = dataset[index[synthetic]]
    base = dataset.features[provenance["base_index"][synthetic]]
    neighbour = dataset.features[provenance["neighbor_index"][synthetic]]
    gap = provenance["gap"][synthetic].to(x.dtype)
    if resampling != "borderline2":  # borderline-2 shrinks steps towards other classes
        torch.testing.assert_close(x, base + gap[:, None] * (neighbour - base), rtol=1e-4, atol=1e-4)
    assert sum(b[1].numel() for b in batches) == sum(dm.sampled_class_counts)


def test_resampling_validation_or_test_raises(blobs):
    dm = module(blobs, resampling="smote")
    for split in ("val", "test"):
        with pytest.raises(ValueError, match=f"resampling='smote' was asked for the '{split}' split, but validation and test splits are always served at the natural class ratio"):
            dm.dataloader(split, resampling="smote")
    assert dm.dataloader("val", resampling="none") is not None
    with pytest.raises(ValueError, match="differs from this data module's resampling='smote'"):
        dm.dataloader("train", resampling="adasyn")
    with pytest.raises(ValueError, match="split='holdout' is not one of train, val, test"):
        dm.dataloader("holdout")


def test_sampled_counts_follow_the_ratio(blobs):
    natural = module(blobs).natural_class_counts
    over = module(blobs, resampling="random_over", ratio=0.5)
    assert over.sampled_class_counts == [natural[0], int(natural[0] * 0.5)]
    under = module(blobs, resampling="random_under", ratio=0.5)
    assert under.sampled_class_counts == [int(natural[1] / 0.5), natural[1]]
    smote = module(blobs, resampling="smote", ratio=0.5)
    assert smote.sampled_class_counts == [natural[0], int(natural[0] * 0.5)]
    for dm in (over, under, smote):
        seen = torch.cat([b[1] for b in dm.train_dataloader()])
        assert torch.bincount(seen).tolist() == dm.sampled_class_counts
        counts = dm.train_sampler().epoch_counts()  # the one place counts come from
        assert dm.sampled_class_counts == [counts[0], counts[1]]
    # On a SMOTEDataset the sampler serves the dataset's own targets: its length is the epoch.
    assert len(smote.train_dataset()) == sum(smote.sampled_class_counts)
    assert smote.train_dataset().target_counts == {1: int(natural[0] * 0.5) - natural[1]}


def test_frozen_smote_repeats_rows_and_fresh_smote_does_not(blobs):
    def synthetic_rows(dm, epoch):
        sampler = dm.train_sampler()
        sampler.set_epoch(epoch)
        dataset = dm.train_dataset()
        index = torch.cat(list(sampler))
        x, _ = dataset[index]
        keep = dataset.provenance(index)["is_synthetic"]
        rows = x[keep]
        return rows[torch.argsort(rows[:, 0])]

    frozen = module(blobs, resampling="smote", frozen_synthetic=True)
    torch.testing.assert_close(synthetic_rows(frozen, 0), synthetic_rows(frozen, 3))
    fresh = module(blobs, resampling="smote")
    assert not torch.allclose(synthetic_rows(fresh, 0), synthetic_rows(fresh, 3))


@pytest.mark.parametrize("resampling", ["none", "smote", "random_under"])
def test_ddp_ranks_get_disjoint_shares_of_each_epoch(blobs, resampling):
    dm = module(blobs, resampling=resampling)
    shards = []
    for rank in range(2):
        sampler = dm.train_sampler(num_replicas=2, rank=rank)
        sampler.set_epoch(1)
        shards.append(torch.cat(list(sampler)))
    assert shards[0].numel() == shards[1].numel()
    whole = dm.train_sampler()
    whole.set_epoch(1)
    everything = torch.cat(list(whole))
    union = torch.cat(shards)
    if everything.numel() % 2 == 0:
        assert sorted(union.tolist()) == sorted(everything.tolist())
    if resampling != "random_under":  # indices are unique within an epoch here
        assert set(shards[0].tolist()).isdisjoint(shards[1].tolist())


def test_shuffled_batch_sampler_is_a_function_of_seed_and_epoch():
    data = RowsDataset(torch.arange(10.0)[:, None], torch.zeros(10, dtype=torch.int64))
    a = ShuffledBatchSampler(data, batch_size=4, seed=3)
    b = ShuffledBatchSampler(data, batch_size=4, seed=3)
    a.set_epoch(2)
    b.set_epoch(2)
    assert [t.tolist() for t in a] == [t.tolist() for t in b]
    assert [t.numel() for t in a] == [4, 4, 2] and len(a) == 3
    b.set_epoch(3)
    assert torch.cat(list(a)).tolist() != torch.cat(list(b)).tolist()
    with pytest.raises(ValueError, match="batch_size must be an int >= 1; got batch_size=0"):
        ShuffledBatchSampler(data, batch_size=0)


def test_unknown_strategy_lists_the_known_ones():
    with pytest.raises(ValueError, match=r"resampling='smoth' is not a known strategy; known: none, random_over, random_under, smote, borderline1"):
        ImbalanceDataModule(resampling="smoth")


def test_bad_arguments_are_rejected():
    with pytest.raises(ValueError, match=r"ratio must be a float in \(0, 1\]"):
        ImbalanceDataModule(ratio=2.0)
    with pytest.raises(ValueError, match="frozen_synthetic=True only applies to synthetic resampling"):
        ImbalanceDataModule(frozen_synthetic=True)
    with pytest.raises(TypeError, match="batch_size must be an int >= 1; got True of type bool"):
        ImbalanceDataModule(batch_size=True)
    with pytest.raises(ValueError, match="val_fraction must be a float in"):
        ImbalanceDataModule.from_arrays(np.zeros((10, 2)), [0, 1] * 5, val_fraction=1.5).setup()


def test_too_few_rows_for_k_neighbors_names_split_and_class():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((400, 3))
    y = np.zeros(400, dtype=np.int64)
    y[:10] = 1
    dm = ImbalanceDataModule.from_arrays(x, y, resampling="smote", resampling_options={"k_neighbors": 8})
    with pytest.raises(ValueError, match=r"k_neighbors=8 needs at least 9 rows of class '1' \(1\) in the train split, which has 6; lower k_neighbors to 5 \(--data.resampling_options '\{k_neighbors: 5\}'\) or enlarge the train split"):
        dm.setup("fit")
    y_small = np.zeros(400, dtype=np.int64)
    y_small[:2] = 1
    with pytest.raises(ValueError, match=r"class '1' \(1\) has 2 row\(s\); a stratified train/validation/test split needs at least 3 rows of every class"):
        ImbalanceDataModule.from_arrays(x, y_small).setup("fit")


def test_ratio_below_the_natural_ratio_is_explained(blobs):
    with pytest.raises(ValueError, match="ratio=0.01 is not above the train split's own minority/majority ratio"):
        module(blobs, resampling="smote", ratio=0.01)


def test_smote_nc_needs_categorical_columns(blobs):
    with pytest.raises(ValueError, match="resampling='smote_nc' needs categorical columns"):
        module(blobs, resampling="smote_nc")


def test_smote_nc_keeps_categories_valid():
    rng = np.random.default_rng(0)
    x = np.column_stack([rng.standard_normal((600, 2)), rng.integers(0, 3, 600)])
    y = (rng.random(600) < 0.15).astype(np.int64)
    dm = ImbalanceDataModule.from_arrays(x, y, categorical_features=[2], resampling="smote_nc")
    dm.setup("fit")
    batch_x, _ = next(iter(dm.train_dataloader()))
    codes = batch_x[:, 2]
    assert torch.all(codes == codes.round()) and set(codes.long().tolist()) <= {0, 1, 2}
    model = TabularClassifier(**dm.model_arguments())
    assert model(batch_x).shape == (batch_x.shape[0], 2)


def test_synthetic_crossing_share(blobs):
    assert module(blobs).synthetic_crossing_share() is None
    share = module(blobs, resampling="smote").synthetic_crossing_share()
    assert 0.0 <= share <= 1.0


def test_eval_shards_cover_every_row_once_without_padding():
    from imbalance_torch.lightning.datamodule.samplers import EvalShardSampler

    rows = RowsDataset(torch.arange(11.0)[:, None], torch.zeros(11, dtype=torch.int64))
    shards = [list(EvalShardSampler(rows, num_replicas=2, rank=r)) for r in range(2)]
    assert sorted(shards[0] + shards[1]) == list(range(11))
    assert [len(EvalShardSampler(rows, num_replicas=2, rank=r)) for r in range(2)] == [6, 5]


@pytest.mark.parametrize("resampling", ["smote", "borderline1", "borderline2", "adasyn", "random_over"])
def test_declared_categorical_columns_reach_every_smote_variant(resampling):
    rng = np.random.default_rng(0)
    y = (rng.random(800) < 0.2).astype(np.int64)
    # 8 and 20 categories, codes that depend on the class, so neighbours disagree.
    few = rng.integers(0, 8, 800)
    many = np.where(y == 1, rng.integers(0, 10, 800) * 2, rng.integers(0, 20, 800))
    x = np.column_stack([rng.standard_normal((800, 2)) + y[:, None], few, many])
    dm = ImbalanceDataModule.from_arrays(x, y, categorical_features=[2, 3], resampling=resampling, ratio=1.0, batch_size=128)
    dm.setup("fit")
    train_x, _ = dm.split_tensors("train")
    dataset = dm.train_dataset()
    index = torch.cat(list(dm.train_sampler()))
    features, _ = dataset[index]
    if resampling != "random_over":
        features = features[dataset.provenance(index)["is_synthetic"]]
    assert features.shape[0] > 100
    for column in (2, 3):
        codes = features[:, column]
        assert torch.equal(codes, codes.round()), f"{resampling}: non-integer codes in column {column}"
        assert set(codes.long().tolist()) <= set(train_x[:, column].long().tolist())


@pytest.mark.parametrize("resampling", ["enn", "smote_tomek"])
def test_a_cleaning_strategy_fits_its_cleaner_once_per_run(blobs, resampling, monkeypatch):
    # The epoch counts (model_arguments) and the training loader ask for the same sampler;
    # the cleaner's neighbour search over the train split runs once, not once per question.
    from imbalance_torch.undersample._base import Cleaner

    fits = []
    original = Cleaner.fit

    def counted(self, X, y):
        fits.append(type(self).__name__)
        return original(self, X, y)

    monkeypatch.setattr(Cleaner, "fit", counted)
    x, y = blobs
    dm = ImbalanceDataModule.from_arrays(x, y, batch_size=64, resampling=resampling)
    dm.model_arguments()
    loader = dm.train_dataloader()
    next(iter(loader))
    assert len(fits) == 1, fits
