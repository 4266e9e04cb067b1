"""Every column's role is decided, shown and saved: id-like columns refused, constant, all-missing
and index columns dropped with a note (NOTE [id-like columns], NOTE [index columns])."""

from __future__ import annotations

import json
import warnings
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import torch

from imbalance_torch.data import ParquetSource
from imbalance_torch.lightning import ImbalanceDataModule, make_fraud_like
from imbalance_torch.lightning.tables.feature_roles import (
    ID_LIKE_DISTINCT_SHARE,
    ID_LIKE_MIN_ROWS,
    index_column_names,
    resolve_feature_roles,
)
from imbalance_torch.lightning.tables.preprocessing import Preprocessing
from imbalance_torch.lightning.tables.table import table_from_frame

ROWS = 400
ID_REFUSED = r"has id-like column\(s\) 'row_id' \(400 distinct whole-number values in 400 rows\).*--data\.drop_columns '\[row_id\]'.*--data\.keep_id_like '\[row_id\]'"
NOT_USED = r"column\(s\) are not used as features"


def transactions(rows: int = ROWS, seed: int = 0) -> pd.DataFrame:
    """Card transactions with the traps of an export: a row id, a constant, an empty column."""
    x, y, names = make_fraud_like(rows, positive_fraction=0.2, seed=seed)
    frame = pd.DataFrame(x[:, :6], columns=list(names[:6])).assign(Class=y)
    frame.insert(0, "row_id", np.random.default_rng(seed).permutation(rows) + 10_000)
    frame["currency"] = 978  # constant
    frame["empty"] = np.nan  # all missing
    return frame


def roles_of(data: ImbalanceDataModule) -> dict[str, tuple[str, str]]:
    return {r["column"]: (r["role"], r["note"]) for r in data.preprocessing.feature_roles}


# ------------------------------------------------------------------------ id-like columns
def test_id_like_column_is_refused_in_a_csv_with_the_fix(tmp_path):
    path = tmp_path / "cards.csv"
    transactions().to_csv(path, index=False)
    data = ImbalanceDataModule(data=str(path), target="Class", impute_median=True)
    with pytest.raises(ValueError, match=ID_REFUSED):
        data.setup("fit")


def test_id_like_column_is_refused_in_a_parquet_file(tmp_path):
    path = tmp_path / "cards.parquet"
    transactions().to_parquet(path, index=False)
    with pytest.raises(ValueError, match=ID_REFUSED):
        ImbalanceDataModule(data=str(path), target="Class", impute_median=True).setup("fit")


def test_id_like_column_is_refused_in_a_frame_an_array_and_a_tensor():
    frame = transactions()
    with pytest.raises(ValueError, match=ID_REFUSED):
        ImbalanceDataModule.from_frame(frame, target="Class", impute_median=True).setup("fit")
    features = frame.drop(columns=["Class", "empty"]).to_numpy(dtype=np.float64)
    labels = frame["Class"].to_numpy()
    for given in (features, torch.from_numpy(features)):
        with pytest.raises(ValueError, match=r"arrays has id-like column\(s\) 'x0' \(400 distinct"):
            ImbalanceDataModule.from_arrays(given, labels).setup("fit")


def test_text_ids_are_id_like_too():
    frame = transactions().drop(columns=["row_id"]).assign(txn=[f"T{i:05d}" for i in range(ROWS)])
    data = ImbalanceDataModule.from_frame(frame, target="Class", categorical=["txn"], impute_median=True)
    with pytest.raises(ValueError, match=r"'txn' \(400 distinct text values in 400 rows\)"):
        data.setup("fit")


def test_id_like_column_kept_on_purpose_or_dropped():
    frame = transactions()
    with pytest.warns(UserWarning, match=NOT_USED):
        kept = ImbalanceDataModule.from_frame(frame, target="Class", keep_id_like=["row_id"], impute_median=True)
        kept.setup("fit")
    assert "row_id" in kept.preprocessing.feature_names
    assert roles_of(kept)["row_id"] == ("numeric", "id-like, kept on purpose (keep_id_like)")
    with pytest.warns(UserWarning, match=NOT_USED):
        dropped = ImbalanceDataModule.from_frame(frame, target="Class", drop_columns=["row_id"], impute_median=True)
        dropped.setup("fit")
    assert roles_of(dropped)["row_id"] == ("dropped", "drop_columns")


