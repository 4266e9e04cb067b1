"""Aggregating a comparison's run rows into its summary (mean and spread per arm and metric,
the paired readings), the flags of kept models, and writing CSV and JSON.

Every file is written atomically (a temporary file in the same folder, flushed to disk,
then ``os.replace``), so an interrupted run never leaves a half-written report.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from imbalance_torch.lightning._files import atomic_write
from imbalance_torch.lightning.compare.statistics import (
    compare_with_best,
    compare_with_reference,
    sample_std,
)
from imbalance_torch.lightning.model.metrics import LOWER_IS_BETTER, METRIC_NAMES

KEPT_NOTES = ("end of budget", "first evaluation")
"""The ``kept_note`` values of a run row that flag its arm (``comparison.kept_model_note``)."""

REFERENCE_ARM = "none"
"""The arm every other arm is paired with in reports (the untreated baseline)."""

__all__ = [
    "COLUMN_TITLES",
    "KEPT_NOTES",
    "REFERENCE_ARM",
    "atomic_savefig",
    "atomic_write_text",
    "best_arm",
    "best_mean",
    "kept_model_flags",
    "seed_split",
    "summarize",
    "write_csv",
    "write_json",
]

COLUMN_TITLES = {
    "auprc": "AUPRC",
    "auroc": "AUROC",
    "f1": "F1",
    "mcc": "MCC",
    "recall_at_precision": "R@P",
    "balanced_accuracy": "BalAcc",
    "brier": "Brier",
    "brier_corrected": "Brier corr",
    "ece": "ECE",
    "ece_corrected": "ECE corr",
}


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder, flushed to
    disk and renamed over ``path``: a crash leaves the old file or the new one."""
    atomic_write(path, lambda out: out.write(text), binary=False)


def atomic_savefig(figure: Any, path: Path) -> None:
    """Save a matplotlib figure as PNG atomically (as :func:`atomic_write_text`)."""
    atomic_write(path, lambda out: figure.savefig(out, dpi=120, bbox_inches="tight", format="png"))


def write_csv(path: str | Path, rows: Sequence[Mapping[str, Any]]) -> None:
    """One row per run, columns in first-seen order."""
    columns: list[str] = []
    for row in rows:
        columns += [k for k in row if k not in columns]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    atomic_write_text(path, buffer.getvalue())


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, (np.floating, np.integer)):
        return _clean(value.item())
    return value


def write_json(path: str | Path, payload: Mapping[str, Any]) -> None:
    """JSON with NaN written as null."""
    atomic_write_text(path, json.dumps(_clean(dict(payload)), indent=2) + "\n")


def _stats(values: Iterable[float]) -> tuple[float, float]:
    array = np.array([v for v in values if v is not None and math.isfinite(v)], dtype=float)
    if array.size == 0:
        return math.nan, math.nan
    return float(array.mean()), sample_std(array)


