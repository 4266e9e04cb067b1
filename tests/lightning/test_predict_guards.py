"""``predict`` guards: an output path that is the input or the checkpoint is refused before any
work; a file that is not a usable checkpoint gets one line, never a traceback; alert budgets
of the scored file (top K rows, top share) with exact counts and deterministic ties."""

from __future__ import annotations

import os
import zipfile
from argparse import Namespace
from pathlib import Path

import lightning.pytorch as pl
import numpy as np
import pandas as pd
import pytest
import torch

from imbalance_torch.lightning import ImbalanceDataModule, TabularClassifier
from imbalance_torch.lightning.commands.console import train_main
from imbalance_torch.lightning.scoring import Scorer, check_alert_budget, predict_file, predict_main


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    folder = tmp_path_factory.mktemp("guards")
    rng = np.random.default_rng(1)
    rows = 400
    positive = rng.random(rows) < 0.15
    frame = pd.DataFrame({
        "a": rng.standard_normal(rows) + positive, "b": rng.standard_normal(rows),
        "kind": rng.choice(["x", "y"], rows), "label": positive.astype(int),
    })
    frame.to_csv(folder / "train.csv", index=False)
    dm = ImbalanceDataModule(data=str(folder / "train.csv"), target="label", categorical=["kind"],
                             batch_size=64)
    pl.seed_everything(0, verbose=False)
    model = TabularClassifier(**dm.model_arguments(), hidden_width=8, alert_share=0.05)
    trainer = pl.Trainer(max_epochs=1, accelerator="cpu", logger=False, enable_checkpointing=False,
                         enable_progress_bar=False, enable_model_summary=False, num_sanity_val_steps=0)
    trainer.fit(model, dm)
    trainer.save_checkpoint(folder / "model.ckpt")
    score_rows = frame.drop(columns="label").head(120)
    score_rows.to_csv(folder / "tomorrow.csv", index=False)
    return {"folder": folder, "ckpt": folder / "model.ckpt", "data": folder / "tomorrow.csv",
            "rows": score_rows}


def command_line_error(arguments: list[str]) -> str:
    """The one line ``imbalance-torch predict`` exits with (rc != 0)."""
    with pytest.raises(SystemExit) as exited:
        train_main(["predict", *arguments], exit_on_error=True)
    message = str(exited.value.code)
    assert message.startswith("error: ") and "\n" not in message and "Traceback" not in message
    return message


# --------------------------------------------------------------------------- --out guard
def test_out_that_is_the_data_file_is_refused_and_the_input_untouched(fitted, monkeypatch):
    data = fitted["data"]
    before = data.read_bytes()
    message = command_line_error(["--ckpt_path", str(fitted["ckpt"]), "--data", str(data), "--out", str(data)])
    assert "is the same file as data=" in message and "would replace the rows being scored" in message
    # A relative spelling of the same file.
    monkeypatch.chdir(fitted["folder"])
    with pytest.raises(ValueError, match=r"out='\./sub/\.\./tomorrow\.csv' is the same file as data='tomorrow\.csv'"):
        (fitted["folder"] / "sub").mkdir(exist_ok=True)
        predict_file(fitted["ckpt"], "tomorrow.csv", "./sub/../tomorrow.csv")
    assert data.read_bytes() == before


def test_out_through_a_symlink_or_hard_link_to_the_data_is_refused(fitted):
    data = fitted["data"]
    before = data.read_bytes()
    link = fitted["folder"] / "link.csv"
    link.unlink(missing_ok=True)
    link.symlink_to(data)
    with pytest.raises(ValueError, match=r"link\.csv' is the same file as data=.*tomorrow\.csv'"):
        predict_file(fitted["ckpt"], data, link)
    hard = fitted["folder"] / "hard.csv"
    hard.unlink(missing_ok=True)
    os.link(data, hard)
    with pytest.raises(ValueError, match=r"hard\.csv' is the same file as data="):
        predict_file(fitted["ckpt"], data, hard)
    assert data.read_bytes() == before and hard.read_bytes() == before


def test_out_that_is_the_checkpoint_is_refused(fitted):
    before = fitted["ckpt"].read_bytes()
    link = fitted["folder"] / "model_link.parquet"
    link.unlink(missing_ok=True)
    link.symlink_to(fitted["ckpt"])
    message = command_line_error(["--ckpt_path", str(fitted["ckpt"]), "--data", str(fitted["data"]),
                                  "--out", str(link)])
    assert "is the same file as ckpt_path=" in message and "would replace the model" in message
    assert fitted["ckpt"].read_bytes() == before


def test_out_inside_a_parquet_folder_given_as_data_is_refused(fitted):
    folder = fitted["folder"] / "parts"
    folder.mkdir(exist_ok=True)
    fitted["rows"].to_parquet(folder / "part-0.parquet", index=False)
    with pytest.raises(ValueError, match=r"lies inside the folder data=.*parts'; the scores would become part of the rows"):
        predict_file(fitted["ckpt"], folder, folder / "scores.parquet")
    assert not (folder / "scores.parquet").exists()