def test_keep_id_like_must_name_feature_columns():
    frame = transactions()
    with pytest.raises(ValueError, match=r"keep_id_like=\['card'\] names columns that are not features of DataFrame"):
        ImbalanceDataModule.from_frame(frame, target="Class", keep_id_like=["card"]).setup("fit")
    with pytest.raises(TypeError, match=r"keep_id_like must be a list of column names, got the string 'row_id'"):
        ImbalanceDataModule.from_frame(frame, target="Class", keep_id_like="row_id").setup("fit")


def test_id_like_thresholds():
    rng = np.random.default_rng(0)
    labels = (np.arange(ROWS) % 5 == 0).astype(int)
    nearly = np.arange(ROWS)
    nearly[: int(ROWS * (1 - ID_LIKE_DISTINCT_SHARE))] = 0  # 99 % distinct: still an id
    table = table_from_frame(pd.DataFrame({"a": nearly, "b": rng.random(ROWS), "y": labels}), target="y")
    with pytest.raises(ValueError, match=r"'a' \(397 distinct whole-number values in 400 rows\)"):
        resolve_feature_roles(table)
    small = ID_LIKE_MIN_ROWS - 1  # too few rows to tell an id from a measurement
    table = table_from_frame(
        pd.DataFrame({"a": np.arange(small), "b": rng.random(small), "y": labels[:small]}), target="y"
    )
    assert resolve_feature_roles(table) == (table, {})
    # Float measurements (distinct on every row) and whole numbers that repeat are not ids.
    frame = pd.DataFrame({
        "amount": rng.gamma(2.0, 40.0, ROWS), "items": rng.integers(0, 50, ROWS), "y": labels,
    })
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        data = ImbalanceDataModule.from_frame(frame, target="y")
        data.setup("fit")
    assert data.preprocessing.feature_names == ("amount", "items")


# ----------------------------------------------------------- constant and empty columns
def test_constant_and_all_missing_columns_are_dropped_with_a_note_never_imputed(tmp_path):
    frame = transactions().drop(columns=["row_id"])
    path = tmp_path / "cards.csv"
    frame.to_csv(path, index=False)
    data = ImbalanceDataModule(data=str(path), target="Class", impute_median=True)
    with pytest.warns(UserWarning, match=r"cards\.csv: 2 column\(s\) are not used as features: 'currency', constant: every row holds 978; 'empty', all 400 values are missing \(NaN\)"):
        data.setup("fit")
    prep = data.preprocessing
    assert "empty" not in prep.feature_names and "currency" not in prep.feature_names
    assert data.num_features == 6
    assert prep.impute_values is not None and len(prep.impute_values) == 6
    assert roles_of(data)["empty"] == ("dropped", "all 400 values are missing (NaN)")
    assert roles_of(data)["currency"] == ("dropped", "constant: every row holds 978")
    # Scoring needs neither column and does not call them extra.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with_them = prep.transform(frame)
        without = prep.transform(frame.drop(columns=["currency", "empty"]))
    torch.testing.assert_close(with_them, without)


def test_constant_category_is_dropped_and_a_table_of_nothing_is_refused():
    frame = transactions().drop(columns=["row_id"]).assign(country="FR")
    data = ImbalanceDataModule.from_frame(frame, target="Class", categorical=["country"], impute_median=True)
    with pytest.warns(UserWarning, match=r"'country', constant: every row holds 'FR'"):
        data.setup("fit")
    assert roles_of(data)["country"][0] == "dropped"
    empty = pd.DataFrame({"a": 1.0, "b": np.nan, "Class": np.arange(ROWS) % 2})
    with pytest.raises(ValueError, match=r"every feature column of DataFrame carries nothing a model can use: 'a': constant"):
        ImbalanceDataModule.from_frame(empty, target="Class", impute_median=True).setup("fit")


def test_a_column_empty_in_the_train_split_is_refused_not_imputed():
    frame = transactions().drop(columns=["row_id", "empty", "currency"])
    frame["when"] = np.arange(ROWS)
    frame["late"] = np.where(frame["when"] >= 300, np.random.default_rng(0).random(ROWS), np.nan)
    data = ImbalanceDataModule.from_frame(frame, target="Class", split="time", time_column="when", impute_median=True)
    with pytest.raises(ValueError, match=r"feature column\(s\) \['late'\] of DataFrame hold no value in the train split \(240 rows, all NaN\)"):
        data.setup("fit")


# ------------------------------------------------------------------ index columns
def index_frame(rows: int = ROWS) -> pd.DataFrame:
    return transactions(rows).drop(columns=["row_id", "currency", "empty"])