def summarize(
    rows: Sequence[Mapping[str, Any]], *, reference: str = REFERENCE_ARM
) -> list[dict[str, Any]]:
    """Per arm (in first-seen order): runs, mean and std of each test metric, wall time, the
    paired comparison of its test AUPRC with ``reference`` and with the best arm, each run's
    split and the runs whose kept model is flagged.

    ``std`` is the sample standard deviation over seeds (NaN with one seed). ``vs_reference``
    and ``vs_best`` hold :meth:`PairedComparison.as_dict` (paired by seed index; see
    ``NOTE [paired test over seeds]`` in ``lightning/compare/statistics.py``), Holm-adjusted over the
    comparisons with ``reference`` and over every pair of arms respectively (``NOTE
    [multiple comparisons]``), or ``None`` for the reference arm itself, the best arm itself,
    or when no ``reference`` arm ran. ``seeds`` maps each seed index to its split (the
    one-line description and the validation and test rows of the positive class, from the
    run rows' ``split``; empty for rows without one). ``flagged_runs`` lists the runs with a
    ``kept_note`` (seed, note, kept step, budget, evaluation interval, validation positives).

    Args:
        rows: one result row per (arm, seed) run (``comparison.run_arm``).
        reference: the baseline arm.

    Returns:
        One entry per arm.
    """
    arms: dict[str, list[Mapping[str, Any]]] = {}
    for row in rows:
        arms.setdefault(str(row["arm"]), []).append(row)
    summary = []
    for arm, runs in arms.items():
        entry: dict[str, Any] = {"arm": arm, "strategy": runs[0].get("strategy"), "runs": len(runs)}
        for metric in METRIC_NAMES:
            mean, std = _stats(float(r.get(f"test_{metric}", math.nan)) for r in runs)
            entry[metric] = {"mean": mean, "std": std}
        entry["val_auprc"] = dict(zip(("mean", "std"), _stats(float(r["val_auprc"]) for r in runs)))
        entry["crossing_share"] = _stats(float(r.get("crossing_share", math.nan)) for r in runs)[0]
        entry["epochs"] = _stats(float(r.get("epochs", math.nan)) for r in runs)[0]
        entry["kept_step"] = _stats(float(r.get("kept_step", math.nan)) for r in runs)[0]
        entry["stopped_early"] = sum(str(r.get("stopped_early")) == "True" for r in runs)
        entry["kept_notes"] = {
            note: sum(r.get("kept_note") == note for r in runs) for note in KEPT_NOTES
        }
        entry["seeds"] = {
            int(r["seed"]): facts for r in runs if (facts := seed_split(r)) is not None
        }
        entry["flagged_runs"] = [_flagged_run(r) for r in runs if r.get("kept_note") in KEPT_NOTES]
        entry["wall_s"] = float(sum(float(r.get("wall_s", 0.0)) for r in runs))
        summary.append(entry)
    best = best_arm(summary)
    names = list(arms)
    against_reference = compare_with_reference(rows, names, reference) if reference in arms else {}
    against_best = compare_with_best(rows, names, best) if best is not None else {}
    for entry in summary:
        arm = entry["arm"]
        entry["vs_reference"] = (
            against_reference[arm].as_dict() if arm in against_reference else None
        )
        entry["vs_best"] = against_best[arm].as_dict() if arm in against_best else None
    return summary


def _split_description(row: Mapping[str, Any]) -> dict[str, Any] | None:
    """The run's split description (``split`` of the row: a dict, or JSON text as read back
    from results.csv), or None when the row has none."""
    split = row.get("split")
    if isinstance(split, str) and split:
        try:
            split = json.loads(split)
        except ValueError:
            return None
    return split if isinstance(split, dict) else None


def _positives(counts: Sequence[int] | None) -> int | None:
    """Rows of the positive class (the last of two) or, with more classes, of the rarest."""
    if not counts:
        return None
    return int(counts[-1]) if len(counts) == 2 else int(min(counts))


def seed_split(row: Mapping[str, Any]) -> dict[str, Any] | None:
    """The split a run was trained and judged on: ``{"split": one line, "val_positives",
    "test_positives"}`` (positives: rows of the positive class, or of the rarest class with
    more than two), or None for a row without a ``split`` description.

    Args:
        row: a result row.
    """
    from imbalance_torch.lightning.datamodule.split_kinds import describe_split

    description = _split_description(row)
    if description is None:
        return None
    counts = description.get("class_counts") or {}
    return {
        "split": describe_split(description),
        "val_positives": _positives(counts.get("val")),
        "test_positives": _positives(counts.get("test")),
    }


def _flagged_run(row: Mapping[str, Any]) -> dict[str, Any]:
    facts = seed_split(row) or {}

    def number(key: str) -> float:
        value = row.get(key)
        try:
            return float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return math.nan

    return {
        "seed": int(row["seed"]),
        "note": row.get("kept_note"),
        "kept_step": number("kept_step"),
        "budget_steps": number("budget_steps"),
        "val_check_interval": number("val_check_interval"),
        "val_positives": facts.get("val_positives"),
    }


