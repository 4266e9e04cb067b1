"""The ``imbalance-torch`` console script: the wheel ships the configs and the entry point, and
compare -> train the winner -> predict tomorrow's file runs end to end, in fresh processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from imbalance_torch.lightning import make_fraud_like
from imbalance_torch.lightning.commands.console import CONFIG_DIR, main, strategy_config_args

REPO = Path(__file__).resolve().parents[2]


def console(*args, cwd):
    """``imbalance-torch ARGS`` in a fresh process (the script's own entry point)."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "imbalance_torch.lightning.commands.console", *args], cwd=cwd, env=env, capture_output=True, text=True,
        timeout=600,
    )


def write_files(folder: Path) -> tuple[Path, Path]:
    """A training file with a time and a card column, and a later 'tomorrow' file."""
    x, y, names = make_fraud_like(1500, positive_fraction=0.1, seed=1)
    frame = pd.DataFrame(x[:, 1:7], columns=list(names)[1:7]).assign(Class=y)
    frame.insert(0, "Time", np.arange(1500) * 60.0)
    # Each card is used over a few hours: rows of a card across a cut are left out.
    frame.insert(1, "card", np.arange(1500) // 20 * 7 % 1000)
    train, tomorrow = folder / "train.csv", folder / "tomorrow.csv"
    frame.iloc[:1200].to_csv(train, index=False)
    frame.iloc[1200:].drop(columns="Class").to_csv(tomorrow, index=False)
    return train, tomorrow


def test_the_wheel_holds_the_configs_and_the_console_script(tmp_path):
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(REPO), "--no-deps", "--no-build-isolation",
         "-q", "-w", str(tmp_path)],
        capture_output=True, text=True, timeout=600,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = tmp_path.glob("imbalance_torch-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {f"imbalance_torch/configs/{p.relative_to(CONFIG_DIR)}" for p in CONFIG_DIR.rglob("*.yaml")}
    assert {"imbalance_torch/configs/trainer.yaml", "imbalance_torch/configs/strategies/smote_focal.yaml"} <= shipped
    assert shipped <= names
    assert "imbalance_torch/lightning/commands/compare.py" in names
    (entry_points,) = [n for n in names if n.endswith("entry_points.txt")]
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "imbalance-torch = imbalance_torch.lightning.commands.console:main" in text


@pytest.mark.slow
def test_the_installed_wheel_trains_outside_the_checkout(tmp_path):
    """A non-editable copy (the wheel installed into a folder, the dependencies from this
    environment) runs ``imbalance-torch train fit --strategy none`` away from the checkout."""
    wheels, target, work = tmp_path / "wheels", tmp_path / "site", tmp_path / "work"
    work.mkdir()
    for command in (
        lambda: ["wheel", str(REPO), "--no-deps", "--no-build-isolation", "-q", "-w", str(wheels)],
        lambda: ["install", "--no-deps", "-q", "--target", str(target), *map(str, wheels.glob("*.whl"))],
    ):
        done = subprocess.run([sys.executable, "-m", "pip", *command()], capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr
    train, _ = write_files(work)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(target)}
    script = [sys.executable, str(target / "bin" / "imbalance-torch")]
    shown = subprocess.run([*script, "configs"], cwd=work, env=env, capture_output=True, text=True)
    assert shown.stdout.strip() == str(target / "imbalance_torch" / "configs")
    trained = subprocess.run(
        [*script, "train", "fit", "--strategy", "none", "--data.data", str(train),
         "--data.target", "Class", "--data.split", "time", "--data.time_column", "Time",
         "--data.drop_columns", "[card]", "--trainer.max_epochs", "1",
         "--trainer.default_root_dir", "runs", "--trainer.enable_progress_bar", "false"],
        cwd=work, env=env, capture_output=True, text=True, timeout=600,
    )
    assert trained.returncode == 0, trained.stderr[-3000:]
    assert "best checkpoint: runs/checkpoints/best-epoch=0.ckpt" in trained.stdout


def test_strategy_names_stand_for_shipped_configs():
    assert strategy_config_args(["fit", "--strategy", "smote_focal", "--trainer.strategy", "ddp"]) == [
        "fit", "--config", str(CONFIG_DIR / "strategies" / "smote_focal.yaml"), "--trainer.strategy", "ddp",
    ]
    # a strategy the table derives (NOTE [strategies from the table]) stands for its two parts
    assert strategy_config_args(["fit", "--strategy=smote"]) == [
        "fit", "--data.resampling", "smote", "--model.loss", "cross_entropy",
    ]
    with pytest.raises(ValueError, match=r"--strategy 'smoot' is neither an entry of the strategy table nor a config in .*; known strategies: .*smote"):
        strategy_config_args(["fit", "--strategy=smoot"])
    with pytest.raises(ValueError, match=r"--strategy needs a name"):
        strategy_config_args(["fit", "--strategy"])


def test_usage_and_unknown_commands(capsys):
    assert main(["--help"]) == 0
    assert "compare" in capsys.readouterr().out
    assert main(["fly"]) == 2
    assert "unknown command 'fly'; commands: compare, train, predict, configs" in capsys.readouterr().err
    assert main(["configs"]) == 0
    assert capsys.readouterr().out.strip() == str(CONFIG_DIR)


@pytest.mark.slow
def test_compare_train_the_winner_and_predict_tomorrow(tmp_path):
    """The whole path in fresh processes: the scores written by ``predict`` equal the scores
    of the same checkpoint computed here (within 1e-6)."""
    from imbalance_torch.lightning.scoring import Scorer

    train, tomorrow = write_files(tmp_path)
    split = ["--data.split", "time", "--data.time_column", "Time", "--data.group_column", "card"]
    compared = console(
        "compare", "--data", str(train), "--target", "Class", *split,
        "--strategies", "none", "class_weighted", "--seeds", "1", "--jobs", "1",
        "--trainer.max_steps", "20", "--out", "out", cwd=tmp_path,
    )
    assert compared.returncode == 0, compared.stderr[-3000:]
    assert "split: time split on 'Time'" in compared.stdout
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["meta"]["dataset"]["split"]["kind"] == "time"
    assert summary["meta"]["command"].startswith("imbalance-torch compare --data ")
    assert "- Split: time split on 'Time'" in (tmp_path / "out" / "summary.md").read_text()
    winner = max(summary["summary"], key=lambda entry: entry["auprc"]["mean"])["strategy"]

    trained = console(
        "train", "fit", "--strategy", winner, "--data.data", str(train), "--data.target", "Class",
        *split, "--trainer.max_epochs", "2", "--trainer.default_root_dir", "runs/winner",
        "--trainer.enable_progress_bar", "false", cwd=tmp_path,
    )
    assert trained.returncode == 0, trained.stderr[-3000:]
    best = next(line for line in trained.stdout.splitlines() if line.startswith("best checkpoint: "))
    best_path = tmp_path / best.removeprefix("best checkpoint: ")
    assert best_path.parent == tmp_path / "runs" / "winner" / "checkpoints"  # the README's path
    assert "best epoch " in trained.stdout and "val auprc " in trained.stdout
    assert (tmp_path / "runs" / "winner" / "logs" / "version_0" / "metrics.csv").is_file()

    predicted = console(
        "predict", "--ckpt_path", str(best_path), "--data", str(tomorrow), "--out", "scores.csv",
        "--id_column", "card", cwd=tmp_path,
    )
    assert predicted.returncode == 0, predicted.stderr[-3000:]
    scores = pd.read_csv(tmp_path / "scores.csv")
    assert len(scores) == 300
    expected = Scorer.from_checkpoint(best_path).predict_proba(pd.read_csv(tomorrow))
    np.testing.assert_allclose(scores["probability"], expected["probability"], atol=1e-6)


@pytest.mark.slow
def test_ddp_runs_log_without_sync_warnings_and_clean_up(tmp_path):
    """Under DDP (2 CPU processes): no "use sync_dist=True" warning (the logged values are
    gathered), one summary, and a comparison removes its checkpoints folder."""
    train, _ = write_files(tmp_path)
    ddp = ["--trainer.strategy", "ddp", "--trainer.devices", "2", "--trainer.accelerator", "cpu"]
    trained = console(
        "train", "fit", "--strategy", "none", "--data.data", str(train), "--data.target", "Class",
        "--data.drop_columns", "[Time, card]", "--trainer.max_epochs", "2",
        "--trainer.default_root_dir", "runs", "--trainer.enable_progress_bar", "false", *ddp,
        cwd=tmp_path,
    )
    assert trained.returncode == 0, trained.stderr[-3000:]
    assert "sync_dist" not in trained.stderr
    assert trained.stdout.count("best checkpoint: ") == 1
    compared = console(
        "compare", "--data", str(train), "--target", "Class", "--data.drop_columns", "[Time, card]",
        "--strategies", "none", "--seeds", "1", "--trainer.max_steps", "10", "--out", "out", *ddp,
        cwd=tmp_path,
    )
    assert compared.returncode == 0, compared.stderr[-3000:]
    assert "sync_dist" not in compared.stderr
    assert (tmp_path / "out" / "results.csv").is_file()
    assert not (tmp_path / "out" / "checkpoints").exists()
