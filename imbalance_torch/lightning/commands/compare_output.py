"""What ``compare`` prints: the first line, the plan, the console's report and table, the
strategy list (``--list``) and the line an interrupted comparison ends with. The comparison
(:mod:`imbalance_torch.lightning.commands.compare`) calls these and re-exports them."""

from __future__ import annotations

import argparse
import math
import signal
import sys
import textwrap
from pathlib import Path
from typing import Any

from imbalance_torch.lightning.strategies import read_strategies

CONSOLE_WIDTH = 100
"""Widest line of the console table (the full table is in summary.md)."""


def _wrap(text: str, width: int = CONSOLE_WIDTH) -> str:
    """A console message in lines of at most ``width`` columns."""
    return textwrap.fill(text, width=width, subsequent_indent="  ", break_on_hyphens=False)


def _console_table(summary: list[dict[str, Any]], width: int = CONSOLE_WIDTH) -> str:
    """Test AUPRC (mean ± std), AUROC, F1, MCC, R@P (means), the mean kept step and the time
    of each arm in at most ``width`` columns; the full table is in summary.md."""
    # NOTE [lazy imports]: report loads torch; --list and --help stay without it
    from imbalance_torch.lightning.compare.report import COLUMN_TITLES, best_mean, plain_table

    metrics = ("auprc", "auroc", "f1", "mcc", "recall_at_precision")
    best = {m: best_mean(summary, m) for m in metrics}
    header = ["strategy", *(COLUMN_TITLES[m] for m in metrics), "kept step", "time"]
    body = []
    for entry in summary:
        cells = [entry["arm"]]
        for metric in metrics:
            mean, std = entry[metric]["mean"], entry[metric]["std"]
            text = "n/a" if not math.isfinite(mean) else f"{mean:.3f}"
            if metric == "auprc" and math.isfinite(std):
                text += f" ± {std:.3f}"
            if math.isfinite(mean) and mean == best[metric] and len(summary) > 1:
                text += " *"
            cells.append(text)
        kept = entry.get("kept_step", math.nan)
        cells += [f"{kept:,.0f}" if math.isfinite(kept) else "-", f"{entry['wall_s']:.0f}s"]
        body.append(cells)
    widths = [max(len(row[i]) for row in [header, *body]) for i in range(len(header))]
    spare = width - (sum(widths) + 2 * (len(widths) - 1))
    if spare < 0:  # long arm names: shorten them, never the numbers
        widths[0] = max(8, widths[0] + spare)
        body = [
            [r[0] if len(r[0]) <= widths[0] else r[0][: widths[0] - 1] + "~", *r[1:]] for r in body
        ]
    return plain_table(header, body, widths)


def _interrupted(number: int, finished: int, total: int, out: Path) -> int:
    name = signal.Signals(number).name
    print(
        _wrap(
            f"stopped by {name}: {finished} of {total} run(s) finished and are cached in "
            f"{out / 'runs'}; the same command resumes from them."
        ),
        file=sys.stderr,
        flush=True,
    )
    return 128 + number


def strategy_rows(config_dir: str | Path) -> list[dict[str, Any]]:
    """Every strategy (the strategy table's entries and the YAML files in
    ``config_dir/strategies``), in report order: name, parts (resampling, loss, frozen), its
    one-line description, and whether a comparison that names no strategies runs it. Reads
    YAML and the strategy table only (no torch)."""
    return [
        {
            "name": s.name,
            "resampling": s.resampling,
            "loss": s.loss,
            "frozen": s.frozen,
            "description": s.description,
            "default": s.default_run(),
        }
        for s in read_strategies(config_dir).values()
    ]


