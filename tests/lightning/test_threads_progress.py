"""The training thread policy, the comparison's progress lines and the light console paths."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from imbalance_torch.lightning.commands.compare import strategy_rows
from imbalance_torch.lightning.commands.console import CONFIG_DIR, _pop_threads
from imbalance_torch.lightning.commands.progress import RunProgress, format_duration
from imbalance_torch.lightning.threads import TRAINING_THREADS, training_threads

REPO = Path(__file__).resolve().parents[2]


def test_threads_follow_what_the_user_set_in_order():
    assert training_threads(3, {"OMP_NUM_THREADS": "2"}) == (3, "--threads")
    assert training_threads(0, {}) == (0, "--threads")  # torch's own default
    assert training_threads(None, {"OMP_NUM_THREADS": "2"}) == (2, "OMP_NUM_THREADS")
    previous = torch.get_num_threads()
    try:
        torch.set_num_threads(len(os.sched_getaffinity(0)) + 1)  # not torch's default: the caller's
        assert training_threads(None, {}) == (len(os.sched_getaffinity(0)) + 1, "torch.set_num_threads")
        torch.set_num_threads(len(os.sched_getaffinity(0)))  # torch's default: the policy's
        assert training_threads(None, {}) == (TRAINING_THREADS, "default")
    finally:
        torch.set_num_threads(previous)


@pytest.mark.parametrize(
    "requested,environ,error,match",
    [
        (True, {}, TypeError, r"threads must be an int, got True of type bool"),
        ("2", {}, TypeError, r"threads must be an int, got '2' of type str"),
        (-1, {}, ValueError, r"threads must be >= 0 \(0 keeps torch's default\), got -1"),
        (None, {"OMP_NUM_THREADS": "two"}, ValueError, r"OMP_NUM_THREADS='two' is not a positive integer"),
        (None, {"OMP_NUM_THREADS": "0"}, ValueError, r"OMP_NUM_THREADS='0' is not a positive integer"),
    ],
)
def test_threads_refuse_bad_values(requested, environ, error, match):
    with pytest.raises(error, match=match):
        training_threads(requested, environ)


def test_train_takes_threads_out_of_its_command_line():
    assert _pop_threads(["fit", "--threads", "2", "--data.rows", "9"]) == (["fit", "--data.rows", "9"], 2)
    assert _pop_threads(["fit", "--threads=0"]) == (["fit"], 0)
    assert _pop_threads(["fit"]) == (["fit"], None)
    with pytest.raises(ValueError, match=r"--threads needs a count"):
        _pop_threads(["fit", "--threads"])
    with pytest.raises(ValueError, match=r"--threads takes a whole number of threads, got 'x'"):
        _pop_threads(["fit", "--threads", "x"])


def test_progress_estimates_from_fresh_runs_only():
    now = [100.0]
    stream = io.StringIO()
    progress = RunProgress(5, stream=stream, bar=False, clock=lambda: now[0])
    progress.finished("a (cached)", cached=True)
    assert "[1/5] 0:00 elapsed, estimating: a (cached)" in stream.getvalue()
    now[0] += 60
    progress.finished("b")  # one fresh run in 60 s, 3 runs to go
    assert stream.getvalue().splitlines()[-1] == "[2/5] 1:00 elapsed, ~3:00 left: b"
    now[0] += 3600
    progress.finished("c")  # 3660 s for 2 fresh runs, 2 to go
    assert stream.getvalue().splitlines()[-1] == "[3/5] 1:01:00 elapsed, ~1:01:00 left: c"
    assert format_duration(float("nan")) == "?"


def test_progress_draws_a_bar_on_a_terminal():
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    stream = Terminal()
    progress = RunProgress(2, stream=stream)
    progress.finished("none seed 0: ...")
    progress.close()
    text = stream.getvalue()
    assert "[1/2] none seed 0: ..." in text and "runs" in text and "\r" in text


def test_list_derives_from_the_strategy_files_and_table():
    rows = strategy_rows(CONFIG_DIR)
    assert [r["name"] for r in rows][0] == "none"
    from imbalance_torch.lightning.strategies import LOSSES, RESAMPLERS

    files = {p.stem for p in (CONFIG_DIR / "strategies").glob("*.yaml")}
    assert {r["name"] for r in rows} == files | set(RESAMPLERS) | set(LOSSES) - {"cross_entropy"}
    by_name = {r["name"]: r for r in rows}
    assert by_name["smote_focal"]["resampling"] == "smote" and by_name["smote_focal"]["loss"] == "focal"
    assert by_name["svm_smote"]["default"] == "opt-in" and by_name["none"]["default"] == "yes"
    assert by_name["smote"]["description"].startswith("SMOTE (Chawla et al. 2002)")


@pytest.mark.parametrize("argv", [["--help"], ["compare", "--help"], ["compare", "--list"]])
def test_help_and_list_do_not_import_torch(argv):
    # NOTE [lazy imports]: these answer in a fraction of a second because torch and Lightning
    # (seconds to import on a busy laptop) are never loaded; checked on the modules, not a clock.
    code = (
        "import json, sys\n"
        "from imbalance_torch.lightning.commands.console import main\n"
        f"try:\n    main({argv!r})\nexcept SystemExit:\n    pass\n"
        "print(json.dumps(sorted(m for m in ('torch', 'lightning', 'pandas', 'numpy') if m in sys.modules)))"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
