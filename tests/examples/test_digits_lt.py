"""examples/digits_lt.py runs end to end on a tiny budget, and its splits are what it says."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("digits_lt", REPO / "examples" / "digits_lt.py")
digits_lt = importlib.util.module_from_spec(spec)
sys.modules["digits_lt"] = digits_lt  # dataclasses look their module up
spec.loader.exec_module(digits_lt)


def test_long_tailed_splits():
    splits = digits_lt.make_splits(0, "exp", 50.0)
    counts = splits.counts.tolist()
    assert counts == sorted(counts, reverse=True) and counts[0] / counts[-1] >= 40
    assert torch.bincount(splits.test_y).tolist() == [30] * 10 and torch.bincount(splits.val_y).tolist() == [15] * 10
    one = digits_lt.make_splits(0, "one", 20.0).counts.tolist()
    assert one[8] * 20 <= one[0] and len(set(one[:8] + one[9:])) == 1
    again = digits_lt.make_splits(0, "exp", 50.0)
    assert torch.equal(again.train_x, splits.train_x)


def test_runs_and_prints_the_paired_table(capsys, tmp_path):
    arms = [a for a in digits_lt.ARMS if a != "logit_adjusted"][:3]
    assert digits_lt.main(["--arms", *arms, "--seeds", "2", "--steps", "40", "--eval-every", "20", "--profile", "one"]) == 0
    out = capsys.readouterr().out
    assert "| none |" in out and "minus none" in out and all(f"| {a} |" in out for a in arms)
    figure = tmp_path / "ghosts.png"
    assert digits_lt.main(["--figure", str(figure)]) == 0 and figure.stat().st_size > 1000
