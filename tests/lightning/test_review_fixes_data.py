"""Review findings on issues 21 and 22, the data side: index columns however they are numbered
(training and scoring, one rule), missing and infinite labels written as text, what an empty
time split with groups and a thin test split say, and one wording for a file with no rows."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from imbalance_torch.lightning import ImbalanceDataModule
from imbalance_torch.lightning.datamodule.split_kinds import SplitPlan, time_split
from imbalance_torch.lightning.tables.feature_roles import is_stored_index
from imbalance_torch.lightning.tables.table import load_table, table_from_arrays, table_from_frame

INDEX_DROPPED = r"'{}', the row numbering pandas wrote as a column"


def transactions(rows: int = 600, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "a": rng.normal(size=rows), "b": rng.normal(size=rows),
        "Class": (rng.random(rows) < 0.1).astype(int),
    })


def concatenated(rows: int = 600) -> pd.DataFrame:
    """``pd.concat([legit, fraud])``: an index 0..k then 0..m, grouped by class."""
    frame = transactions(rows)
    legit = frame[frame.Class == 0].reset_index(drop=True)
    fraud = frame[frame.Class == 1].reset_index(drop=True)
    return pd.concat([legit, fraud])


# ------------------------------------------------------------------ 1. index columns, training
def test_csv_of_a_concatenated_frame_drops_its_repeated_index(tmp_path):
    path = tmp_path / "concat.csv"
    concatenated().to_csv(path)  # 'Unnamed: 0': 0..539 then 0..59, it predicts the label
    data = ImbalanceDataModule(data=str(path), target="Class")
    with pytest.warns(UserWarning, match=INDEX_DROPPED.format("Unnamed: 0")):
        data.setup("fit")
    assert data.preprocessing.feature_names == ("a", "b")
    assert data.preprocessing.unused_columns == ("Unnamed: 0",)


def test_frame_of_a_concatenated_frame_after_reset_index_drops_it():
    frame = concatenated().reset_index()
    assert frame.columns[0] == "index" and frame["index"].duplicated().any()
    data = ImbalanceDataModule.from_frame(frame, target="Class")
    with pytest.warns(UserWarning, match=INDEX_DROPPED.format("index")):
        data.setup("fit")
    assert data.preprocessing.feature_names == ("a", "b")


def test_only_a_first_column_of_whole_non_negative_numbers_is_an_index_whatever_its_repeats():
    repeated = np.r_[np.arange(5), np.arange(3)].astype(float)
    assert is_stored_index("index", repeated, first=True)
    assert is_stored_index("Unnamed: 0", repeated)  # pandas names it by its position, 0
    assert not is_stored_index("index", repeated, first=False)  # elsewhere: distinct only
    assert is_stored_index("index", np.arange(8.0) - 3, first=False)
    assert not is_stored_index("index", repeated - 1, first=True)  # negative numbers
    assert not is_stored_index("index", np.r_[repeated, np.nan], first=True)  # missing
    assert not is_stored_index("Unnamed: 0", repeated + 0.5)  # fractions: a measurement
    assert not is_stored_index("amount", np.arange(8.0), first=True)
    assert is_stored_index("__index_level_0__", None)


def test_a_named_index_column_in_the_middle_with_repeats_stays_a_feature():
    frame = transactions(200)
    frame.insert(1, "index", np.arange(200) % 7)  # a count named 'index', not the first column
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = ImbalanceDataModule.from_frame(frame, target="Class")
        data.setup("fit")
    assert not [w for w in caught if "index" in str(w.message)]
    assert "index" in data.preprocessing.feature_names


# ------------------------------------------------------------------ 2. index columns, scoring
@pytest.fixture(scope="module")
def preprocessing():
    data = ImbalanceDataModule.from_frame(transactions(300), target="Class")
    data.setup("fit")
    return data.preprocessing


def parquet_with_index(frame: pd.DataFrame, path: Path) -> Path:
    """A Parquet file whose writer kept pandas' index as a column but not its metadata."""
    table = pa.Table.from_pandas(frame, preserve_index=True).replace_schema_metadata(None)
    pq.write_table(table, path)
    assert "__index_level_0__" in pq.read_schema(path).names
    return path


@pytest.mark.parametrize("container", ["csv", "parquet", "frame"])
def test_a_file_to_score_written_with_its_index_is_not_refused_as_extra(preprocessing, tmp_path, container):
    rows = transactions(50, seed=1).drop(columns="Class").iloc[::-1]  # an index 49..0
    if container == "csv":
        data, name = tmp_path / "tomorrow.csv", "Unnamed: 0"
        rows.to_csv(data)
    elif container == "parquet":
        data, name = parquet_with_index(rows, tmp_path / "tomorrow.parquet"), "__index_level_0__"
    else:
        data, name = rows.reset_index(), "index"
    with pytest.warns(UserWarning, match=rf"column\(s\) \['{name}'\] hold the row numbering pandas wrote as a column .*left out") as caught:
        scored = preprocessing.transform(data, extra_columns="error")
    assert not [w for w in caught if "not trained on" in str(w.message)]
    expected = preprocessing.transform(rows.reset_index(drop=True))
    np.testing.assert_array_equal(scored.numpy(), expected.numpy())


