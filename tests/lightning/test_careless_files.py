"""Careless files, the reading side (issue 22 items 1, 9, 10; issue 21 item 5).

Bad paths get one line per kind, a Parquet folder is one table with one schema, the header
pre-check is bounded for any number of columns, CSV dialects travel from training to
scoring, and column messages stay short and show look-alike names apart.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import unicodedata
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from child_limits import REPO, run_limited

from imbalance_torch.data import ParquetSource
from imbalance_torch.lightning import ImbalanceDataModule
from imbalance_torch.lightning.tables.files import MAX_COLUMNS, check_dialect, read_sample
from imbalance_torch.lightning.tables.preprocessing import Preprocessing, read_table
from imbalance_torch.lightning.tables.table import load_table


def frame(rows: int = 200, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "amount": np.round(rng.gamma(2.0, 50.0, rows), 2),
        "v1": np.round(rng.standard_normal(rows), 3),
        "Class": (np.arange(rows) % 5 == 0).astype(int),
    })


# ------------------------------------------------------------------ bad paths (item 9)
def make_bad_path(kind: str, tmp: Path) -> Path:
    if kind == "missing":
        return tmp / "nope.csv"
    if kind == "directory":
        (tmp / "folder.csv").mkdir()
        return tmp / "folder.csv"
    if kind == "fifo":
        os.mkfifo(tmp / "pipe.csv")
        return tmp / "pipe.csv"
    if kind == "device":  # a .csv name that is /dev/null
        os.symlink("/dev/null", tmp / "dev.csv")
        return tmp / "dev.csv"
    if kind == "loop":
        os.symlink(tmp / "b.csv", tmp / "a.csv")
        os.symlink(tmp / "a.csv", tmp / "b.csv")
        return tmp / "a.csv"
    if kind == "dangling":
        os.symlink(tmp / "gone.csv", tmp / "link.csv")
        return tmp / "link.csv"
    raise AssertionError(kind)


BAD_PATHS = [
    ("missing", FileNotFoundError, r"nope\.csv': no such file \(relative paths start at"),
    ("directory", IsADirectoryError, r"folder\.csv' is a directory, not a file, and holds no \.parquet file"),
    ("fifo", ValueError, r"pipe\.csv' is a named pipe \(FIFO\), not a file that can be read twice"),
    ("device", ValueError, r"dev\.csv' is a character device, not a file"),
    ("loop", ValueError, r"a\.csv' is a symbolic link loop \(a link that leads back to itself\)"),
    ("dangling", FileNotFoundError, r"link\.csv' is a symbolic link to '.*gone\.csv', which does not exist"),
]


@pytest.mark.parametrize(("kind", "error", "message"), BAD_PATHS, ids=[c[0] for c in BAD_PATHS])
@pytest.mark.parametrize("entry", ["load_table", "ImbalanceDataModule", "predict read_table"])
def test_each_bad_path_is_named_for_what_it_is(tmp_path, kind, error, message, entry):
    path = make_bad_path(kind, tmp_path)
    with pytest.raises(error, match=message):
        if entry == "load_table":
            load_table(path, target="Class")
        elif entry == "ImbalanceDataModule":
            ImbalanceDataModule(data=str(path), target="Class").setup("fit")
        else:
            read_table(path)


def last_line(done: subprocess.CompletedProcess) -> str:
    lines = done.stderr.strip().splitlines()
    return lines[-1] if lines else ""


@pytest.mark.parametrize("command", ["train", "compare"])
def test_a_bad_data_path_on_the_command_line_is_one_line(tmp_path, command):
    """train.py fit printed a 57-line traceback before the library's message."""
    os.mkfifo(tmp_path / "pipe.csv")
    if command == "train":
        args = ["recipes/train.py", "fit", "--data.data", str(tmp_path / "pipe.csv"),
                "--data.target", "Class", "--trainer.default_root_dir", str(tmp_path / "run")]
    else:
        args = ["recipes/compare.py", "--data", str(tmp_path / "pipe.csv"), "--target", "Class",
                "--strategies", "none", "--seeds", "1", "--out", str(tmp_path / "out")]
    done = subprocess.run(
        [sys.executable, *args], cwd=REPO, capture_output=True, text=True, timeout=180,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    assert done.returncode != 0
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    assert re.fullmatch(r"error: data='.*pipe\.csv' is a named pipe \(FIFO\), .*", last_line(done)), done.stderr[-2000:]


def test_train_fit_with_a_missing_file_is_one_line(tmp_path):
    done = subprocess.run(
        [sys.executable, "recipes/train.py", "fit", "--data.data", str(tmp_path / "nope.csv"),
         "--data.target", "Class", "--trainer.default_root_dir", str(tmp_path / "run")],
        cwd=REPO, capture_output=True, text=True, timeout=180, env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    assert last_line(done).startswith(f"error: data='{tmp_path / 'nope.csv'}': no such file"), done.stderr[-2000:]


def test_the_cli_from_python_still_raises_the_error_itself(tmp_path):
    from imbalance_torch.lightning.cli import ImbalanceCLI

    with pytest.raises(FileNotFoundError, match=r"nope\.csv': no such file"):
        ImbalanceCLI(
            args=["--data.data", str(tmp_path / "nope.csv"), "--data.target", "Class"],
            run=False, save_config_callback=None,
        )


# ------------------------------------------------------------ Parquet folders (item 1)
def mixed_folder(tmp_path: Path, hidden: bool = True) -> Path:
    """amount is int64 in the first file and float64 (0.34, 1.34, ...) in the second."""
    folder = tmp_path / "events.parquet"
    folder.mkdir()
    first, second = frame(250, seed=1), frame(250, seed=2)
    first["amount"] = np.arange(250, dtype=np.int64)
    second["amount"] = np.arange(250) + 0.34
    first.to_parquet(folder / "part-0.parquet", index=False)
    second.to_parquet(folder / "part-1.parquet", index=False)
    if hidden:
        (folder / ".ipynb_checkpoints").mkdir()
        second.to_parquet(folder / ".ipynb_checkpoints" / "part-1-checkpoint.parquet", index=False)
        (folder / "_temporary").mkdir()
        second.to_parquet(folder / "_temporary" / "part-9.parquet", index=False)
    return folder


EXPECTED_AMOUNT = np.concatenate([np.arange(250.0), np.arange(250) + 0.34])


def test_parquet_source_reads_a_mixed_folder_as_float_and_skips_hidden_files(tmp_path):
    folder = mixed_folder(tmp_path)
    source = ParquetSource(folder, columns=["amount", "v1"])
    assert source.shape == (500, 2) and source.dtype == torch.float64  # pyarrow's count: 500
    np.testing.assert_array_equal(source.read_range(0, 500)[:, 0].numpy(), EXPECTED_AMOUNT)
    np.testing.assert_array_equal(source.read(np.array([499, 250, 1])).numpy()[:, 0], [249.34, 0.34, 1.0])


@pytest.mark.parametrize("entry", ["load_table", "read_sample", "--data", "predict read_table"])
def test_every_reader_of_a_folder_uses_one_schema(tmp_path, entry):
    folder = mixed_folder(tmp_path)
    if entry == "load_table":
        table = load_table(folder, target="Class")
        amount = table.features[:, table.feature_names.index("amount")]
        assert table.num_rows == 500
    elif entry == "read_sample":
        amount = read_sample(folder, str(folder))["amount"].to_numpy()
        assert amount.dtype == np.float64
        np.testing.assert_array_equal(amount, np.arange(250.0))
        return
    elif entry == "--data":
        dm = ImbalanceDataModule(data=str(folder), target="Class", scale=False)
        dm.setup("fit")
        assert dm.table.num_rows == 500
        amount = dm.table.features[:, dm.table.feature_names.index("amount")]
    else:
        amount = read_table(folder)["amount"].to_numpy()
    np.testing.assert_array_equal(amount, EXPECTED_AMOUNT)


def test_a_folder_with_text_and_numbers_in_one_column_is_refused_naming_files_and_types(tmp_path):
    folder = mixed_folder(tmp_path, hidden=False)
    odd = frame(10)
    odd["amount"] = "n/a"
    odd.to_parquet(folder / "part-2.parquet", index=False)
    message = (r"column 'amount' has types that cannot be read as one \(int64 in part-0\.parquet, "
               r"double in part-1\.parquet, (large_)?string in part-2\.parquet\)")
    with pytest.raises(ValueError, match=message):
        load_table(folder, target="Class")
    with pytest.raises(ValueError, match=message):
        ParquetSource(folder, columns=["amount"])
    with pytest.raises(ValueError, match=message):
        read_table(folder)


def test_an_integer_a_float_cannot_hold_is_refused_not_rounded(tmp_path):
    folder = tmp_path / "ids"
    folder.mkdir()
    pd.DataFrame({"x": np.array([2**53 + 1, 3], dtype=np.int64)}).to_parquet(folder / "a.parquet")
    pd.DataFrame({"x": [0.5, 1.5]}).to_parquet(folder / "b.parquet")
    with pytest.raises(ValueError, match=r"a\.parquet holds a value its folder's column type cannot hold exactly"):
        ParquetSource(folder).read_range(0, 4)


# ------------------------------------------------------- bounded pre-check (item 10)
def test_a_table_of_a_million_columns_is_refused_from_its_header_in_bounded_memory(tmp_path):
    """pandas took 196 s and 14.6 GB for read_csv(nrows=1000) of a 40-row, 10^6-column CSV."""
    path = tmp_path / "wide.csv"
    columns = 10**6
    with open(path, "w") as handle:
        handle.write(",".join(f"c{i}" for i in range(columns)) + ",Class\n")
        for row in range(3):
            handle.write("1," * columns + f"{row % 2}\n")
    script = (
        "from imbalance_torch.lightning.tables.table import load_table\n"
        f"load_table({str(path)!r}, target='Class')\n"
    )
    done, seconds = run_limited("-c", script, memory_mib=1024, timeout_s=90)
    line = last_line(done)
    assert line == (
        f"ValueError: wide.csv has 1,000,001 columns, more than the {MAX_COLUMNS:,} a table may "
        "have (MAX_COLUMNS: pandas needs minutes and gigabytes to read 10^6 columns, even one row "
        "of them); select the columns to train on first (e.g. pandas.read_csv(path, usecols=[...]) "
        "or pyarrow), or check that the file is not transposed (one row per example, one column "
        "per feature)."
    ), done.stderr[-2000:]
    assert "MemoryError" not in done.stderr


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_the_sample_of_a_wide_table_holds_a_bounded_number_of_cells(tmp_path, suffix):
    wide = pd.DataFrame(np.ones((120, 20_000)), columns=[f"c{i}" for i in range(20_000)])
    path = tmp_path / f"wide.{suffix}"
    wide.to_csv(path, index=False) if suffix == "csv" else wide.to_parquet(path, index=False)
    sample = read_sample(path, str(path))
    assert sample.shape == (50, 20_000)  # 10^6 cells (SAMPLE_CELLS), not 120 rows


# ----------------------------------------------------------- CSV dialects (issue 21.5)
def semicolon_csv(tmp_path: Path, rows: int = 200, name: str = "export.csv") -> tuple[Path, pd.DataFrame]:
    data = frame(rows)
    path = tmp_path / name
    data.to_csv(path, sep=";", decimal=",", index=False)
    return path, data


def test_a_semicolon_csv_with_decimal_commas_reads_with_sep_and_decimal(tmp_path):
    path, data = semicolon_csv(tmp_path)
    table = load_table(path, target="Class", sep=";", decimal=",")
    np.testing.assert_array_equal(table.features[:, 0], data["amount"].to_numpy())
    np.testing.assert_array_equal(table.features[:, 1], data["v1"].to_numpy())


@pytest.mark.parametrize(("sep", "shown"), [(";", "';'"), ("\t", r"'\\t'")])
def test_a_one_column_header_with_another_separator_suggests_it(tmp_path, sep, shown):
    path = tmp_path / "export.csv"
    frame(50).to_csv(path, sep=sep, index=False)
    with pytest.raises(ValueError, match=(
        rf"target='Class' is not a column of export\.csv: read with sep=',', its header is the "
        rf"one column .*, which holds .*; split on .* it gives 3 columns \(the target is among "
        rf"them\)\. Pass sep={shown}.*on the command line --data\.sep {shown}\."
    )):
        load_table(path, target="Class")


@pytest.mark.parametrize(("sep", "decimal", "error", "message"), [
    (";", ";", ValueError, r"sep=';' and decimal=';' are the same character"),
    (";;", ".", ValueError, r"sep=';;' must be one character other than a quote or a line break"),
    ("\n", ".", ValueError, r"sep='\\n' must be one character"),
    (59, ".", TypeError, r"sep must be one character \(a str\), got 59 of type int"),
])
def test_a_bad_dialect_is_refused_before_any_read(tmp_path, sep, decimal, error, message):
    with pytest.raises(error, match=message):
        check_dialect(sep, decimal)
    with pytest.raises(error, match=message):
        ImbalanceDataModule(data=str(tmp_path / "never_read.csv"), target="Class", sep=sep, decimal=decimal)


def test_the_typed_backslash_t_is_a_tab():
    assert check_dialect("\\t", ".") == ("\t", ".")


def test_the_dialect_travels_from_training_to_scoring(tmp_path):
    path, data = semicolon_csv(tmp_path)
    dm = ImbalanceDataModule(data=str(path), target="Class", sep=";", decimal=",")
    dm.setup("fit")
    prep = dm.preprocessing
    assert prep.csv_dialect == {"sep": ";", "decimal": ","}
    assert prep.input_columns == ("amount", "v1")
    restored = Preprocessing.from_state_dict(prep.state_dict())
    tomorrow, _ = semicolon_csv(tmp_path, name="tomorrow.csv")
    torch.testing.assert_close(restored.transform(tomorrow), dm.split_and_preprocess().features)
    torch.testing.assert_close(restored.transform(data.drop(columns="Class")), dm.split_and_preprocess().features)


def test_the_command_line_takes_data_sep_and_decimal(tmp_path):
    from imbalance_torch.lightning.cli import ImbalanceCLI

    path, data = semicolon_csv(tmp_path)
    cli = ImbalanceCLI(
        args=["--data.data", str(path), "--data.target", "Class", "--data.sep", ";",
              "--data.decimal", ","],
        run=False, save_config_callback=None,
        trainer_defaults={"logger": False, "enable_checkpointing": False},
    )
    assert cli.datamodule.table.feature_names == ("amount", "v1")
    np.testing.assert_array_equal(cli.datamodule.table.features[:, 0], data["amount"].to_numpy())


# ------------------------------------------------- bounded column messages (item 9)
@pytest.fixture(scope="module")
def prep() -> Preprocessing:
    data = frame(300).rename(columns={"v1": "café"})
    dm = ImbalanceDataModule.from_frame(data, target="Class")
    dm.setup("fit")
    return dm.preprocessing


def test_200000_unknown_columns_give_a_short_message(prep):
    extra = pd.DataFrame(np.zeros((2, 200_000)), columns=[f"x{i}" for i in range(200_000)])
    data = pd.concat([frame(2).rename(columns={"v1": "café"}), extra], axis=1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        prep.transform(data)
    (message,) = [str(w.message) for w in caught if "not trained on" in str(w.message)]
    assert message == (
        "the data has column(s) ['x0', 'x1', 'x2', 'x3', 'x4', 'x5', 'x6', 'x7', 'x8', 'x9'] and "
        "199,990 more (200,000 in all) that the model was not trained on; they are ignored."
    )
    with pytest.raises(ValueError, match=r"and 199,990 more \(200,000 in all\) that the model was not trained on; drop them") as info:
        prep.transform(data, extra_columns="error")
    assert len(str(info.value)) < 400


@pytest.mark.parametrize(("written", "shown"), [
    (unicodedata.normalize("NFD", "café"), r"'cafe\\u0301'"),
    ("caf\u200bé", r"'caf\\u200b\\xe9'"),
    ("café\u00a0", r"'caf\\xe9\\xa0'"),
])
def test_look_alike_names_are_shown_escaped(prep, written, shown):
    data = frame(5).rename(columns={"v1": written})
    with pytest.raises(ValueError) as info:
        prep.transform(data)
    message = str(info.value)
    assert message.startswith("the data lacks the column(s) ['café'] that the model was trained on")
    assert re.search(rf"It has {shown} for 'café': the same name written with other Unicode characters", message), message


def test_a_header_only_file_to_score_has_no_rows(prep, tmp_path):
    path = tmp_path / "tomorrow.csv"
    path.write_text("amount,café,Class\n")
    with pytest.raises(ValueError, match=r"tomorrow\.csv has a header but no rows \(3 column\(s\) and nothing under them\); there is nothing to score"):
        prep.transform(path)


# ------------------------------------------------ predict: dialect and bad paths
@pytest.fixture(scope="module")
def semicolon_checkpoint(tmp_path_factory) -> tuple[Path, pd.DataFrame]:
    import lightning.pytorch as pl

    from imbalance_torch.lightning import TabularClassifier

    folder = tmp_path_factory.mktemp("dialect")
    path, data = semicolon_csv(folder, rows=300)
    dm = ImbalanceDataModule(data=str(path), target="Class", sep=";", decimal=",", batch_size=64)
    pl.seed_everything(0, verbose=False)
    model = TabularClassifier(**dm.model_arguments(), hidden_width=8)
    trainer = pl.Trainer(
        max_epochs=1, accelerator="cpu", logger=False, enable_checkpointing=False,
        enable_progress_bar=False, enable_model_summary=False, num_sanity_val_steps=0,
    )
    trainer.fit(model, dm)
    trainer.save_checkpoint(folder / "model.ckpt")
    return folder / "model.ckpt", data


def test_predict_reads_the_file_to_score_in_the_training_dialect(semicolon_checkpoint, tmp_path):
    from imbalance_torch.lightning.scoring import Scorer, predict_file

    ckpt, data = semicolon_checkpoint
    tomorrow = tmp_path / "tomorrow.csv"
    data.drop(columns="Class").to_csv(tomorrow, sep=";", decimal=",", index=False)
    written = predict_file(ckpt, tomorrow, tmp_path / "scores.csv")
    scores = pd.read_csv(written)
    expected = Scorer.from_checkpoint(ckpt).predict_proba(data.drop(columns="Class"))
    np.testing.assert_allclose(scores["probability"], expected["probability"], rtol=0, atol=1e-6)


def test_predict_with_a_bad_data_path_is_one_line(semicolon_checkpoint, tmp_path):
    ckpt, _ = semicolon_checkpoint
    os.mkfifo(tmp_path / "pipe.csv")
    done = subprocess.run(
        [sys.executable, "recipes/train.py", "predict", "--ckpt_path", str(ckpt),
         "--data", str(tmp_path / "pipe.csv"), "--out", str(tmp_path / "scores.csv")],
        cwd=REPO, capture_output=True, text=True, timeout=180, env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    assert done.returncode != 0
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    assert re.fullmatch(r"error: data='.*pipe\.csv' is a named pipe \(FIFO\), .*", last_line(done)), done.stderr[-2000:]