# --------------------------------------------------------------------------- bad checkpoints
def edited_checkpoint(fitted, name: str, edit) -> Path:
    checkpoint = torch.load(fitted["ckpt"], weights_only=True)
    edit(checkpoint)
    path = fitted["folder"] / name
    torch.save(checkpoint, path)
    return path


def predict_error(fitted, ckpt: Path) -> str:
    return command_line_error(["--ckpt_path", str(ckpt), "--data", str(fitted["data"]),
                               "--out", str(fitted["folder"] / "scores.csv")])


def test_a_csv_given_as_the_checkpoint_gets_one_line(fitted):
    message = predict_error(fitted, fitted["data"])
    assert "tomorrow.csv is not a checkpoint: torch.load cannot read it (" in message
    assert "Weights only load failed" not in message
    other = fitted["folder"] / "other.csv"
    other.write_text("Time,V1,Amount\n0.1,2,3\n")  # torch's "Weights only load failed" today
    message = predict_error(fitted, other)
    assert "other.csv is not a checkpoint: torch.load cannot read it (UnpicklingError" in message
    assert "Weights only load failed" not in message


def test_a_torch_file_of_pickled_objects_gets_one_line(fitted):
    path = fitted["folder"] / "objects.ckpt"
    torch.save({"state_dict": {}, "hyper_parameters": Namespace(width=3)}, path)
    assert zipfile.is_zipfile(path)
    message = predict_error(fitted, path)
    assert "objects.ckpt is a torch file holding objects other than tensors and plain values" in message


def test_a_checkpoint_of_another_width_gets_one_line(fitted):
    def wider(checkpoint):
        checkpoint["hyper_parameters"]["hidden_width"] = 16

    message = predict_error(fitted, edited_checkpoint(fitted, "wide.ckpt", wider))
    assert "wide.ckpt: the weights do not fit the network its hyper-parameters describe" in message
    assert "network.0.weight (8, 4) where the network of its hyper-parameters has (16, 4)" in message
    assert "size mismatch" not in message


def test_a_renamed_weight_gets_one_line(fitted):
    def rename(checkpoint):
        weights = checkpoint["state_dict"]
        weights["net.0.weight"] = weights.pop("network.0.weight")

    message = predict_error(fitted, edited_checkpoint(fitted, "renamed.ckpt", rename))
    assert "lacks the weight(s) 'network.0.weight'" in message
    assert "holds weight(s) this network does not have: 'net.0.weight'" in message


def test_a_preprocessing_state_missing_keys_gets_one_line(fitted):
    def drop(checkpoint):
        state = checkpoint["ImbalanceDataModule"]["preprocessing"]
        del state["means"], state["scales"]

    message = predict_error(fitted, edited_checkpoint(fitted, "nokeys.ckpt", drop))
    assert "nokeys.ckpt: the preprocessing state lacks 2 key(s): 'means', 'scales'" in message


def test_a_checkpoint_of_another_version_gets_one_line_naming_both_versions(fitted):
    assert torch.load(fitted["ckpt"], weights_only=True)["imbalance_torch_version"] == "0.1.0"

    def future(checkpoint):
        checkpoint["imbalance_torch_version"] = "9.0"
        checkpoint["hyper_parameters"]["attention_heads"] = 4

    message = predict_error(fitted, edited_checkpoint(fitted, "future.ckpt", future))
    assert "future.ckpt: hyper-parameter(s) 'attention_heads' are unknown to this TabularClassifier" in message
    assert "written by imbalance-torch 9.0; this is 0.1.0" in message

    def old_preprocessing(checkpoint):
        checkpoint["ImbalanceDataModule"]["preprocessing"]["version"] = 0
        del checkpoint["imbalance_torch_version"]

    message = predict_error(fitted, edited_checkpoint(fitted, "old.ckpt", old_preprocessing))
    assert "old.ckpt: the checkpoint's preprocessing has version 0" in message
    assert "an imbalance-torch that did not record its version" in message


def test_the_unchanged_checkpoint_still_loads_with_weights_only(fitted, monkeypatch):
    calls = []
    original = torch.load

    def spy(*args, **kwargs):
        calls.append(kwargs.get("weights_only"))
        return original(*args, **kwargs)

    monkeypatch.setattr(torch, "load", spy)
    scorer = Scorer.from_checkpoint(fitted["ckpt"])
    assert calls == [True] and "alert_share" in scorer.thresholds


# --------------------------------------------------------------------------- alert budgets
def test_alert_count_and_share_flag_the_top_rows_of_the_file(fitted, capsys):
    out = fitted["folder"] / "budget.csv"
    predict_main(["--ckpt_path", str(fitted["ckpt"]), "--data", str(fitted["data"]), "--out", str(out),
                  "--alert-count", "7", "--alert-share", "0.05"])
    printed = capsys.readouterr().out
    assert "flag_top_count: 7 of 120 rows flagged by alert-count 7" in printed
    assert "flag_top_share: 6 of 120 rows flagged by alert-share 0.05" in printed
    scores = pd.read_csv(out)
    assert scores.columns[-2:].tolist() == ["flag_top_count", "flag_top_share"]
    assert "flag_alert_share" in scores  # the stored validation threshold stays beside them
    probability = scores["probability"].to_numpy()
    for column, count in (("flag_top_count", 7), ("flag_top_share", 6)):
        flags = scores[column].to_numpy()
        assert flags.sum() == count
        assert probability[flags].min() >= probability[~flags].max()


