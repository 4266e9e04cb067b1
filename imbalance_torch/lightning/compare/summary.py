"""What a finished comparison records (no printing, no argument parsing): the data's facts,
the cost metrics per arm, the suggested training and its command, and summary.md's text.
The console command (:mod:`imbalance_torch.lightning.commands.compare`) prints from these."""

from __future__ import annotations

import math
import os
import platform
import shlex
import statistics
from pathlib import Path
from typing import Any

import torch

from imbalance_torch.lightning.compare.report import (
    atomic_write_text,
    markdown_table,
    paired_markdown,
    plot_auprc_bars,
    plot_pr_curves,
    train_advice,
    write_json,
)
from imbalance_torch.lightning.datamodule.split_kinds import describe_split
from imbalance_torch.lightning.model.thresholds import COST_METRICS
from imbalance_torch.lightning.tables.feature_roles import describe_roles

__all__ = [
    "add_cost_metrics",
    "data_features_line",
    "dataset_facts",
    "describe_split",
    "split_line",
    "suggestion",
    "suggestion_text",
    "summary_markdown",
    "run_meta",
    "train_command",
    "write_reports",
]


def dataset_facts(data: Any) -> dict[str, Any]:
    """What summary.json records of the data: its size, classes, each split's class counts,
    the split description and every column's role (from the probe's data module)."""
    table = data.table
    facts: dict[str, Any] = {
        "source": table.source,
        "rows": table.num_rows,
        "features": table.features.shape[1],
        "categorical": list(table.feature_names[table.num_numeric :]),
        "classes": list(table.class_names),
        "class_counts": table.class_counts(),
    }
    for split in ("train", "val", "test"):
        rows = data.split_rows(split)
        facts[f"{split}_class_counts"] = table.class_counts(rows)
    # The split kind and, for time splits, each split's time range (plain values).
    facts["split"] = dict(data.preprocessing.split)
    # Every column's role: numeric, categorical, or dropped and why.
    facts["feature_roles"] = [dict(r) for r in data.preprocessing.feature_roles]
    return facts


def data_features_line(facts: dict[str, Any]) -> str:
    """The features by role and each unused column with why, in one line."""
    return describe_roles(facts.get("feature_roles") or [])


def split_line(
    split: dict[str, Any], per_seed: bool, where: str = "under Paired differences"
) -> str:
    """The split kind for the report's header; with ``per_seed`` (``where`` lists each seed's
    split), without the probe's own seed and counts, which are one seed's."""
    if not per_seed:
        return describe_split(split)
    kind = split.get("kind", "stratified")
    if kind == "time":
        return (
            f"time split on {split.get('time_column')!r}, the same rows for every seed "
            f"(a time split does not depend on the seed); listed per seed {where}"
        )
    what = (
        "stratified random split"
        if kind == "stratified"
        else f"{kind} split on {split.get('group_column')!r}"
    )
    return (
        f"{what}, drawn anew for each seed (seed index s uses split seed s unless "
        "--data.split_seed fixes one), the same for every strategy at that seed; each "
        f"seed's rows per split and class are listed {where}"
    )


def summary_markdown(  # long: summary.md's text, one list of lines
    meta: dict[str, Any], table: str, skipped: list[str], paired: str, flags: list[str]
) -> str:
    """summary.md: the data, split, budget and machine, the metrics table, the paired
    differences, the suggested training and the kept models."""
    facts = meta["dataset"]
    per_seed = "The split of each seed" in paired  # report.paired_markdown lists them
    counts = ", ".join(
        f"{split} {facts[f'{split}_class_counts']}" for split in ("train", "val", "test")
    )
    lines = [
        f"# Strategy comparison: {facts['source']}",
        "",
        f"Command: `{meta['command']}`",
        "",
        f"- Data: {facts['rows']} rows, {facts['features']} features, classes "
        f"{facts['classes']} with counts {facts['class_counts']}"
        + ("." if per_seed else f" (split {counts})."),
        f"- Split: {split_line(facts.get('split') or {}, per_seed)}.",
        f"- {meta['seeds']} paired seed(s) per strategy (same split and initial weights per "
        "seed); resampling on the train split only; validation and test at the natural ratio.",
        f"- Training budget, the same for every arm: {meta['budget_text']}.",
        f"- Total wall time {meta['wall_s']:.0f} s on {meta['machine']}; {meta['jobs']} run(s) at "
        f"a time; {meta['cached_runs']} run(s) read from {meta['out']}/runs.",
    ]
    if meta.get("smoke"):
        lines.append(f"- **Smoke run** (--quick): {meta['smoke']}")
    if skipped:
        lines.append(f"- Skipped: {', '.join(skipped)}.")
    lines += [
        "",
        "Test metrics, mean ± std over seeds (best per column in bold). AUPRC is the primary "
        "metric. F1, MCC and BalAcc use the threshold with maximal F1 on validation. R@P is "
        f"recall at precision >= {meta['min_precision']}. Brier/ECE are on raw probabilities; "
        "'corr' after the prior-shift correction to the natural class ratio. 'crossing' is the "
        "share of synthetic rows whose 5 nearest real train rows are mostly of another class. "
        "'time' is the wall time of all seeds.",
        "",
        table,
        "",
        "## Paired differences",
        "",
        paired,
        "",
    ]
    if meta.get("suggested_arm"):
        lines += ["## Suggested training", "", suggestion_text(meta, markdown=True), ""]
    lines += [
        "## Kept models",
        "",
        "Each run keeps the model of its best validation AUPRC (ties: lower validation loss, "
        "then the later step). An arm is flagged when a run kept the model of its last "
        "evaluation with the whole budget used (still improving: may be undertrained, so its "
        "test numbers may understate it) or of its first evaluation (no later evaluation "
        "scored higher: the arm is judged by a model trained for one evaluation interval; "
        "usually a validation split too small or noisy for later gains to show, or a rise "
        "that ended before the first evaluation). Each flag says what to do. The step, epoch "
        "and note of every run are in results.csv.",
        "",
        *([f"- {line}" for line in flags] or ["No run flagged."]),
        "",
        "![precision-recall curves](pr_curves.png)",
        "",
        "![AUPRC per strategy](auprc_bars.png)",
        "",
    ]
    return "\n".join(lines)