def test_a_column_the_model_was_trained_on_is_never_left_out_as_an_index(tmp_path):
    frame = transactions(200)
    frame.insert(0, "index", np.round(np.random.default_rng(3).normal(size=200), 2))  # a measurement
    data = ImbalanceDataModule.from_frame(frame, target="Class")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # thin evaluation splits
        data.setup("fit")
    assert "index" in data.preprocessing.feature_names
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        data.preprocessing.transform(frame.drop(columns="Class"), extra_columns="error")


def test_extra_columns_message_names_the_flag_and_the_python_argument(preprocessing):
    rows = transactions(20, seed=2).drop(columns="Class").assign(note=1.0)
    with pytest.raises(ValueError, match=r"\['note'\] that the model was not trained on; drop them, or ignore them with a warning \(--extra_columns warn on the command line, extra_columns='warn' in Python\)"):
        preprocessing.transform(rows, extra_columns="error")


# --------------------------------------------------------------------------- 3. labels
X = np.random.default_rng(0).normal(size=(30, 2))
MISSING_AT_29 = r"the target of \S+ has a missing label at row 29 \(NaN, None or an empty cell\)"
INFINITE_AT_29 = r"the target of \S+ has 1 infinite labels \(first at rows \[29\]\)"


def labels_in(container: str, values: list):
    if container == "list":
        return values
    if container == "ndarray of str":
        return np.array(values)
    return np.array(values, dtype=object)


@pytest.mark.parametrize("container", ["list", "ndarray of str", "object ndarray"])
@pytest.mark.parametrize(("last", "match"), [("nan", MISSING_AT_29), ("inf", INFINITE_AT_29), (" -inf", INFINITE_AT_29)])
def test_text_labels_that_are_numbers_refuse_missing_and_infinite_by_row(container, last, match):
    with pytest.raises(ValueError, match=match):
        table_from_arrays(X, labels_in(container, ["0"] * 20 + ["1"] * 9 + [last]))


@pytest.mark.parametrize("dtype", [object, "string"])
@pytest.mark.parametrize(("last", "match"), [("nan", MISSING_AT_29), ("inf", INFINITE_AT_29)])
def test_text_labels_in_a_frame_column_refuse_missing_and_infinite_by_row(dtype, last, match):
    frame = pd.DataFrame({"a": X[:, 0], "y": pd.array(["0"] * 20 + ["1"] * 9 + [last], dtype=dtype)})
    with pytest.raises(ValueError, match=match):
        table_from_frame(frame, target="y")


@pytest.mark.parametrize(("last", "match"), [("nan", MISSING_AT_29), ("inf", INFINITE_AT_29)])
def test_the_same_labels_in_a_csv_give_the_same_message(tmp_path, last, match):
    path = tmp_path / "labels.csv"
    path.write_text("a,y\n" + "".join(f"{x},{y}\n" for x, y in zip(X[:, 0], ["0"] * 20 + ["1"] * 9 + [last])))
    with pytest.raises(ValueError, match=match):
        load_table(path, target="y")


@pytest.mark.parametrize("labels", [
    [0] * 20 + [1] * 9 + [None],
    ["0"] * 20 + ["1"] * 9 + [None],
    np.array([0] * 20 + [1] * 9 + [None], dtype=object),
    np.array(["fraud"] * 20 + ["ok"] * 9 + [None], dtype=object),
])
def test_none_among_labels_is_a_missing_label_with_its_row(labels):
    with pytest.raises(ValueError, match=MISSING_AT_29):
        table_from_arrays(X, labels)


def test_none_first_is_row_0_and_several_are_counted():
    with pytest.raises(ValueError, match=r"has a missing label at row 0 "):
        table_from_arrays(X, np.array([None] + ["0"] * 19 + ["1"] * 10, dtype=object))
    with pytest.raises(ValueError, match=r"has 2 missing labels \(NaN, None or empty cells\), first at rows \[3, 7\]"):
        table_from_arrays(X, [None if i in (3, 7) else i % 2 for i in range(30)])


def test_text_numbers_without_missing_values_stay_one_class_each():
    table = table_from_arrays(X, np.array(["0"] * 20 + ["1"] * 9 + ["1.0"]))
    assert table.class_names == ("0", "1") and table.class_counts() == [20, 10]


# -------------------------------------------------------------------------- 4. splits
def cards(rows: int = 1000, cards: int = 50) -> dict[str, np.ndarray]:
    return {"t": np.arange(rows), "card": np.arange(rows) % cards}  # every card on every day


@pytest.mark.parametrize(("rule", "empty"), [("latest", "train"), ("first", "val")])
def test_time_split_whose_groups_all_span_the_cuts_names_the_fixes_that_work(rule, empty):
    labels = (np.arange(1000) % 10 == 0).astype(np.int64)
    plan = SplitPlan("time", time_column="t", group_column="card", group_rule=rule)
    with pytest.raises(ValueError, match=(
        rf"the time split with groups leaves the {empty} split empty: 50 of 50 groups span a cut "
        rf".*group_rule='{rule}'.*drop group_column \(--data\.group_column; a plain time split"
        r".*split='group', --data\.split group"
    )):
        plan.split(labels, cards())