def test_ties_are_broken_by_row_order_and_counts_are_exact():
    from imbalance_torch.lightning.model.thresholds import alert_budget_rows, top_rows

    scores = np.array([0.2, 0.9, 0.5, 0.9, 0.5, 0.5, 0.1])
    np.testing.assert_array_equal(top_rows(scores, 3), [False, True, True, True, False, False, False])
    np.testing.assert_array_equal(top_rows(scores, 4), [False, True, True, True, True, False, False])
    assert top_rows(scores, 50).all()
    assert alert_budget_rows(7, alert_count=50) == 7
    assert alert_budget_rows(200, alert_share=0.005) == 1  # 0.005 * 200 = 1.0000000000000002 or 0.99..
    assert alert_budget_rows(199, alert_share=0.005) == 0  # the budget is never exceeded
    assert alert_budget_rows(10, alert_share=0.3) == 3  # 0.3 * 10 = 3.0000000000000004


def test_scorer_score_budget_on_a_frame_with_ties(fitted):
    scorer = Scorer.from_checkpoint(fitted["ckpt"])
    rows = pd.concat([fitted["rows"].head(3)] * 4, ignore_index=True)  # each score 4 times
    scores = scorer.score(rows, alert_count=2)
    flagged = np.flatnonzero(scores["flag_top_count"].to_numpy())
    best = int(np.argmax(scores["probability"].to_numpy()[:3]))
    np.testing.assert_array_equal(flagged, [best, best + 3])


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"alert_count": True}, TypeError, "alert_count must be an int >= 1 .* got True of type bool"),
    ({"alert_count": 2.0}, TypeError, "alert_count must be an int >= 1 .* got 2.0 of type float"),
    ({"alert_count": 0}, ValueError, "alert_count must be >= 1 .* got 0"),
    ({"alert_share": False}, TypeError, "alert_share must be a number in \\(0, 1\\] .* got False of type bool"),
    ({"alert_share": "5%"}, TypeError, "alert_share must be a number in \\(0, 1\\] .* got '5%' of type str"),
    ({"alert_share": 0.0}, ValueError, r"alert_share must be in \(0, 1\] .* got 0.0"),
    ({"alert_share": 1.5}, ValueError, r"alert_share must be in \(0, 1\] .* got 1.5"),
    ({"alert_share": float("nan")}, ValueError, r"alert_share must be in \(0, 1\] .* got nan"),
])
def test_alert_budgets_are_checked_before_any_work(fitted, kwargs, error, match):
    with pytest.raises(error, match=match):
        check_alert_budget(**kwargs)
    with pytest.raises(error, match=match):  # before the checkpoint is read
        predict_file(fitted["folder"] / "missing.ckpt", fitted["data"], fitted["folder"] / "s.csv", **kwargs)


@pytest.mark.parametrize(("flag", "value", "match"), [
    ("--alert-count", "0", "argument --alert-count/--alert_count: must be >= 1"),
    ("--alert-count", "2.5", "argument --alert-count/--alert_count: must be an int >= 1"),
    ("--alert-share", "0", r"argument --alert-share/--alert_share: must be in \(0, 1\]"),
    ("--alert-share", "nan", r"argument --alert-share/--alert_share: must be in \(0, 1\]"),
    ("--alert-share", "half", r"argument --alert-share/--alert_share: must be a number in \(0, 1\]"),
])
def test_alert_budget_flags_are_checked_on_the_command_line(fitted, capsys, flag, value, match):
    with pytest.raises(SystemExit):
        predict_main(["--ckpt_path", str(fitted["ckpt"]), "--data", str(fitted["data"]),
                      "--out", str(fitted["folder"] / "s.csv"), flag, value])
    assert pytest.importorskip("re").search(match, capsys.readouterr().err)


def test_alert_budgets_are_refused_for_more_than_two_classes(tmp_path):
    rng = np.random.default_rng(0)
    y = rng.choice([0, 1, 2], 300, p=[0.6, 0.3, 0.1])
    x = rng.standard_normal((300, 3)) + y[:, None]
    dm = ImbalanceDataModule.from_arrays(x, y, batch_size=64)
    model = TabularClassifier(**dm.model_arguments(), hidden_width=4)
    trainer = pl.Trainer(max_steps=1, accelerator="cpu", logger=False, enable_checkpointing=False,
                         enable_progress_bar=False, enable_model_summary=False, num_sanity_val_steps=0,
                         limit_val_batches=0)
    trainer.fit(model, dm)
    trainer.save_checkpoint(tmp_path / "multi.ckpt")
    scorer = Scorer.from_checkpoint(tmp_path / "multi.ckpt")
    with pytest.raises(ValueError, match="but this model has 3 classes and no positive class"):
        scorer.score(x[:10], alert_count=2)