def add_cost_metrics(summary: list[dict[str, Any]], rows: list[dict[str, Any]]) -> None:
    """With costs given, each arm's mean and spread of the test cost and value caught at the
    threshold of lowest validation cost (``test_cost``, ``test_value_caught`` of its runs)."""
    for entry in summary:
        runs = [r for r in rows if str(r["arm"]) == entry["arm"]]
        for metric in COST_METRICS:
            values = [float(r[f"test_{metric}"]) for r in runs if f"test_{metric}" in r]
            if values:
                spread = statistics.stdev(values) if len(values) > 1 else math.nan
                entry[metric] = {"mean": statistics.mean(values), "std": spread}


def train_command(arm: Any, command: str, data_args: list[str], budget: Any) -> str:
    """The command that trains ``arm`` exactly as the comparison did (same data flags, same
    step budget), for ``fit`` and later ``predict``."""
    console = command.split()[0] == "imbalance-torch"
    head = (
        ["imbalance-torch", "train", "fit", "--strategy", arm.strategy]
        if console
        else [
            "python",
            "recipes/train.py",
            "fit",
            *(arm.config_args or ("--config", str(arm.config_path))),
        ]
    )
    if arm.ratio is not None:
        head += ["--data.ratio", repr(float(arm.ratio))]
    return shlex.join([*head, *data_args, *budget.cli_args()])


def suggestion(
    summary: list[dict[str, Any]], arms: list[Any], command: str, data_args: list[str], budget: Any
) -> dict[str, Any]:
    """The arm the comparison suggests training (:func:`report.train_advice`: the best arm
    that beats ``none`` after the Holm adjustment, else ``none``), why, and the command that
    trains it with the comparison's data flags and budget (:func:`train_command`).

    Returns:
        ``{"suggested_arm", "suggestion_reason", "train_suggested"}`` (the arm and command
        None when no arm has a finite test AUPRC); ``meta`` of summary.json takes them.
    """
    advice = train_advice(summary)
    arm = next((a for a in arms if a.name == advice["arm"]), None)
    return {
        "suggested_arm": None if arm is None else arm.name,
        "suggestion_reason": advice["reason"],
        "train_suggested": None if arm is None else train_command(arm, command, data_args, budget),
    }


def suggestion_text(meta: dict[str, Any], *, markdown: bool = False) -> str:
    """The suggested training for the console (the command on its own line) or for
    summary.md (the command in a code block); the reason is the verdict printed above it
    (``report.verdict_text``) and ``suggestion_reason`` in summary.json."""
    if markdown:
        return (
            f"Train {meta['suggested_arm']} with the same budget (the verdict above says "
            f"why):\n\n```bash\n{meta['train_suggested']}\n```"
        )
    return (
        f"train {meta['suggested_arm']} with the same budget (see the verdict above):\n"
        f"  {meta['train_suggested']}"
    )


def run_meta(
    plan: Any,
    *,
    command: str,
    seeds: int,
    kept_model_flags: list[str],
    smoke: str,
    wall_s: float,
    jobs: int,
    threads: int,
    cached_runs: int,
    out: Path,
) -> dict[str, Any]:
    """``meta`` of summary.json: how the comparison ran (the command, the data's facts, the
    arms, the budget, the machine) before the summary's verdict is added."""
    return {
        "command": command,
        "dataset": plan.facts,
        "seeds": seeds,
        "strategies": [a.name for a in plan.arms],
        "skipped": plan.skipped,
        "budget": plan.budget.as_dict(),
        "budget_text": plan.budget.describe(),
        "kept_model_flags": kept_model_flags,
        "smoke": smoke,
        "wall_s": wall_s,
        "jobs": jobs,
        "cached_runs": cached_runs,
        "out": str(out),
        "machine": f"{platform.machine()} {os.cpu_count()} CPU cores, torch {torch.__version__}, "
        f"{threads or torch.get_num_threads()} thread(s) per process",
        "min_precision": plan.min_precision,
    }


def write_reports(
    out: Path,
    meta: dict[str, Any],
    summary: list[dict[str, Any]],
    rows: list[dict[str, Any]],
    curves: dict[str, dict[int, tuple[Any, Any]]],
    title: str,
) -> None:
    """Write summary.json, summary.md, pr_curves.png (when scores were kept) and
    auprc_bars.png under ``out``."""
    flags = meta["kept_model_flags"]
    write_json(out / "summary.json", {"meta": meta, "summary": summary, "runs": rows})
    atomic_write_text(
        out / "summary.md",
        summary_markdown(
            meta, markdown_table(summary), meta["skipped"], paired_markdown(summary), flags
        ),
    )
    if curves:
        plot_pr_curves(out / "pr_curves.png", curves, summary, title=title)
    plot_auprc_bars(out / "auprc_bars.png", summary, rows, title=title)
