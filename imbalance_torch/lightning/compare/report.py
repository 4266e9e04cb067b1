"""Comparison reports: summary statistics, paired readings, tables, JSON, CSV and plots.

Every file is written atomically (a temporary file in the same folder, flushed to disk,
then ``os.replace``), so an interrupted run never leaves a half-written report.
"""

from __future__ import annotations

import csv
import io
import json
import math
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from imbalance_torch.lightning._files import atomic_write
from imbalance_torch.lightning.compare.statistics import (
    compare_with_best,
    compare_with_reference,
    format_p,
)
from imbalance_torch.lightning.model.metrics import LOWER_IS_BETTER, METRIC_NAMES

KEPT_NOTES = ("end of budget", "first evaluation")
"""The ``kept_note`` values of a run row that flag its arm (``comparison.kept_model_note``)."""

REFERENCE_ARM = "none"
"""The arm every other arm is paired with in reports (the untreated baseline)."""

__all__ = [
    "COLUMN_TITLES",
    "KEPT_NOTES",
    "atomic_write_text",
    "best_arm",
    "REFERENCE_ARM",
    "arm_styles",
    "auprc_figure",
    "format_paired",
    "plain_table",
    "kept_model_flags",
    "markdown_table",
    "paired_markdown",
    "plot_auprc_bars",
    "plot_critical_difference",
    "plot_pr_curves",
    "pr_curves_figure",
    "seed_split",
    "summarize",
    "train_advice",
    "verdict_text",
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


def _atomic_savefig(figure: Any, path: Path) -> None:
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
    return float(array.mean()), float(array.std(ddof=1)) if array.size > 1 else math.nan


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
        entry["vs_reference"] = against_reference[arm].as_dict() if arm in against_reference else None
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
            held = (f" (validation held {_count_list(positives, seeds, 'positive row(s)')})"
                    if positives else "")
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


def _cells(
    summary: Sequence[Mapping[str, Any]], metrics: Sequence[str], *, marker: str
) -> tuple[list[str], list[list[str]]]:
    header = ["strategy", *[COLUMN_TITLES.get(m, m) for m in metrics], "crossing", "epochs", "time"]
    best = {m: best_mean(summary, m) for m in metrics}
    body = []
    for entry in summary:
        cells = [entry["arm"]]
        for metric in metrics:
            mean, std = entry[metric]["mean"], entry[metric]["std"]
            if not math.isfinite(mean):  # NOTE [undefined metrics] in lightning/model/metrics.py
                cells.append("undefined")
                continue
            digits = 4 if metric in LOWER_IS_BETTER else 3  # Brier/ECE of rare events are small
            text = f"{mean:.{digits}f}" + (f" ± {std:.{digits}f}" if math.isfinite(std) else "")
            if mean == best[metric] and len(summary) > 1:
                text += marker
            cells.append(text)
        crossing = entry.get("crossing_share", math.nan)
        cells.append(f"{crossing:.1%}" if math.isfinite(crossing) else "-")
        cells.append(f"{entry['epochs']:.1f}" if math.isfinite(entry["epochs"]) else "-")
        cells.append(f"{entry['wall_s']:.0f}s")
        body.append(cells)
    return header, body


def plain_table(header: Sequence[str], body: Sequence[Sequence[str]], widths: Sequence[int] | None = None) -> str:
    """Rows of cells as console text: the first column left-aligned, the others right-aligned,
    a dashed rule under the header; ``widths`` (default: the widest cell of each column)."""
    if widths is None:
        widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]
    lines = [
        "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths)))
        for row in [header, *body]
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown_table(
    summary: Sequence[Mapping[str, Any]], metrics: Sequence[str] = METRIC_NAMES
) -> str:
    """The same table in Markdown, best per column in bold."""
    header, body = _cells(summary, metrics, marker="\u0000")
    rows = [[f"**{c[:-1]}**" if c.endswith("\u0000") else c for c in row] for row in body]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] * len(header)) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _signed(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None or not math.isfinite(value) else f"{value:+.{digits}f}"


def _interval(comparison: Mapping[str, Any]) -> str:
    low, high = comparison["ci_low"], comparison["ci_high"]
    if low is None or not (math.isfinite(low) and math.isfinite(high)):
        return "n/a"
    return f"[{_signed(low)}, {_signed(high)}]"


_PAIRED_METHOD = (
    "Runs are paired by seed index (for seed s every strategy gets the same split and the same "
    "initial weights), so each strategy is judged by its per-seed differences in test AUPRC. "
    "The reading comes from a two-sided paired t-test at the 5 % level, Holm-adjusted for the "
    "comparisons made at once (both p-values are shown): the comparisons with {reference}, "
    "the primary reading, are one family ({reference} is chosen before the results); the "
    "comparisons with the best arm are adjusted over every pairwise comparison of the "
    "strategies, because the best arm is chosen after the results and adjusting only its own "
    "comparisons would still read equal strategies as worse than it by chance. The 95 % t "
    "interval is per comparison (unadjusted), so an interval that excludes 0 can go with a "
    "'within noise' reading. The Wilcoxon signed-rank p-value is a check that assumes no "
    "normality, but with fewer than 6 seeds it cannot fall below 0.05 (its smallest value is "
    "2/2^n), so it does not decide."
)


def _reference(summary: Sequence[Mapping[str, Any]]) -> str | None:
    return next((e["vs_reference"]["reference"] for e in summary if e.get("vs_reference")), None)


def train_advice(
    summary: Sequence[Mapping[str, Any]], *, reference: str = REFERENCE_ARM
) -> dict[str, Any]:
    """Which arm to train after a comparison, and why (NOTE [multiple comparisons]).

    The comparisons with ``reference`` decide: of the arms better than it after the Holm
    adjustment, the one with the highest mean test AUPRC. When none is, the advice is
    ``reference`` itself, the simplest arm (no resampling, the plain loss): a higher mean
    that the seeds cannot tell from noise is no reason to add a strategy. Without a
    ``reference`` arm, the best mean, said to be a ranking only.

    Args:
        summary: :func:`summarize` output.
        reference: the baseline arm.

    Returns:
        ``{"arm": name or None, "reason": one paragraph, "better_than_reference": [arms],
        "adjustment": the family adjusted over (empty when untested)}``.
    """
    names = [e["arm"] for e in summary]
    against = [e["vs_reference"] for e in summary if e.get("vs_reference")]
    if reference not in names or not against:
        best = best_arm(summary)
        reason = (
            f"no {reference!r} arm ran, so no strategy was tested against the untreated "
            f"baseline; {best} has the highest mean test AUPRC, a ranking and not a verdict "
            f"(add {reference} to --strategies to test against it)."
            if best is not None else "no arm has a finite test AUPRC: nothing to suggest."
        )
        return {"arm": best, "reason": reason, "better_than_reference": [], "adjustment": ""}
    family = next((c["family"] for c in against if c.get("family")), "")
    if all(c["n"] < 2 for c in against):
        return {
            "arm": reference,
            "reason": (f"one seed per strategy: no test can tell an arm from {reference}, "
                       f"the simplest arm; rerun with --seeds 3 or more (5 or more for useful "
                       "power) to test the others against it."),
            "better_than_reference": [],
            "adjustment": "",
        }
    better = [c["arm"] for c in against if c["verdict"] == "better"]
    by_arm = {e["arm"]: e for e in summary}
    if better:
        chosen = max(better, key=lambda arm: by_arm[arm]["auprc"]["mean"])
        comparison = by_arm[chosen]["vs_reference"]
        others = [a for a in better if a != chosen]
        reason = (
            f"{chosen} is better than {reference} after the Holm adjustment over {family} "
            f"(mean {_signed(comparison['mean'])}, {comparison['p_text']})"
            + (f", and has the highest mean test AUPRC of the {len(better)} arms that are "
               f"({', '.join(others)} too)" if others else "")
            + "."
        )
        return {"arm": chosen, "reason": reason, "better_than_reference": better,
                "adjustment": family}
    tested = [c for c in against if c["p_value"] is not None and math.isfinite(c["p_value"])]
    closest = min(tested, key=lambda c: c["p_value"]) if tested else None
    detail = ""
    if closest is not None:
        detail = (f" (the smallest p-value: {closest['arm']}, mean {_signed(closest['mean'])}, "
                  f"{closest['p_text']})")
    reason = (
        f"no strategy is better than {reference} after the Holm adjustment over "
        f"{family}{detail}. {reference} is the simplest arm (no resampling, the plain loss), "
        "and a higher mean that these seeds cannot tell from noise is no reason to add a "
        "strategy; more seeds (--seeds 5 or more) can tell smaller differences."
    )
    return {"arm": reference, "reason": reason, "better_than_reference": [],
            "adjustment": family}


def verdict_text(summary: Sequence[Mapping[str, Any]]) -> str:
    """:func:`train_advice` in one paragraph: ``train ARM: REASON``."""
    advice = train_advice(summary)
    if advice["arm"] is None:
        return advice["reason"][0].upper() + advice["reason"][1:]
    return f"train {advice['arm']}: {advice['reason']}"


def _seed_lines(summary: Sequence[Mapping[str, Any]]) -> list[str]:
    """One Markdown bullet per seed: the split as that seed drew it."""
    seeds: dict[int, Mapping[str, Any]] = {}
    for entry in summary:
        for seed, facts in (entry.get("seeds") or {}).items():
            seeds.setdefault(int(seed), facts)
    lines = []
    for seed in sorted(seeds):
        facts = seeds[seed]
        counts = ", ".join(
            f"{facts[key]} {label}" for key, label in
            (("val_positives", "validation"), ("test_positives", "test")) if facts.get(key) is not None
        )
        lines.append(f"- seed {seed}: {facts['split']}" + (f" (positive rows: {counts})" if counts else ""))
    return lines


def paired_markdown(summary: Sequence[Mapping[str, Any]]) -> str:
    """Markdown: the split each seed drew, each arm's paired test-AUPRC differences against
    the reference arm and against the best arm (from :func:`summarize`; raw and
    Holm-adjusted p-values), the method in words, and the verdict (:func:`train_advice`)."""
    comparisons = [e[k] for k in ("vs_reference", "vs_best") for e in summary if e.get(k)]
    seed_lines = _seed_lines(summary)
    splits = ("The split of each seed (every strategy at that seed trains and is judged on it):\n\n"
              + "\n".join(seed_lines)) if seed_lines else ""
    if not comparisons:
        return "\n\n".join(filter(None, [splits, "No paired comparison: only one strategy ran."]))
    verdict = f"**Verdict:** {verdict_text(summary)}"
    if all(c["n"] < 2 for c in comparisons):
        return "\n\n".join(filter(None, [
            splits,
            "One seed per strategy: no paired test is possible, so no difference here can be "
            "told from noise. Rerun with `--seeds 3` or more (5 or more for useful power).",
            verdict,
        ]))
    sections = [_PAIRED_METHOD.format(reference=_reference(summary) or REFERENCE_ARM)]
    if splits:
        sections.append(splits)
    for key, heading in (("vs_reference", "against {}"), ("vs_best", "against the best arm, {}")):
        rows = [e[key] for e in summary if e.get(key)]
        if not rows:
            continue
        reference = rows[0]["reference"]
        family = next((r["family"] for r in rows if r.get("family")), "")
        lines = [
            f"Test AUPRC {heading.format(reference)}: strategy minus {reference}, per seed; "
            f"Holm-adjusted over {family}.",
            "",
            "| strategy | seeds | difference per seed | mean | 95 % CI (unadjusted) | t-test p "
            "| Holm p | Wilcoxon p | reading |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for row in rows:
            per_seed = ", ".join(_signed(d) for d in row["differences"]) or "-"
            lines.append(
                f"| {row['arm']} | {row['n']} | {per_seed} | {_signed(row['mean'])} | "
                f"{_interval(row)} | {format_p(row['p_value'], bare=True)} | "
                f"{format_p(row.get('adjusted_p_value'), bare=True)} | "
                f"{format_p(row['wilcoxon_p_value'], bare=True)} | {row['reading']} |"
            )
        sections.append("\n".join(lines))
    sections.append(verdict)
    return "\n\n".join(sections)


def format_paired(summary: Sequence[Mapping[str, Any]], *, width: int = 100) -> str:
    """Console lines: each arm's paired test-AUPRC difference to the reference (mean, 95 %
    interval, reading with raw and Holm-adjusted p), the best arm with the arms within noise
    of it and those worse (Holm over every pair), then the verdict (:func:`train_advice`)."""
    against = [e["vs_reference"] for e in summary if e.get("vs_reference")]
    against_best = [e["vs_best"] for e in summary if e.get("vs_best")]
    if not against and not against_best:
        return ""

    def fill(text: str) -> str:
        return textwrap.fill(text, width=width, subsequent_indent="  ", break_on_hyphens=False)

    verdict = fill(f"Verdict: {verdict_text(summary)}")
    if all(c["n"] < 2 for c in [*against, *against_best]):
        return "\n".join([fill(
            "One seed per strategy: no paired test is possible, so these differences cannot "
            "be told from noise (use --seeds 3 or more)."), verdict])
    lines = []
    if against:
        reference = against[0]["reference"]
        family = next((c["family"] for c in against if c.get("family")), "")
        name_width = min(24, max(len(c["arm"]) for c in against))
        lines.append(fill(f"Test AUPRC minus {reference}, paired by seed (mean, 95 % t interval, "
                          f"paired t-test p and Holm p over {family}):"))
        for c in against:
            line = (f"  {c['arm']:<{name_width}}  {_signed(c['mean'])}  "
                    f"{_interval(c):<16}  {c['reading']}")
            lines.append(line[:width])
    if against_best:
        best = against_best[0]["reference"]
        family = next((c["family"] for c in against_best if c.get("family")), "")
        close = [c for c in against_best if c["verdict"] in ("within noise", "same", "untested")]
        worse = [c for c in against_best if c["verdict"] == "worse"]
        text = f"Best mean test AUPRC: {best}; against it, Holm over {family}: "
        parts = []
        if close:
            parts.append("within noise: " + ", ".join(f"{c['arm']} ({c['p_text']})" for c in close))
        if worse:
            parts.append("worse: " + ", ".join(f"{c['arm']} ({c['p_text']})" for c in worse))
        lines.append(fill(text + "; ".join(parts) + "."))
    lines.append(verdict)
    return "\n".join(lines)


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


_LINESTYLES = ("-", "--", "-.", ":")
_MARKERS = ("o", "s", "^", "D", "v", "P", "X")  # 7 is coprime to 4: 28 unique pairs
_HATCHES = ("", "//", "..", "xx")


def arm_styles(arms: Sequence[str], *, reference: str = REFERENCE_ARM) -> dict[str, dict[str, str]]:
    """One print-safe style per arm: a colour of its own hue, a line style, a marker, a hatch.

    The reference arm is black; the others get evenly spaced hues (no two arms share a hue,
    unlike tab20's light/dark pairs), and the (line style, marker) pair differs between any
    two of the first 28 arms, so curves stay apart in greyscale print too.
    """
    from colorsys import hls_to_rgb

    from matplotlib.colors import to_hex

    others = [a for a in arms if a != reference]
    styles = {}
    for index, arm in enumerate(arms):
        if arm == reference:
            color = "#000000"
        else:
            hue = (0.6 + others.index(arm) / len(others)) % 1.0  # start at blue
            color = to_hex(hls_to_rgb(hue, 0.42, 0.85))
        styles[arm] = {
            "color": color,
            "linestyle": _LINESTYLES[index % len(_LINESTYLES)],
            "marker": _MARKERS[index % len(_MARKERS)],
            "hatch": _HATCHES[index % len(_HATCHES)],
        }
    return styles


RECALL_GRID = np.linspace(0.0, 1.0, 201)
"""Recall values at which seeds' curves are averaged (:func:`interpolated_precision`)."""


def interpolated_precision(scores: np.ndarray, target: np.ndarray, recall_grid: np.ndarray = RECALL_GRID) -> np.ndarray:
    """Precision at each recall of ``recall_grid``, interpolated as the PASCAL VOC and COCO
    evaluations do: the highest precision reached at that recall or beyond. Curves of several
    seeds can then be averaged point by point (each seed has its own thresholds)."""
    from sklearn.metrics import precision_recall_curve

    precision, recall, _ = precision_recall_curve(target, scores)
    # recall decreases along sklearn's arrays: best[i] = max precision at recall >= recall[i]
    best = np.maximum.accumulate(precision)
    at = np.searchsorted(-recall, -recall_grid, side="right") - 1  # last index with recall >= r
    return best[np.clip(at, 0, len(best) - 1)]


def pr_curves_figure(
    curves: Mapping[str, Mapping[int, tuple[np.ndarray, np.ndarray]]],
    summary: Sequence[Mapping[str, Any]],
    *,
    title: str,
    reference: str = REFERENCE_ARM,
) -> Any:
    """Test precision-recall curves, one panel per arm: every seed as a thin line, the mean
    over seeds (of :func:`interpolated_precision`) bold, and the reference arm's mean as a
    grey dashed line in every other panel, so each strategy is read against doing nothing.

    Args:
        curves: arm -> seed index -> ``(positive-class scores, 0/1 target)`` of the test set.
        summary: :func:`summarize` output (panel titles: AUPRC mean ± std over seeds).
        title: the figure's title.
        reference: the arm drawn in every panel (default ``none``), when present.

    Returns:
        The matplotlib Figure: one axes per arm in ``curves`` order; a seed's line has the gid
        ``"ARM|seed S"``, the mean ``"ARM|mean"``, the reference's copy ``"REFERENCE|reference"``.
    """
    from sklearn.metrics import precision_recall_curve

    plt = _pyplot()
    stats = {e["arm"]: e["auprc"] for e in summary}
    arms = list(curves)
    columns = min(4, len(arms))
    rows = math.ceil(len(arms) / columns)
    figure, axes = plt.subplots(rows, columns, figsize=(3.4 * columns, 3.0 * rows + 0.6),
                                sharex=True, sharey=True, squeeze=False)
    means = {
        arm: np.mean([interpolated_precision(scores, target) for scores, target in per_seed.values()], axis=0)
        for arm, per_seed in curves.items()
    }
    for axis, arm in zip(axes.flat, arms):
        per_seed = curves[arm]
        color = "black" if arm == reference else "tab:blue"
        for seed, (scores, target) in sorted(per_seed.items()):
            precision, recall, _ = precision_recall_curve(target, scores)
            (line,) = axis.step(recall, precision, where="post", color=color, lw=0.7, alpha=0.45)
            line.set_gid(f"{arm}|seed {seed}")
            prevalence = float(np.mean(target))
        if reference in means and arm != reference:
            (line,) = axis.plot(RECALL_GRID, means[reference], color="0.45", ls="--", lw=1.2,
                                label=f"{reference} (mean)")
            line.set_gid(f"{reference}|reference")
        (line,) = axis.plot(RECALL_GRID, means[arm], color=color, lw=2.2, label=f"{arm} (mean of {len(per_seed)} seed{'s' if len(per_seed) != 1 else ''})")
        line.set_gid(f"{arm}|mean")
        axis.axhline(prevalence, color="grey", ls=":", lw=0.8)
        mean, std = stats[arm]["mean"], stats[arm]["std"]
        axis.set_title(f"{arm}: AUPRC {mean:.3f}" + (f" ± {std:.3f}" if math.isfinite(std) else ""), fontsize=9)
        axis.grid(alpha=0.3)
        axis.legend(fontsize=7, loc="lower left")  # a PR curve rarely passes there
    for axis in axes.flat[len(arms):]:
        axis.set_visible(False)
    for axis in axes[-1]:
        axis.set_xlabel("recall")
    for axis in axes[:, 0]:
        axis.set_ylabel("precision")
    axes[0, 0].set(xlim=(0, 1), ylim=(0, 1.02))
    figure.suptitle(f"{title}\ntest precision-recall: seeds thin, their mean bold, "
                    f"{reference}'s mean dashed; dotted: prevalence", fontsize=10)
    figure.tight_layout()
    return figure


def plot_pr_curves(
    path: str | Path,
    curves: Mapping[str, Mapping[int, tuple[np.ndarray, np.ndarray]]],
    summary: Sequence[Mapping[str, Any]],
    *,
    title: str,
) -> None:
    """Write :func:`pr_curves_figure` as a PNG."""
    figure = pr_curves_figure(curves, summary, title=title)
    _atomic_savefig(figure, Path(path))
    _pyplot().close(figure)


def auprc_figure(
    summary: Sequence[Mapping[str, Any]],
    rows: Sequence[Mapping[str, Any]],
    *,
    title: str,
) -> Any:
    """Mean test AUPRC per arm (bar = mean, whisker = std, dots = seeds) and, beside it, each
    arm's paired differences to the reference arm: one dot per seed, the mean difference and
    its 95 % t interval (from ``vs_reference`` in :func:`summarize`).

    The second panel is left out when no reference arm ran or it is the only arm. The dots'
    collections have ``gid`` ``"ARM|seeds"`` (left) and ``"ARM|differences"`` (right).
    """
    plt = _pyplot()
    names = [e["arm"] for e in summary]
    styles = arm_styles(names)
    paired = [e.get("vs_reference") for e in summary]
    two_panels = any(paired)
    figure, axes = plt.subplots(
        1, 2 if two_panels else 1, sharey=True, squeeze=False,
        figsize=(11 if two_panels else 6.5, 0.45 * len(names) + 1.8),
    )
    axis = axes[0, 0]
    positions = np.arange(len(names))[::-1]  # first arm on top
    for position, entry in zip(positions, summary):
        style = styles[entry["arm"]]
        mean, std = entry["auprc"]["mean"], entry["auprc"]["std"]
        axis.barh(position, mean, xerr=std if math.isfinite(std) else None, capsize=3,
                  color=style["color"], alpha=0.35, hatch=style["hatch"], edgecolor=style["color"])
        values = [float(r["test_auprc"]) for r in rows if r["arm"] == entry["arm"]]
        axis.scatter(values, np.full(len(values), position), color=style["color"],
                     marker=style["marker"], edgecolor="black", linewidth=0.5, s=22, zorder=3,
                     gid=f"{entry['arm']}|seeds")
    axis.set_yticks(positions, names)
    axis.set(xlabel="test AUPRC (bar: mean, whisker: std, dots: seeds)", title=title)
    axis.grid(axis="x", alpha=0.3)
    if two_panels:
        differences = axes[0, 1]
        reference = next(p["reference"] for p in paired if p)
        differences.axvline(0.0, color="black", lw=1)
        for position, entry, comparison in zip(positions, summary, paired):
            if not comparison:
                continue
            style = styles[entry["arm"]]
            spread = np.linspace(-0.15, 0.15, comparison["n"]) if comparison["n"] > 1 else [0.0]
            differences.scatter(comparison["differences"], position + np.asarray(spread),
                                color=style["color"], marker=style["marker"], s=18, alpha=0.8,
                                gid=f"{entry['arm']}|differences")
            low, high, mean = comparison["ci_low"], comparison["ci_high"], comparison["mean"]
            if low is not None and math.isfinite(low):
                differences.errorbar(mean, position, xerr=[[mean - low], [high - mean]],
                                     fmt="|", color="black", markersize=12, capsize=4, lw=1.5)
            elif mean is not None and math.isfinite(mean):
                differences.plot(mean, position, "|", color="black", markersize=12)
        one_seed = all(p["n"] < 2 for p in paired if p)
        differences.set(
            xlabel=f"test AUPRC minus {reference}, paired by seed",
            title=("one seed: no interval, no test" if one_seed
                   else "dots: seeds; bar: mean and 95 % t interval"),
        )
        differences.grid(axis="x", alpha=0.3)
    figure.tight_layout()
    return figure


def plot_auprc_bars(
    path: str | Path,
    summary: Sequence[Mapping[str, Any]],
    rows: Sequence[Mapping[str, Any]],
    *,
    title: str,
) -> None:
    """Write :func:`auprc_figure` as a PNG."""
    figure = auprc_figure(summary, rows, title=title)
    _atomic_savefig(figure, Path(path))
    _pyplot().close(figure)


def plot_critical_difference(
    path: str | Path,
    ranks: Mapping[str, float],
    critical_difference: float,
    cliques: Sequence[Sequence[str]],
    *,
    title: str,
) -> None:
    """Critical-difference diagram (Demšar, 2006, figure 1): mean ranks on an axis (1 = best),
    the CD as a scale bar, and a thick bar under each group of arms whose ranks differ by less
    than the CD (not significantly different by the Nemenyi test).

    Args:
        path: PNG to write.
        ranks: mean rank per arm.
        critical_difference: Nemenyi CD (:func:`statistics.nemenyi_critical_difference`).
        cliques: groups from :func:`statistics.nemenyi_cliques`.
        title: figure title (say N datasets and alpha).
    """
    plt = _pyplot()
    order = sorted(ranks, key=lambda arm: ranks[arm])
    k = len(order)
    left = order[: (k + 1) // 2]
    right = order[(k + 1) // 2 :]
    step = 0.35
    low = -step * (max(len(left), len(right)) + 1) - step * len(cliques)
    figure, axis = plt.subplots(figsize=(8, 1.6 + 0.3 * k))
    axis.plot([1, k], [0, 0], color="black", lw=1.2)
    for tick in range(1, k + 1):
        axis.plot([tick, tick], [0, 0.08], color="black", lw=1)
        axis.text(tick, 0.12, str(tick), ha="center", va="bottom", fontsize=9)
    axis.plot([1, 1 + critical_difference], [0.55, 0.55], color="black", lw=2)
    axis.text(1 + critical_difference / 2, 0.62, f"CD = {critical_difference:.3f}",
              ha="center", va="bottom", fontsize=9)
    clique_top = -0.12
    for index, group in enumerate(cliques):
        y = clique_top - 0.12 * index
        axis.plot([ranks[group[0]] - 0.03, ranks[group[-1]] + 0.03], [y, y], color="black", lw=3.5)
    start = clique_top - 0.12 * len(cliques) - step
    for side, arms, edge, align in ((0, left, 0.7, "right"), (1, right, k + 0.3, "left")):
        for index, arm in enumerate(arms if side == 0 else arms[::-1]):
            y = start - step * index
            axis.plot([ranks[arm], ranks[arm], edge], [0, y, y], color="black", lw=0.8)
            axis.text(edge + (-0.05 if side == 0 else 0.05), y, f"{arm} ({ranks[arm]:.2f})",
                      ha=align, va="center", fontsize=9)
    axis.set(xlim=(-1.2, k + 2.2), ylim=(min(low, start - step * len(left)), 1.0), title=title)
    axis.axis("off")
    _atomic_savefig(figure, Path(path))
    plt.close(figure)
