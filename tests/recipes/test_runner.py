"""compare.py's runs: equal budgets, parallel = sequential, resume from the run cache, and a
KEEL-sized dataset whose `none` arm stops before its budget ends (issue 10 item 8)."""

from __future__ import annotations

import csv
import importlib.util
import json
from pathlib import Path

import pandas as pd
import pytest

from imbalance_torch.lightning import make_fraud_like

REPO = Path(__file__).resolve().parents[2]
_SPEC = importlib.util.spec_from_file_location("recipe_compare_runner", REPO / "recipes" / "compare.py")
compare = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(compare)

# Timing and machine facts differ between two runs of the same thing.
_VOLATILE = {"wall_s"}


def small_csv(path: Path, rows: int = 400, positive_fraction: float = 0.1) -> Path:
    """KEEL-sized data: a few hundred rows, ~10 % positives."""
    x, y, names = make_fraud_like(rows, positive_fraction=positive_fraction, seed=3)
    frame = pd.DataFrame(x, columns=list(names))
    frame["Class"] = y
    frame.to_csv(path, index=False)
    return path


def read_rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def stable(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    return [{k: v for k, v in row.items() if k not in _VOLATILE} for row in rows]


def run(data: Path, out: Path, *extra: str) -> list[dict[str, str]]:
    status = compare.main([
        "--data", str(data), "--target", "Class", "--strategies", "none", "random_over",
        "--seeds", "1", "--out", str(out), "--threads", "1", *extra,
    ])
    assert status == 0
    return read_rows(out / "results.csv")


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    return small_csv(tmp_path_factory.mktemp("data") / "small.csv")


@pytest.fixture(scope="module")
def sequential(data, tmp_path_factory) -> tuple[Path, list[dict[str, str]]]:
    out = tmp_path_factory.mktemp("sequential")
    return out, run(data, out, "--jobs", "1", "--trainer.max_steps", "60")


def test_every_arm_gets_the_same_budget(sequential):
    _, rows = sequential
    assert [r["arm"] for r in rows] == ["none", "random_over"]
    for key in ("budget_steps", "batch_size", "val_check_interval", "patience_evals"):
        assert rows[0][key] == rows[1][key], key
    assert rows[0]["budget_steps"] == "60" and rows[0]["batch_size"] == "32"  # 240 train rows
    # a 1:1 epoch is about twice as long, yet neither arm trains past the shared budget
    assert int(rows[1]["train_rows_per_epoch"]) > 1.5 * int(rows[0]["train_rows_per_epoch"])
    assert all(int(r["steps_trained"]) <= 60 for r in rows)
    meta = json.loads((sequential[0] / "summary.json").read_text())["meta"]
    assert meta["budget"]["max_steps"] == 60 and "--trainer.max_steps 60" in meta["budget"]["source"]


def test_parallel_runs_give_the_sequential_results(data, sequential, tmp_path):
    out, rows = sequential
    parallel = run(data, tmp_path / "parallel", "--jobs", "2", "--trainer.max_steps", "60")
    assert stable(parallel) == stable(rows)
    for name in ("none-seed0", "random_over-seed0"):
        (one,) = (out / "runs").glob(f"{name}-*.json")
        (two,) = (tmp_path / "parallel" / "runs").glob(f"{name}-*.json")
        first, second = json.loads(one.read_text()), json.loads(two.read_text())
        assert first["scores"] == second["scores"] and first["val_history"] == second["val_history"]


def test_resume_skips_finished_runs_and_redoes_a_half_written_one(data, sequential, tmp_path, capsys):
    out = tmp_path / "out"
    first = run(data, out, "--jobs", "1", "--trainer.max_steps", "60")
    (kept,) = (out / "runs").glob("none-seed0-*.json")
    (cut,) = (out / "runs").glob("random_over-seed0-*.json")
    kept_stamp = kept.stat().st_mtime_ns
    cut.write_text(cut.read_text()[:100])  # an interrupted write of a result
    leftover = out / "checkpoints" / "random_over" / "seed0"
    leftover.mkdir(parents=True)
    (leftover / "last.ckpt").write_bytes(b"half a checkpoint")
    capsys.readouterr()
    again = run(data, out, "--jobs", "1", "--trainer.max_steps", "60")
    printed = capsys.readouterr().out
    assert "none seed 0: kept step" in printed and "(cached)" in printed.split("random_over seed 0")[0]
    assert "random_over seed 0" in printed and "(cached)" not in printed.split("random_over seed 0")[1].splitlines()[0]
    assert kept.stat().st_mtime_ns == kept_stamp
    assert json.loads(cut.read_text())["row"]["arm"] == "random_over"  # whole again
    assert stable(again) == stable(first)  # one row per (arm, seed), same numbers
    meta = json.loads((out / "summary.json").read_text())["meta"]
    assert meta["cached_runs"] == 1
    # another setting is another key: nothing is read from the cache
    changed = run(data, out, "--jobs", "1", "--trainer.max_steps", "39")
    assert [r["budget_steps"] for r in changed] == ["39", "39"]
    assert json.loads((out / "summary.json").read_text())["meta"]["cached_runs"] == 0
    assert len(list((out / "runs").glob("*.json"))) == 2  # stale results replaced


def test_keel_sized_data_with_defaults_stops_early(data, tmp_path, capsys):
    """A few hundred rows, default settings: `none` stops before its budget ends and is not
    flagged as undertrained."""
    out = tmp_path / "out"
    status = compare.main([
        "--data", str(data), "--target", "Class", "--strategies", "none", "--seeds", "1",
        "--jobs", "1", "--out", str(out),
    ])
    assert status == 0
    (row,) = read_rows(out / "results.csv")
    assert (row["batch_size"], row["budget_steps"], row["val_check_interval"]) == ("32", "640", "16")
    assert row["stopped_early"] == "True"
    assert int(row["steps_trained"]) < int(row["budget_steps"])
    assert row["kept_note"] != "end of budget"
    printed = capsys.readouterr().out
    assert "training budget (every arm): batch 32, 640 optimizer steps" in printed
    assert "may be undertrained" not in printed
    assert "batch 32, 640 optimizer steps" in (out / "summary.md").read_text()


def test_console_table_fits_100_columns():
    metric = {"mean": 0.123456, "std": 0.012345}
    entry = {
        "arm": "borderline2_with_a_very_long_strategy_name@1:3", "wall_s": 1234.0,
        "kept_step": 4321.0, **{m: metric for m in ("auprc", "auroc", "f1", "mcc", "recall_at_precision")},
    }
    table = compare._console_table([entry, {**entry, "arm": "none"}])
    assert max(len(line) for line in table.splitlines()) <= 100
    assert "0.123 ± 0.012 *" in table and "4,321" in table


def test_config_file_is_guarded_and_its_budget_settings_are_used(data, tmp_path):
    from imbalance_torch.lightning.config_guard import ConfigBoundError

    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(8)
    ))
    with pytest.raises(ConfigBoundError, match="bomb.yaml"):
        compare.main(["--data", str(data), "--target", "Class", "--config", str(bomb), "--out", str(tmp_path / "x")])
    config = tmp_path / "small.yaml"
    config.write_text("data:\n  batch_size: 16\n  eval_batch_size: 1024\ntrainer:\n  max_steps: 20\n")
    out = tmp_path / "out"
    assert compare.main([
        "--data", str(data), "--target", "Class", "--strategies", "none", "--seeds", "1",
        "--jobs", "1", "--config", str(config), "--out", str(out),
    ]) == 0
    (row,) = read_rows(out / "results.csv")
    assert (row["batch_size"], row["budget_steps"]) == ("16", "20")
    assert "--data.batch_size 16" in json.loads((out / "summary.json").read_text())["meta"]["budget"]["source"]