def test_time_split_with_groups_counts_only_the_groups_that_span_a_cut():
    keys = np.arange(10.0)
    groups = np.array([0, 0, 0, 0, 0, 1, 1, 1, 2, 2])  # group 1 (rows 5-7) spans the second cut
    with pytest.raises(ValueError, match=r"leaves the val split empty: 1 of 3 groups span a cut"):
        time_split(keys, val_start=5.0, test_start=7.0, groups=groups, group_rule="latest")
    with pytest.raises(ValueError, match=r"leaves the train split empty \(cuts at times -1 and 9; rows of one time stay together"):
        time_split(keys, val_start=-1.0, test_start=9.0)  # without groups: as before


def test_each_thin_evaluation_split_says_what_rests_on_it():
    labels = np.zeros(400, dtype=np.int64)
    labels[:20] = 1  # 4 per evaluation split
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        SplitPlan().split(labels, class_names=("0", "1"))
    notes = {str(w.message).split(" split")[0]: str(w.message) for w in caught if "split holds" in str(w.message)}
    assert "its AUPRC, the thresholds chosen on validation and early stopping rest on a handful of rows" in notes["the validation"]
    assert "its AUPRC and every test metric rest on a handful of rows" in notes["the test"]
    assert "thresholds" not in notes["the test"] and "early stopping" not in notes["the test"]


# -------------------------------------------------------------- 5. a file with no rows
@pytest.mark.parametrize("kind", ["csv", "parquet", "parquet folder"])
def test_a_header_only_training_file_has_a_header_but_no_rows(tmp_path, kind):
    empty = transactions(10).iloc[:0]
    if kind == "csv":
        path = tmp_path / "history.csv"
        empty.to_csv(path, index=False)
    elif kind == "parquet":
        path = tmp_path / "history.parquet"
        empty.to_parquet(path, index=False)
    else:
        path = tmp_path / "history"
        path.mkdir()
        empty.to_parquet(path / "part-0.parquet", index=False)
    message = rf"{path.name} has a header but no rows \(3 column\(s\) and nothing under them\); there is nothing to train on"
    with pytest.raises(ValueError, match=message):
        load_table(path, target="Class")
    with pytest.raises(ValueError, match=message):
        ImbalanceDataModule(data=str(path), target="Class").setup("fit")


def test_predict_help_says_a_folder_of_parquet_files_is_taken(capsys):
    from imbalance_torch.lightning.scoring import predict_main

    with pytest.raises(SystemExit):
        predict_main(["--help"])
    assert "or a folder of .parquet files, of rows to score" in " ".join(capsys.readouterr().out.split())


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> Path:
    import lightning.pytorch as pl

    from imbalance_torch.lightning import TabularClassifier

    folder = tmp_path_factory.mktemp("review_model")
    data = ImbalanceDataModule.from_frame(transactions(300), target="Class", batch_size=64)
    pl.seed_everything(0, verbose=False)
    model = TabularClassifier(**data.model_arguments(), hidden_width=8)
    trainer = pl.Trainer(
        max_epochs=1, accelerator="cpu", logger=False, enable_checkpointing=False,
        enable_progress_bar=False, enable_model_summary=False, num_sanity_val_steps=0,
    )
    trainer.fit(model, data)
    trainer.save_checkpoint(folder / "model.ckpt")
    return folder / "model.ckpt"


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_predict_scores_a_file_written_with_its_index_under_extra_columns_error(checkpoint, tmp_path, kind):
    from imbalance_torch.lightning.scoring import predict_main

    rows = transactions(40, seed=5).drop(columns="Class")
    if kind == "csv":
        data, name = tmp_path / "tomorrow.csv", "Unnamed: 0"
        rows.to_csv(data)
    else:
        data, name = parquet_with_index(rows.iloc[::-1], tmp_path / "tomorrow.parquet"), "__index_level_0__"
    out = tmp_path / "scores.csv"
    with pytest.warns(UserWarning, match=rf"\['{name}'\] hold the row numbering pandas wrote as a column"):
        predict_main(["--ckpt_path", str(checkpoint), "--data", str(data), "--out", str(out), "--extra_columns", "error"])
    assert len(pd.read_csv(out)) == 40


def test_predict_refuses_extra_columns_naming_the_command_line_flag(checkpoint, tmp_path):
    from imbalance_torch.lightning.scoring import predict_main

    data = tmp_path / "tomorrow.csv"
    transactions(40, seed=5).drop(columns="Class").assign(note=1.0).to_csv(data, index=False)
    with pytest.raises(ValueError, match=r"\['note'\] that the model was not trained on; drop them, or ignore them with a warning \(--extra_columns warn on the command line"):
        predict_main(["--ckpt_path", str(checkpoint), "--data", str(data), "--out", str(tmp_path / "s.csv"), "--extra_columns", "error"])