def _count_list(values: Sequence[Any], seeds: Sequence[int], what: str) -> str:
    """``8 positive validation rows`` when every run had the same, else ``8, 9 and 8 ...
    (seeds 0, 1, 2)``."""
    if len(set(values)) == 1:
        return f"{values[0]} {what}"
    listed = ", ".join(map(str, values[:-1])) + f" and {values[-1]}"
    return f"{listed} {what} (seeds {', '.join(map(str, seeds))})"


def _steps(values: Sequence[float]) -> str:
    finite = sorted({int(v) for v in values if math.isfinite(v)})
    return "/".join(f"{v:,}" for v in finite) or "?"


def kept_model_flags(summary: Sequence[Mapping[str, Any]]) -> list[str]:
    """One line per arm and note whose runs kept a model worth a look, saying what it means
    for the verdict and what to do (NOTE [kept model] in ``lightning/model/checkpoints.py``).

    ``end of budget``: the model of the last evaluation with the whole budget used
    (validation AUPRC still rising: may be undertrained). ``first evaluation``: nothing
    later scored a higher validation AUPRC, so the arm is judged by a model trained for one
    evaluation interval; the line names the usual causes (a validation split too small or
    noisy for later gains to show, with its positive rows per seed, or a rise that ended
    before the first evaluation) and the fixes (a larger validation share, earlier and more
    frequent evaluations).

    Args:
        summary: :func:`summarize` output.

    Returns:
        The lines, in arm order.
    """
    lines = []
    for entry in summary:
        notes, runs = entry.get("kept_notes") or {}, entry["runs"]
        flagged = entry.get("flagged_runs") or []
        if notes.get("end of budget"):
            lines.append(
                f"{entry['arm']}: may be undertrained: {notes['end of budget']} of {runs} run(s) "
                "kept the model of the last evaluation of the whole budget (validation AUPRC "
                "still rising), so its test numbers may understate the arm; give more steps "
                "with --trainer.max_steps or --max-epochs."
            )
        if notes.get("first evaluation"):
            first = [r for r in flagged if r["note"] == "first evaluation"]
            steps = _steps([r["kept_step"] for r in first])
            budget = _steps([r["budget_steps"] for r in first])
            below = f", below {steps.split('/')[0]} steps" if steps != "?" else ""
            positives = [r["val_positives"] for r in first if r["val_positives"] is not None]
            seeds = [r["seed"] for r in first if r["val_positives"] is not None]
            held = (
                f" (validation held {_count_list(positives, seeds, 'positive row(s)')})"
                if positives
                else ""
            )
            of = f" of {budget}" if budget != "?" else ""
            lines.append(
                f"{entry['arm']}: kept at the first evaluation in {notes['first evaluation']} of "
                f"{runs} run(s) (step {steps}{of}): no later evaluation scored a higher "
                "validation AUPRC, so there the arm is judged by a model trained for one "
                "evaluation interval, and its reading says little about longer training. "
                "Usual causes: a validation split too small or noisy for later gains "
                f"to show{held}, or a validation score that rose before the first evaluation "
                "and then stopped rising (a rise that ended early). What to do: a larger "
                "validation share (--data.val_fraction, or an earlier --data.val_start with a "
                "time split) and earlier, more frequent evaluations (a smaller "
                f"--trainer.val_check_interval{below})."
            )
    return lines


def best_arm(summary: Sequence[Mapping[str, Any]], metric: str = "auprc") -> str | None:
    """The arm with the highest mean test ``metric`` (first in order on a tie)."""
    finite = [e for e in summary if math.isfinite(e[metric]["mean"])]
    if not finite:
        return None
    return max(finite, key=lambda e: e[metric]["mean"])["arm"]


def best_mean(summary: Sequence[Mapping[str, Any]], metric: str) -> float:
    """The best finite mean of ``metric`` over the arms (lowest for Brier/ECE), or NaN."""
    means = [e[metric]["mean"] for e in summary if math.isfinite(e[metric]["mean"])]
    if not means:
        return math.nan
    return min(means) if metric in LOWER_IS_BETTER else max(means)