def test_run_line_fits_and_says_what_was_kept():
    from imbalance_torch.lightning.compare.arms import RunResult
    from imbalance_torch.lightning.compare.runner import run_line

    row = {"arm": "borderline2@1:3", "seed": 12, "kept_step": 5000, "budget_steps": 5000,
           "kept_epoch": 1234, "val_auprc": 0.81234, "test_auprc": 0.7987, "wall_s": 123.4,
           "stopped_early": False, "kept_note": "end of budget"}
    line = run_line(RunResult(row=row), cached=True)
    assert line == ("borderline2@1:3 seed 12: kept step 5000/5000 (epoch 1234), val AUPRC 0.812, "
                    "test 0.799, 123s, may be undertrained (cached)")


def test_arms_with_nothing_to_resample_are_skipped_before_any_run(tmp_path, capsys):
    """Data already at about 1:1.8: smote_focal (its config resamples to 1:2) and a swept ratio
    of 0.3 have nothing to do. The comparison skips them with the reason (keel.py writes n/a)
    instead of failing when their run builds the data; the ratio checked is the one each run
    would use (strategy config, --ratios sweep, the user's --data.ratio)."""
    data = small_csv(tmp_path / "near_balanced.csv", rows=300, positive_fraction=0.36)
    common = ["--data", str(data), "--target", "Class", "--seeds", "1", "--jobs", "1",
              "--threads", "1", "--trainer.max_steps", "20"]
    out = tmp_path / "out"
    assert compare.main([*common, "--strategies", "none", "smote_focal", "smote", "--out", str(out)]) == 0
    assert [r["arm"] for r in read_rows(out / "results.csv")] == ["none", "smote"]
    printed = capsys.readouterr().out
    # Messages wrap at 100 columns; a run's line and the train command stay one line each.
    assert all(len(line) <= 100 for line in printed.splitlines()
               if not line.startswith(("  python ", "[")))
    skipped = printed.split("skipped: ")[1].split("\n\n")[0].replace("\n  ", " ")
    assert skipped.startswith("smote_focal (ratio=0.5 is not above the train split's own "
                              "minority/majority ratio 0.5")
    assert "nothing to do" in skipped
    summary = json.loads((out / "summary.json").read_text())
    assert summary["meta"]["skipped"][0].startswith("smote_focal (ratio=0.5 ")

    swept = tmp_path / "swept"
    assert compare.main([*common, "--strategies", "none", "smote", "--ratios", "0.3", "1.0",
                         "--out", str(swept)]) == 0
    assert [r["arm"] for r in read_rows(swept / "results.csv")] == ["none", "smote@1:1"]
    assert "skipped: smote@1:3.3 (ratio=0.3 is not above" in capsys.readouterr().out

    with pytest.raises(ValueError, match="no strategy has anything to do on this data: smote "):
        compare.main([*common, "--strategies", "smote", "--data.ratio", "0.4",
                      "--out", str(tmp_path / "none_apply")])
