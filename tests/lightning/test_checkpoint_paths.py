"""Checkpoint paths of ``predict`` and ``train fit / validate / test``: every bad kind of path
(missing, dangling link, link loop, directory, FIFO, device, empty file, a file that is no
checkpoint) is named for what it is, in one line, before torch or Lightning opens it
(NOTE [checkpoint paths] in ``lightning/model/checkpoints.py``); Lightning's own values pass through
untouched. And ``--alert-share`` that rounds down to no row of the scored file says so."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import warnings
import zipfile
from pathlib import Path

import lightning.pytorch as pl
import numpy as np
import pandas as pd
import pytest
import torch
from child_limits import REPO

from imbalance_torch.lightning import ImbalanceDataModule, TabularClassifier
from imbalance_torch.lightning.commands.console import train_main
from imbalance_torch.lightning.model.checkpoints import load_classifier
from imbalance_torch.lightning.model.thresholds import alert_budget_rows
from imbalance_torch.lightning.scoring import Scorer, predict_file, predict_main

CSV_TEXT = "Time,V1,Amount\n0.1,2,3\n"


def make_bad_checkpoint(kind: str, tmp: Path) -> Path:
    if kind == "missing":
        return tmp / "nope.ckpt"
    if kind == "dangling":
        os.symlink(tmp / "gone.ckpt", tmp / "link.ckpt")
        return tmp / "link.ckpt"
    if kind == "loop":
        os.symlink(tmp / "b.ckpt", tmp / "a.ckpt")
        os.symlink(tmp / "a.ckpt", tmp / "b.ckpt")
        return tmp / "a.ckpt"
    if kind == "directory":
        (tmp / "checkpoints").mkdir()
        return tmp / "checkpoints"
    if kind == "folder_of_checkpoints":
        (tmp / "run").mkdir()
        for name in ("last.ckpt", "best-epoch=3.ckpt", "notes.txt"):
            (tmp / "run" / name).write_bytes(b"x")
        return tmp / "run"
    if kind == "fifo":
        os.mkfifo(tmp / "pipe.ckpt")
        return tmp / "pipe.ckpt"
    if kind == "device":
        return Path("/dev/null")
    if kind == "empty":
        (tmp / "empty.ckpt").write_bytes(b"")
        return tmp / "empty.ckpt"
    if kind == "csv":
        (tmp / "scores.csv").write_text(CSV_TEXT)
        return tmp / "scores.csv"
    if kind == "zip":
        with zipfile.ZipFile(tmp / "data.zip", "w") as archive:
            archive.writestr("train.csv", CSV_TEXT)
        return tmp / "data.zip"
    if kind == "truncated":
        torch.save({"state_dict": {"w": torch.zeros(1000)}}, tmp / "whole.ckpt")
        data = (tmp / "whole.ckpt").read_bytes()
        (tmp / "cut.ckpt").write_bytes(data[: len(data) // 2])
        return tmp / "cut.ckpt"
    raise AssertionError(kind)


BAD_CHECKPOINTS = [
    ("missing", FileNotFoundError, r"ckpt_path='.*nope\.ckpt': no such checkpoint file \(relative paths start at "),
    ("dangling", FileNotFoundError, r"ckpt_path='.*link\.ckpt' is a symbolic link to '.*gone\.ckpt', which does not exist"),
    ("loop", ValueError, r"ckpt_path='.*a\.ckpt' is a symbolic link loop \(a link that leads back to itself\)"),
    ("directory", IsADirectoryError, r"ckpt_path='.*checkpoints' is a directory, not a checkpoint file; it holds no \.ckpt file"),
    ("folder_of_checkpoints", IsADirectoryError,
     r"ckpt_path='.*run' is a directory, not a checkpoint file; it holds 'best-epoch=3\.ckpt', 'last\.ckpt': pass one of them"),
    ("fifo", ValueError, r"ckpt_path='.*pipe\.ckpt' is a named pipe \(FIFO\), not a checkpoint file"),
    ("device", ValueError, r"ckpt_path='/dev/null' is a character device, not a checkpoint file"),
    ("empty", ValueError, r"ckpt_path='.*empty\.ckpt' is empty \(0 bytes\), not a checkpoint"),
    ("csv", ValueError, r"scores\.csv is not a checkpoint: torch\.load cannot read it \(UnpicklingError"),
    ("zip", ValueError, r"data\.zip is a zip archive but not a torch checkpoint \(it holds no data\.pkl\)"),
    ("truncated", ValueError, r"cut\.ckpt is a zip archive cut short"),
]
KINDS = [case[0] for case in BAD_CHECKPOINTS]
MESSAGES = {kind: message for kind, _, message in BAD_CHECKPOINTS}


# ------------------------------------------------------------------ in process, every entry
@pytest.mark.parametrize(("kind", "error", "message"), BAD_CHECKPOINTS, ids=KINDS)
@pytest.mark.parametrize("entry", ["Scorer.from_checkpoint", "load_classifier", "train fit",
                                   "train validate", "train test"])
def test_each_bad_checkpoint_path_is_named_for_what_it_is(tmp_path, kind, error, message, entry):
    path = make_bad_checkpoint(kind, tmp_path)
    with pytest.raises(error, match=message):
        if entry == "Scorer.from_checkpoint":
            Scorer.from_checkpoint(path)
        elif entry == "load_classifier":
            load_classifier(str(path))
        elif entry == "train test":  # the --ckpt_path=X spelling
            train_main(["test", f"--ckpt_path={path}", "--trainer.default_root_dir", str(tmp_path / "r")])
        else:
            train_main([entry.split()[1], "--ckpt_path", str(path),
                        "--trainer.default_root_dir", str(tmp_path / "r")])


@pytest.mark.parametrize("kind", KINDS)
def test_from_the_command_line_each_bad_checkpoint_path_exits_with_one_line(tmp_path, kind):
    path = make_bad_checkpoint(kind, tmp_path)
    message = MESSAGES[kind]
    commands = [
        ["predict", "--ckpt_path", str(path), "--data", str(tmp_path / "x.csv"), "--out", str(tmp_path / "s.csv")],
        ["fit", "--ckpt_path", str(path), "--trainer.default_root_dir", str(tmp_path / "r")],
        ["test", f"--ckpt_path={path}", "--trainer.default_root_dir", str(tmp_path / "r")],
    ]
    for command in commands:
        with pytest.raises(SystemExit) as exited:
            train_main(command, exit_on_error=True)
        line = str(exited.value.code)
        assert line.startswith("error: ") and "\n" not in line, (command[0], line)
        assert re.search(message, line), (command[0], line)


# ------------------------------------------------------------------ in a subprocess
def last_line(done: subprocess.CompletedProcess) -> str:
    lines = done.stderr.strip().splitlines()
    return lines[-1] if lines else ""


COMMANDS = {
    "predict": ["-m", "imbalance_torch.lightning.commands.console", "predict"],
    "train fit": ["-m", "imbalance_torch.lightning.commands.console", "train", "fit"],
    "train test": ["recipes/train.py", "test"],
}


# Each child starts Python, torch and Lightning (about 17 s on a loaded 2-core machine), so the
# real console runs the cases each command got wrong; every kind x command goes through the
# same one-line exit in process above.
@pytest.mark.parametrize(("command", "kind"), [
    ("predict", "directory"), ("predict", "device"), ("train fit", "missing"), ("train fit", "empty"),
    ("train test", "directory"), ("train test", "csv"),
])
def test_a_bad_checkpoint_path_on_the_command_line_is_one_line(tmp_path, command, kind):
    """predict said "no such checkpoint file" for a directory, a FIFO or /dev/null; train fit
    and test printed Lightning's 40-line traceback (FileNotFoundError, IsADirectoryError,
    EOFError)."""
    path = make_bad_checkpoint(kind, tmp_path)
    args = [*COMMANDS[command], "--ckpt_path", str(path)]
    if command == "predict":
        args += ["--data", str(tmp_path / "x.csv"), "--out", str(tmp_path / "scores.out.csv")]
    else:
        args += ["--trainer.default_root_dir", str(tmp_path / "run")]
    done = subprocess.run(
        [sys.executable, *args], cwd=REPO, capture_output=True, text=True, timeout=180,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    message = MESSAGES[kind]
    assert done.returncode == 1, done.stderr[-2000:]
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    assert done.stderr.count("error: ") == 1, done.stderr[-2000:]
    assert re.fullmatch(f"error: .*{message}.*", last_line(done)), done.stderr[-2000:]


# ------------------------------------------------------------------ Lightning's own values
class RecordedCLI:
    """Stands in for ImbalanceCLI: records the arguments it is given, runs nothing."""

    calls: list[list[str]] = []
    subcommand = None

    def __init__(self, *, args, **kwargs):
        RecordedCLI.calls.append(list(args))


@pytest.mark.parametrize("given", [
    ["fit", "--ckpt_path", "last"], ["test", "--ckpt_path=best"], ["validate", "--ckpt_path", "hpc"],
    ["fit", "--ckpt_path", "registry"], ["fit", "--ckpt_path=registry:fraud-model:v3"],
    ["test", "--ckpt_path", "s3://bucket/runs/best.ckpt"], ["fit", "--ckpt_path", "null"],
])
def test_lightning_resolves_its_own_values_and_gets_them_untouched(tmp_path, monkeypatch, given):
    monkeypatch.chdir(tmp_path)  # no file of these names here
    monkeypatch.setattr("imbalance_torch.lightning.cli.ImbalanceCLI", RecordedCLI)
    RecordedCLI.calls = []
    train_main(given)
    assert RecordedCLI.calls == [given]
    # A plain name that is no file is checked (Lightning would print its traceback).
    with pytest.raises(FileNotFoundError, match=r"ckpt_path='Last': no such checkpoint file"):
        train_main([given[0], "--ckpt_path", "Last"])


def test_a_checkpoint_file_passes_the_check_and_reaches_lightning_as_given(tmp_path, monkeypatch):
    from imbalance_torch.lightning.model.checkpoints import check_lightning_ckpt_path

    path = tmp_path / "epoch=1.ckpt"
    torch.save({"state_dict": {"w": torch.zeros(2)}, "epoch": 1}, path)
    monkeypatch.setattr("imbalance_torch.lightning.cli.ImbalanceCLI", RecordedCLI)
    RecordedCLI.calls = []
    for given in (["fit", f"--ckpt_path={path}"], ["test", "--ckpt_path", str(path)]):
        check_lightning_ckpt_path(str(path))
        train_main(given)
    assert RecordedCLI.calls == [["fit", f"--ckpt_path={path}"], ["test", "--ckpt_path", str(path)]]
    with pytest.raises(ValueError, match=r"--ckpt_path needs a checkpoint path, e\.g\. --ckpt_path last"):
        train_main(["fit", "--ckpt_path"])


# ------------------------------------------------------------------ with a real checkpoint
@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ckpt_paths")
    rng = np.random.default_rng(3)
    rows = 300
    positive = rng.random(rows) < 0.2
    frame = pd.DataFrame({"a": rng.standard_normal(rows) + positive, "b": rng.standard_normal(rows),
                          "label": positive.astype(int)})
    frame.to_csv(folder / "train.csv", index=False)
    dm = ImbalanceDataModule(data=str(folder / "train.csv"), target="label", batch_size=64)
    pl.seed_everything(0, verbose=False)
    model = TabularClassifier(**dm.model_arguments(), hidden_width=8)
    trainer = pl.Trainer(max_epochs=1, accelerator="cpu", logger=False, enable_checkpointing=False,
                         enable_progress_bar=False, enable_model_summary=False, num_sanity_val_steps=0)
    trainer.fit(model, dm)
    trainer.save_checkpoint(folder / "model.ckpt")
    frame.drop(columns="label").head(120).to_csv(folder / "tomorrow.csv", index=False)
    return {"folder": folder, "ckpt": folder / "model.ckpt", "data": folder / "tomorrow.csv"}


def test_a_symlink_loop_as_data_or_checkpoint_is_named_not_a_runtime_error(fitted, tmp_path):
    """pathlib's resolve() raised RuntimeError("Symlink loop") inside the --out guard."""
    os.symlink(tmp_path / "b.csv", tmp_path / "a.csv")
    os.symlink(tmp_path / "a.csv", tmp_path / "b.csv")
    with pytest.raises(ValueError, match=r"data='.*a\.csv' is a symbolic link loop"):
        predict_file(fitted["ckpt"], tmp_path / "a.csv", tmp_path / "scores.csv")
    with pytest.raises(ValueError, match=r"ckpt_path='.*a\.csv' is a symbolic link loop"):
        predict_file(tmp_path / "a.csv", fitted["data"], tmp_path / "scores.csv")