def test_csv_written_with_its_index_drops_the_unnamed_column(tmp_path):
    path = tmp_path / "with_index.csv"
    index_frame().to_csv(path)  # pandas' default: index=True, an unnamed first column
    data = ImbalanceDataModule(data=str(path), target="Class")
    with pytest.warns(UserWarning, match=r"'Unnamed: 0', the row numbering pandas wrote as a column"):
        data.setup("fit")
    assert "Unnamed: 0" not in data.preprocessing.feature_names
    assert roles_of(data)["Unnamed: 0"][0] == "dropped"
    with warnings.catch_warnings():  # a scoring file with or without it: no extra column
        warnings.simplefilter("error")
        data.preprocessing.transform(path)
    # A one-based numbering is an index too.
    shifted = index_frame()
    shifted.index += 1
    shifted.to_csv(path)
    with pytest.warns(UserWarning, match=r"'Unnamed: 0', the row numbering"):
        ImbalanceDataModule(data=str(path), target="Class").setup("fit")


def test_parquet_file_with_a_stored_index_column(tmp_path):
    frame = index_frame()
    path = tmp_path / "stored.parquet"
    # Another writer kept pandas' index column but not its metadata.
    table = pa.Table.from_pandas(frame.iloc[::-1], preserve_index=True).replace_schema_metadata(None)
    pq.write_table(table, path)
    assert "__index_level_0__" in pq.read_schema(path).names
    data = ImbalanceDataModule(data=str(path), target="Class")
    with pytest.warns(UserWarning, match=r"'__index_level_0__', the row numbering pandas wrote"):
        data.setup("fit")
    assert "__index_level_0__" not in data.preprocessing.feature_names
    # With pandas' metadata, pandas restores a named index as the index: not a column.
    named = tmp_path / "named.parquet"
    frame.set_axis(np.arange(ROWS) * 3).rename_axis("tx").to_parquet(named)
    assert index_column_names(pq.read_schema(named)) == ["tx"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        data = ImbalanceDataModule(data=str(named), target="Class")
        data.setup("fit")
    assert "tx" not in data.preprocessing.feature_names


def test_parquet_folder_source_leaves_the_stored_index_out(tmp_path):
    folder = tmp_path / "parts"
    folder.mkdir()
    frame = index_frame().drop(columns=["Class"])
    frame.iloc[:200].to_parquet(folder / "a.parquet")  # RangeIndex: kept as metadata only
    frame.iloc[200:].to_parquet(folder / "b.parquet")
    assert ParquetSource(folder).columns == list(frame.columns)
    filtered = tmp_path / "filtered"
    filtered.mkdir()
    kept = frame[frame["V1"] > 0]  # a filtered frame: its index is stored as a column
    kept.iloc[:100].to_parquet(filtered / "a.parquet")
    kept.iloc[100:].to_parquet(filtered / "b.parquet")
    assert "__index_level_0__" in pq.read_schema(filtered / "a.parquet").names
    with pytest.warns(UserWarning, match=r"ParquetSource: column\(s\) \['__index_level_0__'\] of a\.parquet hold the stored pandas index"):
        source = ParquetSource(filtered)
    assert source.columns == list(frame.columns)
    assert source.shape == kept.shape
    named = tmp_path / "named"
    named.mkdir()
    frame.set_axis(np.arange(ROWS) * 3).rename_axis("tx").to_parquet(named / "a.parquet")
    with pytest.warns(UserWarning, match=r"\['tx'\] of a\.parquet hold the stored pandas index"):
        assert ParquetSource(named).columns == list(frame.columns)


def test_parquet_folder_as_data_with_stored_index_columns(tmp_path):
    folder = tmp_path / "parts"
    folder.mkdir()
    frame = index_frame()
    for number, part in enumerate((frame.iloc[:200], frame.iloc[200:])):
        # Each part filtered and written by another tool: '__index_level_0__' with no pandas
        # metadata, and the two parts' numberings overlap (no longer distinct on every row).
        kept = part[part["V1"] > -3]
        kept = kept.set_axis(np.arange(len(kept)) * 2)
        table = pa.Table.from_pandas(kept, preserve_index=True).replace_schema_metadata(None)
        pq.write_table(table, folder / f"part{number}.parquet")
    data = ImbalanceDataModule(data=str(folder), target="Class")
    with pytest.warns(UserWarning, match=r"'__index_level_0__', the row numbering pandas wrote"):
        data.setup("fit")
    assert data.preprocessing.feature_names == tuple(frame.columns.drop("Class"))


def test_frame_after_reset_index_drops_the_index_column():
    frame = index_frame().reset_index()
    assert frame.columns[0] == "index"
    data = ImbalanceDataModule.from_frame(frame, target="Class")
    with pytest.warns(UserWarning, match=r"'index', the row numbering pandas wrote as a column"):
        data.setup("fit")
    assert "index" not in data.preprocessing.feature_names
    # A frame's own index is not a column at all.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ImbalanceDataModule.from_frame(index_frame().set_axis(np.arange(ROWS) * 7), target="Class").setup("fit")


# ------------------------------------------------------------ shown and saved
def test_roles_are_saved_in_the_preprocessing_state_and_read_back():
    frame = transactions().drop(columns=["row_id"])
    with pytest.warns(UserWarning, match=NOT_USED):
        data = ImbalanceDataModule.from_frame(frame, target="Class", impute_median=True)
        data.setup("fit")
    state = data.preprocessing.state_dict()
    json.dumps(state)  # plain values
    assert {"column": "currency", "role": "dropped", "note": "constant: every row holds 978"} in state["feature_roles"]
    again = Preprocessing.from_state_dict(state)
    assert again.feature_roles == data.preprocessing.feature_roles
    assert again.describe()["feature_roles"] == state["feature_roles"]
    # A state saved before roles were kept had only drop_columns: its roles are derived.
    old = {k: v for k, v in state.items() if k != "feature_roles"}
    old["ignored_columns"] = ["row_id"]
    roles = {r["column"]: r["role"] for r in Preprocessing.from_state_dict(old).feature_roles}
    assert roles == {**{c: "numeric" for c in state["feature_names"]}, "row_id": "dropped"}


def test_compare_facts_and_the_train_summary_show_the_roles():
    from imbalance_torch.lightning.compare.summary import data_features_line
    from imbalance_torch.lightning.compare.summary import dataset_facts as _dataset_facts
    from imbalance_torch.lightning.model.run_log import fit_summary

    frame = transactions().drop(columns=["row_id"]).assign(when=np.arange(ROWS))
    with pytest.warns(UserWarning, match=NOT_USED):
        data = ImbalanceDataModule.from_frame(
            frame, target="Class", impute_median=True, split="time", time_column="when",
        )
        facts = _dataset_facts(data)
    roles = {r["column"]: r["role"] for r in json.loads(json.dumps(facts["feature_roles"]))}
    assert roles["currency"] == roles["empty"] == roles["when"] == "dropped"
    line = data_features_line(facts)
    assert line.startswith("features: 6 numeric (Time, V1, V2, V3, V4, V5); 3 not used: ")
    assert "when (split column (time or group), not a feature)" in line
    assert "currency (constant: every row holds 978)" in line
    trainer = SimpleNamespace(current_epoch=1, global_step=3, callbacks=[], loggers=[])
    model = SimpleNamespace(preprocessing=data.preprocessing)
    assert line in fit_summary(trainer, model).splitlines()


def test_the_checkpoint_keeps_the_roles_and_predict_prints_them(tmp_path, capsys):
    import lightning.pytorch as pl

    from imbalance_torch.lightning import TabularClassifier
    from imbalance_torch.lightning.scoring import predict_main

    frame = transactions().drop(columns=["row_id", "empty"])
    train = tmp_path / "train.csv"
    frame.to_csv(train)  # with pandas' index: 'Unnamed: 0'
    data = ImbalanceDataModule(data=str(train), target="Class", batch_size=64)
    with pytest.warns(UserWarning, match=NOT_USED):
        data.setup("fit")
    pl.seed_everything(0, verbose=False)
    model = TabularClassifier(**data.model_arguments(), hidden_width=4)
    trainer = pl.Trainer(
        max_steps=2, accelerator="cpu", logger=False, enable_checkpointing=False,
        enable_progress_bar=False, enable_model_summary=False, num_sanity_val_steps=0,
    )
    trainer.fit(model, data)
    ckpt = tmp_path / "model.ckpt"
    trainer.save_checkpoint(ckpt)
    saved = torch.load(ckpt, weights_only=True)["ImbalanceDataModule"]["preprocessing"]["feature_roles"]
    assert {"column": "Unnamed: 0", "role": "dropped",
            "note": "the row numbering pandas wrote as a column (an index, not data)"} in saved
    tomorrow = tmp_path / "tomorrow.csv"
    frame.drop(columns=["Class", "currency"]).to_csv(tomorrow, index=False)  # neither dropped column
    capsys.readouterr()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        predict_main(["--ckpt_path", str(ckpt), "--data", str(tomorrow), "--out", str(tmp_path / "scores.csv")])
    printed = capsys.readouterr().out
    assert "features: 6 numeric (Time, V1, V2, V3, V4, V5); 2 not used: Unnamed: 0 (the row numbering" in printed
    assert "currency (constant: every row holds 978)" in printed
