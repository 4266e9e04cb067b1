"""Issue 11's "Done when": the README's "From comparison to scoring" section, run as written.

The section's Python block writes the files (a training CSV with a time and a card column, and
a later "tomorrow" CSV without labels); its shell block is run command by command, each in a
fresh process the way a user types it: ``imbalance-torch compare`` -> ``train fit`` the winner
-> ``train test`` -> ``predict`` tomorrow's file. The test shrinks only the data (the one
``rows, fraud_share = ...`` line) and the budget (flags appended after the README's own, which
the later value overrides), and puts the winner and its best checkpoint where the README names
its measured ones. Then, in this process: the scores written by ``predict`` equal the
checkpoint's scores (within 1e-6) with the card ids kept, the thresholds are the ones ``test``
reported, the time split leaks nothing, and the raw test rows scored from the checkpoint give
the test AUPRC of ``train test``.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))
from doc_blocks import python_blocks  # noqa: E402

README = REPO / "docs" / "guide" / "scoring.md"
SECTION = "# From comparison to scoring"
README_DATA = "rows, fraud_share = 60_000, 0.005"
TEST_DATA = "rows, fraud_share = 3_000, 0.03"
# Appended to the README's commands: later flags override earlier ones.
SMALL_BUDGET = {
    "compare": ["--strategies", "none", "smote", "--seeds", "1", "--jobs", "1", "--threads", "1",
                "--trainer.max_steps", "40"],
    "fit": ["--trainer.max_epochs", "2", "--trainer.enable_progress_bar", "false"],
    "test": ["--trainer.enable_progress_bar", "false"],
    "predict": [],
}


def readme_section() -> tuple[str, list[list[str]]]:
    """The section's Python source and its shell commands (continuations joined, comments
    dropped), one argument list per command."""
    text = README.read_text(encoding="utf-8")
    section = re.search(rf"^{re.escape(SECTION)}\n(.*)", text, re.M | re.S)  # the whole page
    assert section, f"docs/guide/scoring.md has no {SECTION!r} section"
    python = "\n".join(block.code for block in python_blocks(README))
    shell = "\n".join(re.findall(r"```bash\n(.*?)```", section.group(1), re.S))
    lines = shell.replace("\\\n", " ").splitlines()
    commands = [shlex.split(line, comments=True) for line in lines]
    return python, [c for c in commands if c]


def console_command() -> list[str]:
    """``imbalance-torch`` as installed beside this Python, else the module that runs it."""
    script = shutil.which("imbalance-torch", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "imbalance_torch.lightning.commands.console"]


def run(command: list[str], cwd: Path) -> subprocess.CompletedProcess:
    assert command[0] == "imbalance-torch", command
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
    done = subprocess.run([*console_command(), *command[1:]], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, f"{shlex.join(command)}\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    return done


def replace_value(command: list[str], flag: str, value: str) -> list[str]:
    """``command`` with the value after ``flag`` replaced (the flag must be there)."""
    assert flag in command, f"the README's {shlex.join(command[:3])} has no {flag}"
    at = command.index(flag) + 1
    return [*command[:at], value, *command[at + 1:]]


def test_readme_commands_are_the_documented_ones():
    """The shell block holds the four steps, with the flags the end-to-end test relies on."""
    python, commands = readme_section()
    assert README_DATA in python
    assert [c[:3] for c in commands] == [
        ["imbalance-torch", "compare", "--data"], ["imbalance-torch", "train", "fit"],
        ["imbalance-torch", "train", "test"], ["imbalance-torch", "predict", "--ckpt_path"],
    ]
    compare, fit, test, predict = commands
    split_flags = ["--data.split", "--data.time_column", "--data.group_column"]
    for command in (compare, fit, test):
        assert [command[command.index(f) + 1] for f in split_flags] == ["time", "Time", "card"]
    winner = fit[fit.index("--strategy") + 1]
    assert test[test.index("--strategy") + 1] == winner
    for command in (fit, test):
        assert command[command.index("--trainer.default_root_dir") + 1] == f"runs/{winner}"
    checkpoint = Path(test[test.index("--ckpt_path") + 1])
    assert checkpoint.parent == Path(f"runs/{winner}/checkpoints")
    assert predict[predict.index("--ckpt_path") + 1] == str(checkpoint)


def reported_metric(output: str, name: str) -> float:
    """A metric from Lightning's ``test`` table (plain, or drawn by rich when installed)."""
    found = re.search(rf"^[\s│┃|]*{name}[\s│┃|]+([^\s│┃|]+)", output, re.M)
    assert found, f"{name} not in the test output:\n{output[-3000:]}"
    return float(found.group(1))