def test_a_directory_checkpoint_is_named_before_the_out_guard(fitted):
    """--out inside the checkpoint folder given as --ckpt_path: the folder is the fault."""
    folder = fitted["folder"]
    with pytest.raises(IsADirectoryError, match=r"is a directory, not a checkpoint file; it holds 'model\.ckpt'"):
        predict_file(folder, fitted["data"], folder / "scores.csv")


def test_an_alert_share_below_one_row_keeps_its_column_and_says_so(fitted, tmp_path, capsys):
    out = tmp_path / "scores.csv"
    predict_main(["--ckpt_path", str(fitted["ckpt"]), "--data", str(fitted["data"]), "--out", str(out),
                  "--alert-share", "0.001"])
    printed = capsys.readouterr().out
    assert "flag_top_share: 0 of 120 rows flagged by alert-share 0.001" in printed
    assert ("note: --alert-share 0.001 of 120 rows is 0.12 of a row, which rounds down to 0 rows "
            "(a budget is never exceeded), so flag_top_share flags none; pass --alert-count 1, or "
            "--alert-share 0.00834 or more, to flag at least one row of this file.") in printed
    scores = pd.read_csv(out)
    assert "flag_top_share" in scores and not scores["flag_top_share"].any()
    # The suggested share flags one row; a share that flags rows prints no note.
    predict_main(["--ckpt_path", str(fitted["ckpt"]), "--data", str(fitted["data"]), "--out", str(out),
                  "--alert-share", "0.00834"])
    assert "note:" not in capsys.readouterr().out
    assert pd.read_csv(out)["flag_top_share"].sum() == 1


def test_scorer_warns_when_an_alert_share_flags_no_row(fitted):
    scorer = Scorer.from_checkpoint(fitted["ckpt"])
    rows = pd.read_csv(fitted["data"])
    with pytest.warns(UserWarning, match=r"alert_share=0\.001 of 120 rows is 0\.12 of a row, which rounds "
                      r"down to 0 rows .* pass alert_count=1, or alert_share=0\.00834 or more"):
        scores = scorer.score(rows, alert_share=0.001)
    assert not scores["flag_top_share"].any()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert scorer.score(rows, alert_share=0.05)["flag_top_share"].sum() == 6


@pytest.mark.parametrize("rows", [1, 3, 7, 120, 199, 200, 1000, 12345, 10**6 + 3])
def test_the_suggested_share_flags_one_row_and_is_close_to_one_over_rows(rows):
    from imbalance_torch.lightning.model.thresholds import alert_share_for_one_row

    share = alert_share_for_one_row(rows)
    assert alert_budget_rows(rows, alert_share=share) >= 1
    assert 0 < share <= 1 and share - 1 / rows <= 1e-2 / rows + 1e-12  # three significant digits
