"""Which kept models the comparison report flags (issue 10 item 2)."""

from __future__ import annotations

from imbalance_torch.lightning.compare.arms import kept_model_note
from imbalance_torch.lightning.compare.report import kept_model_flags, summarize

HISTORY = [{"step": float(s), "epoch": 0.0} for s in (10, 20, 30, 40)]


def test_kept_model_note():
    # full budget used, kept at its last evaluation: still improving
    assert kept_model_note(40, HISTORY, 40, 40) == "end of budget"
    # stopped early: the last evaluation is not the end of the budget
    assert kept_model_note(40, HISTORY, 100, 40) == ""
    assert kept_model_note(10, HISTORY, 40, 40) == "first evaluation"
    assert kept_model_note(20, HISTORY, 40, 40) == ""
    assert kept_model_note(None, HISTORY, 40, 40) == "" and kept_model_note(10, [], 40) == ""


def row(arm, seed, note, auprc=0.5):
    return {"arm": arm, "strategy": arm, "seed": seed, "kept_note": note, "kept_step": 10 * (seed + 1),
            "stopped_early": note == "", "val_auprc": auprc, "test_auprc": auprc, "wall_s": 1.0}


def test_flags_in_summary_and_lines():
    rows = [row("none", 0, "end of budget"), row("none", 1, ""), row("smote", 0, "first evaluation"),
            row("smote", 1, ""), row("focal", 0, ""), row("focal", 1, "")]
    summary = summarize(rows)
    by_arm = {e["arm"]: e for e in summary}
    assert by_arm["none"]["kept_notes"] == {"end of budget": 1, "first evaluation": 0}
    assert by_arm["none"]["kept_step"] == 15.0 and by_arm["focal"]["stopped_early"] == 2
    lines = kept_model_flags(summary)
    assert len(lines) == 2
    assert lines[0].startswith("none: may be undertrained: 1 of 2 run(s)")
    assert "--trainer.max_steps" in lines[0]
    assert lines[1].startswith("smote: kept at the first evaluation in 1 of 2 run(s) (step 10)")