def format_strategy_list(config_dir: str | Path) -> str:
    """``compare --list``: one line per strategy (see :func:`strategy_rows`)."""
    rows = strategy_rows(config_dir)
    parts = [f"{r['resampling']}{' (frozen)' if r['frozen'] else ''} + {r['loss']}" for r in rows]
    name_w = max(len("strategy"), *(len(r["name"]) for r in rows))
    parts_w = max(len("parts"), *(len(p) for p in parts))
    default_w = max(len("default run"), *(len(r["default"]) for r in rows))
    lines = [
        f"{'strategy':<{name_w}}  {'parts':<{parts_w}}  {'default run':<{default_w}}  description"
    ]
    for row, part in zip(rows, parts):
        lines.append(
            f"{row['name']:<{name_w}}  {part:<{parts_w}}  {row['default']:<{default_w}}  {row['description']}"
        )
    return "\n".join(lines) + (
        f"\n\n{len(rows)} strategies in {Path(config_dir) / 'strategies'}; run some with "
        "--strategies NAME ..."
    )


def _first_line(options: argparse.Namespace) -> None:
    """The first line, printed before the imports and the data checks."""
    strategies = ", ".join(options.strategies) if options.strategies else "the default strategies"
    print(
        _wrap(
            f"comparing {strategies} x {options.seeds} seed(s) on "
            f"{options.data or 'fraud_like'}: checking the configs and the data ..."
        ),
        flush=True,
    )


def _print_plan(
    plan: Any, options: argparse.Namespace, jobs: int, threads: int, threads_from: str, smoke: str
) -> None:
    import torch  # loaded by planning already; NOTE [lazy imports]

    arms = plan.arms
    print(_wrap(f"training budget (every arm): {plan.budget.describe()}"))
    print(
        _wrap(
            f"plan: {len(arms)} arm(s) x {options.seeds} seed(s) = {len(arms) * options.seeds} "
            f"run(s), {jobs} at a time, {threads or torch.get_num_threads()} torch thread(s) "
            f"each ({threads_from}); arms: {', '.join(a.name for a in arms)}"
        ),
        flush=True,
    )
    if smoke:
        print(_wrap(f"SMOKE RUN: {smoke}"), flush=True)


def _print_report(
    meta: dict[str, Any], summary: list[dict[str, Any]], rows: list[dict[str, Any]], title: str
) -> None:
    """The console's report: split, features, the table, costs, paired differences, flags,
    the suggested training and where everything was written."""
    from imbalance_torch.lightning.compare.report import format_paired  # NOTE [lazy imports]
    from imbalance_torch.lightning.compare.summary import (
        data_features_line,
        split_line,
        suggestion_text,
    )

    facts, out = meta["dataset"], meta["out"]
    per_seed = any(entry.get("seeds") for entry in summary)
    print(_wrap(f"split: {split_line(facts['split'], per_seed, where='in summary.md')}"))
    print(_wrap(data_features_line(facts)))
    print(
        "\n"
        + _wrap(
            f"{title}; mean (AUPRC ± std) over seeds, * = best per column; all "
            "metrics in summary.md"
        )
    )
    print(_console_table(summary))
    costs = [e for e in summary if "cost" in e]
    if costs:
        print(
            "\ntest cost / value caught at the threshold of lowest validation cost (mean): "
            + ", ".join(
                f"{e['arm']} {e['cost']['mean']:.4g} / {e['value_caught']['mean']:.4g}"
                for e in costs
            )
        )
    paired = format_paired(summary)
    if paired:
        print(f"\n{paired}")
    for line in meta["kept_model_flags"]:
        print(_wrap(f"flag: {line}"))
    if meta["skipped"]:
        print(_wrap("skipped: " + ", ".join(meta["skipped"])))
    if meta["smoke"]:
        print("\n" + _wrap(f"SMOKE RUN: {meta['smoke']}"))
    if meta["train_suggested"]:
        print("\n" + suggestion_text(meta))
    print(
        "\n"
        + _wrap(
            f"{len(rows)} runs in {meta['wall_s']:.0f} s ({meta['cached_runs']} from {out}/runs); "
            f"wrote {out}/results.csv, summary.md, summary.json, pr_curves.png, "
            "auprc_bars.png"
        )
    )