@pytest.mark.slow
def test_compare_train_the_winner_and_predict_tomorrow(tmp_path, monkeypatch):
    from sklearn.metrics import average_precision_score

    from imbalance_torch.lightning import ImbalanceDataModule
    from imbalance_torch.lightning.scoring import Scorer

    python, (compare, fit, test, predict) = readme_section()
    monkeypatch.chdir(tmp_path)
    exec(compile(python.replace(README_DATA, TEST_DATA), str(README), "exec"), {})
    train_frame, tomorrow = pd.read_csv("train.csv"), pd.read_csv("tomorrow.csv")
    assert "Class" not in tomorrow and tomorrow["Time"].min() > train_frame["Time"].max()

    # 1. compare, and the winner by test AUPRC (the console table's first column).
    compared = run([*compare, *SMALL_BUDGET["compare"]], tmp_path)
    out = Path(compare[compare.index("--out") + 1]) if "--out" in compare else Path("compare_out")
    summary = json.loads((out / "summary.json").read_text())
    split = summary["meta"]["dataset"]["split"]
    assert split["kind"] == "time" and split["group_column"] == "card"
    assert "split: time split on 'Time'" in compared.stdout
    winner = max(summary["summary"], key=lambda entry: entry["auprc"]["mean"])["strategy"]

    # 2. train the winner; its best checkpoint is where the README says.
    documented = fit[fit.index("--strategy") + 1]
    fit = replace_value(replace_value(fit, "--strategy", winner), "--trainer.default_root_dir",
                        f"runs/{winner}")
    trained = run([*fit, *SMALL_BUDGET["fit"]], tmp_path)
    best_line = next(line for line in trained.stdout.splitlines() if line.startswith("best checkpoint: "))
    best = Path(best_line.removeprefix("best checkpoint: "))
    assert best.parent == Path(f"runs/{winner}/checkpoints") and best.is_file()
    assert re.fullmatch(r"best-epoch=\d+\.ckpt", best.name)
    readme_best = Path(test[test.index("--ckpt_path") + 1])
    assert readme_best.parent == Path(f"runs/{documented}/checkpoints")

    # 3. test the kept model: the thresholds' test precision and recall.
    test = replace_value(replace_value(test, "--strategy", winner), "--ckpt_path", str(best))
    test = replace_value(test, "--trainer.default_root_dir", f"runs/{winner}")
    tested = run([*test, *SMALL_BUDGET["test"]], tmp_path).stdout

    # 4. predict tomorrow's file in a fresh process.
    predict = replace_value(predict, "--ckpt_path", str(best))
    predicted = run([*predict, *SMALL_BUDGET["predict"]], tmp_path)
    written = Path(predict[predict.index("--out") + 1])
    assert f"wrote {written}" in predicted.stdout
    scores = pd.read_csv(written)

    # The same scores in this process, the ids kept, row for row.
    scorer = Scorer.from_checkpoint(best)
    share = float(predict[predict.index("--alert-share") + 1])
    expected = scorer.score(tomorrow, id_column="card", alert_share=share)
    assert scores["flag_top_share"].sum() == int(share * len(tomorrow) + 1e-9)
    assert list(scores.columns) == list(expected.columns)
    assert len(scores) == len(tomorrow)
    np.testing.assert_array_equal(scores["card"], tomorrow["card"])
    for column in ("probability", "probability_corrected"):
        np.testing.assert_allclose(scores[column], expected[column], rtol=0, atol=1e-6)
    assert scorer.thresholds and {"max_f1", "min_precision", "alert_share", "cost"} <= set(scorer.thresholds)
    for name, threshold in scorer.thresholds.items():
        np.testing.assert_array_equal(scores[f"flag_{name}"], expected[f"flag_{name}"])
        assert reported_metric(tested, f"test_threshold_{name}") == pytest.approx(threshold, rel=1e-6)
        for metric in ("precision", "recall"):
            assert 0.0 <= reported_metric(tested, f"test_{metric}_{name}") <= 1.0

    # The time split leaks nothing: the kept model's splits, rebuilt from its checkpoint.
    checkpoint = torch.load(best, weights_only=True)
    settings = {k: v for k, v in checkpoint["datamodule_hyper_parameters"].items() if not k.startswith("_")}
    assert (settings["split"], settings["time_column"], settings["group_column"]) == ("time", "Time", "card")
    module = ImbalanceDataModule(**settings)
    rows = {name: module.split_rows(name) for name in ("train", "val", "test")}
    times = {name: train_frame["Time"].to_numpy()[r] for name, r in rows.items()}
    assert times["train"].max() < times["val"].min() and times["val"].max() < times["test"].min()
    cards = {name: set(train_frame["card"].to_numpy()[r]) for name, r in rows.items()}
    assert not cards["train"] & cards["val"] and not cards["train"] & cards["test"]
    assert not cards["val"] & cards["test"]
    assert split["rows"] == {name: len(r) for name, r in rows.items()}
    assert scorer.preprocessing.split["kind"] == "time"
    # Scaling was fitted on the train rows only.
    features = list(scorer.preprocessing.feature_names)
    assert "Time" not in features and "card" not in features
    np.testing.assert_allclose(
        scorer.preprocessing.means, train_frame[features].to_numpy()[rows["train"]].mean(axis=0), rtol=1e-9,
    )
    # The raw test rows scored from the checkpoint give the test AUPRC that `train test` reported.
    test_rows = train_frame.iloc[rows["test"]]
    test_scores = scorer.predict_proba(test_rows.drop(columns="Class"))["probability"]
    auprc = average_precision_score(test_rows["Class"] == 1, test_scores)
    assert auprc == pytest.approx(reported_metric(tested, "test_auprc"), abs=1e-5)
