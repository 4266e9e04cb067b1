"""Compare imbalance strategies on untouched validation and test splits (the main job).

Runs every strategy config in ``configs/strategies`` (or those named with ``--strategies``)
over ``--seeds`` paired seeds: for seed index ``s`` every strategy sees the same stratified
split and starts from the same initial weights. Resampling touches the train split only;
validation (early stopping, checkpointing and the decision threshold) and test keep the
natural class ratio. Writes to ``--out`` (default ``compare_out/``):

* ``results.csv``: one row per run (updated after every run);
* ``summary.md`` / ``summary.json``: mean ± std per metric and strategy, best marked, and
  each strategy's paired test-AUPRC differences against ``none`` and against the best
  strategy (per seed, mean, 95 % interval, paired t-test; the console prints the readings);
* ``pr_curves.png``: test precision-recall curves of every seed; ``auprc_bars.png``: AUPRC
  per strategy and seed, beside the paired differences against ``none``.

Examples::

    python recipes/compare.py                       # built-in fraud-like data, all strategies
    python recipes/compare.py --quick               # 2 strategies, 1 seed, 2 epochs
    python recipes/compare.py --data creditcard.csv --target Class
    python recipes/compare.py --data keel:yeast4 --seeds 5
    python recipes/compare.py --strategies none smote random_over --ratios 1.0 0.5 0.33
    python recipes/compare.py --trainer.strategy ddp --trainer.devices 2 --trainer.accelerator cpu

Any ``--trainer.*``, ``--model.*`` or ``--data.*`` flag is passed to every run's LightningCLI.

Before anything runs, every config is checked within the bounds of
:mod:`imbalance_torch.lightning.config_guard`, and a plan of more than ``MAX_RUNS`` (1000)
runs (strategy arms x seeds) is refused unless ``--max-runs`` is raised to confirm it.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import platform
import shlex
import shutil
import statistics
import sys
import time
import warnings
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(REPO))

DEFAULT_QUICK = {"strategies": ["none", "smote"], "seeds": 1, "max_epochs": 2, "rows": 20_000}
_PASS_THROUGH = ("--trainer.", "--model.", "--data.", "--seed_everything")
MAX_RUNS = 1000
"""Most runs (strategy arms x seeds) started without ``--max-runs``: a typo such as
``--seeds 1000000`` is refused with the count instead of starting a million runs."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="compare.py",
        description=__doc__.split("\n\n")[0],
        allow_abbrev=False,
        epilog="Other --trainer.*, --model.*, --data.* flags go to every run's LightningCLI.",
    )
    parser.add_argument("--data", default="fraud_like", help="built-in name, keel:NAME, or a .csv/.parquet path (default: fraud_like)")
    parser.add_argument("--target", default=None, help="label column of a file (e.g. Class)")
    parser.add_argument("--categorical", nargs="+", default=None, help="categorical columns of a file (enables smote_nc)")
    parser.add_argument("--strategies", nargs="+", default=None, help="strategy configs to run (default: all that apply)")
    parser.add_argument("--seeds", type=int, default=None, help="paired seeds per strategy (default: 3)")
    parser.add_argument("--max-runs", type=int, default=MAX_RUNS, help=f"refuse a plan of more runs (arms x seeds) than this (default {MAX_RUNS}); raise it to confirm a larger one")
    parser.add_argument("--ratios", type=float, nargs="+", default=None, help="sweep resampling strategies over minority/majority ratios, e.g. 1.0 0.5 0.33")
    parser.add_argument("--max-epochs", type=int, default=None, help="epochs per run (default: configs/trainer.yaml)")
    parser.add_argument("--rows", type=int, default=None, help="rows of the built-in dataset (default: its own size)")
    parser.add_argument("--quick", action="store_true", help="smoke run: none + smote, 1 seed, 2 epochs, 20k built-in rows")
    parser.add_argument("--out", default="compare_out", help="output folder (default: compare_out)")
    parser.add_argument("--configs", default=str(REPO / "configs"), help="config folder (default: the repo's configs/)")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads per process (default 1: fastest for small MLPs on shared cores; 0 keeps torch's default)")
    parser.add_argument("--keep-checkpoints", action="store_true", help="keep each run's best checkpoint under OUT/checkpoints")
    return parser


def parse(argv: list[str] | None) -> tuple[argparse.Namespace, list[str]]:
    parser = build_parser()
    options, rest = parser.parse_known_args(argv)
    unknown = [a for a in rest if a.startswith("-") and not a.startswith(_PASS_THROUGH)]
    if unknown:
        parser.error(
            f"unknown option(s) {' '.join(unknown)}; besides the options above, only "
            "--trainer.*, --model.* and --data.* flags (LightningCLI) are accepted."
        )
    if options.quick:
        for key, value in DEFAULT_QUICK.items():
            if getattr(options, key) is None and not (key == "rows" and options.data != "fraud_like"):
                setattr(options, key, value)
    options.seeds = 3 if options.seeds is None else options.seeds
    if options.seeds < 1:
        parser.error(f"--seeds must be >= 1, got {options.seeds}.")
    if options.max_runs < 1:
        parser.error(f"--max-runs must be >= 1, got {options.max_runs}.")
    if options.seeds > options.max_runs:
        parser.error(
            f"--seeds {options.seeds:,} means at least {options.seeds:,} runs, more than "
            f"--max-runs {options.max_runs:,}; lower --seeds, or pass --max-runs "
            f"{options.seeds} (or more) to confirm."
        )
    return options, rest


def _check_run_count(num_arms: int, options: argparse.Namespace) -> None:
    """Refuse a plan of more than ``--max-runs`` runs before the first one starts."""
    runs = num_arms * options.seeds
    if runs > options.max_runs:
        raise ValueError(
            f"{num_arms} strategy arm(s) x {options.seeds:,} seed(s) = {runs:,} runs, more "
            f"than --max-runs {options.max_runs:,}; lower --seeds, --strategies or --ratios, "
            f"or pass --max-runs {runs} to confirm."
        )


def _quiet() -> None:
    for name in ("lightning.pytorch", "lightning.fabric", "lightning"):
        logging.getLogger(name).setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", message=".*isinstance\\(treespec, LeafSpec\\).*")
    warnings.filterwarnings("ignore", message=".*does not have many workers.*")
    warnings.filterwarnings("ignore", message=".*litlogger.*")
    # compare.py hands each run its own argument list on purpose.
    warnings.filterwarnings("ignore", message=".*LightningCLI's args parameter is intended.*")


def _is_rank_zero() -> bool:
    return int(os.environ.get("RANK", os.environ.get("LOCAL_RANK", "0"))) == 0


def _data_args(options: argparse.Namespace) -> list[str]:
    args = ["--data.data", options.data]
    if options.target is not None:
        args += ["--data.target", options.target]
    if options.categorical:
        args += ["--data.categorical", json.dumps(options.categorical)]
    if options.rows is not None:
        args += ["--data.rows", str(options.rows)]
    return args


def _dataset_facts(data: Any) -> dict[str, Any]:
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
    return facts


def _markdown(meta: dict[str, Any], table: str, skipped: list[str], paired: str) -> str:
    facts = meta["dataset"]
    counts = ", ".join(
        f"{split} {facts[f'{split}_class_counts']}" for split in ("train", "val", "test")
    )
    lines = [
        f"# Strategy comparison: {facts['source']}",
        "",
        f"Command: `{meta['command']}`",
        "",
        f"- Data: {facts['rows']} rows, {facts['features']} features, classes "
        f"{facts['classes']} with counts {facts['class_counts']} (split {counts}).",
        f"- {meta['seeds']} paired seed(s) per strategy (same split and initial weights per "
        "seed); resampling on the train split only; validation and test at the natural ratio.",
        f"- Total wall time {meta['wall_s']:.0f} s on {meta['machine']}.",
    ]
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
        "![precision-recall curves](pr_curves.png)",
        "",
        "![AUPRC per strategy](auprc_bars.png)",
        "",
    ]
    return "\n".join(lines)


def _add_cost_metrics(summary: list[dict[str, Any]], rows: list[dict[str, Any]]) -> None:
    """With costs given, each arm's mean and spread of the test cost and value caught at the
    threshold of lowest validation cost (``test_cost``, ``test_value_caught`` of its runs)."""
    from imbalance_torch.lightning.thresholds import COST_METRICS

    for entry in summary:
        runs = [r for r in rows if str(r["arm"]) == entry["arm"]]
        for metric in COST_METRICS:
            values = [float(r[f"test_{metric}"]) for r in runs if f"test_{metric}" in r]
            if values:
                spread = statistics.stdev(values) if len(values) > 1 else math.nan
                entry[metric] = {"mean": statistics.mean(values), "std": spread}


def main(argv: list[str] | None = None) -> int:
    """Run the comparison; returns the process exit status."""
    options, passthrough = parse(argv)
    import torch

    if options.threads > 0:
        torch.set_num_threads(options.threads)
    from tqdm.auto import tqdm

    from imbalance_torch.lightning.comparison import plan_arms, run_arm
    from imbalance_torch.lightning.report import (
        format_paired,
        format_table,
        markdown_table,
        paired_markdown,
        plot_auprc_bars,
        plot_pr_curves,
        summarize,
        write_csv,
        write_json,
    )

    config_dir = Path(options.configs)
    out = Path(options.out)
    extra = _data_args(options)
    if options.max_epochs is not None:
        extra += ["--trainer.max_epochs", str(options.max_epochs)]
    extra += ["--trainer.enable_progress_bar", "false", *passthrough]

    # Check the data (target, columns, NaN, split sizes) before any run starts.
    from imbalance_torch.lightning.cli import ImbalanceCLI, default_config_files
    from imbalance_torch.lightning.config_guard import check_recipe_configs

    _quiet()  # after importing lightning, which sets its own log level
    try:
        configs = sorted((config_dir / "strategies").glob("*.yaml"))
        check_recipe_configs(extra, [*default_config_files(config_dir), *configs])
        probe = ImbalanceCLI(
            args=["--trainer.default_root_dir", str(out / "checkpoints" / "_probe"), *extra],
            run=False,
            parser_kwargs={"default_config_files": default_config_files(config_dir)},
            save_config_callback=None,
        )
        probe.datamodule.split_and_preprocess()
        facts = _dataset_facts(probe.datamodule)
        min_precision = probe.model.hparams.min_precision
        arms, skipped = plan_arms(
            config_dir,
            options.strategies,
            ratios=options.ratios,
            has_categorical=bool(facts["categorical"]),
        )
        _check_run_count(len(arms), options)
    except (ValueError, TypeError, OSError) as error:
        # Bad input found before any run: one line for the command line, the exception in Python.
        if argv is not None:
            raise
        sys.exit(f"error: {error}")
    rank_zero = _is_rank_zero()
    distributed = int(os.environ.get("WORLD_SIZE", "1")) > 1 or any(
        "ddp" in a for a in passthrough
    )
    rows: list[dict[str, Any]] = []
    curves: dict[str, dict[int, tuple[Any, Any]]] = {}  # arm -> seed -> (scores, target)
    start = time.perf_counter()
    jobs = [(arm, seed) for arm in arms for seed in range(options.seeds)]
    progress = tqdm(jobs, desc="runs", unit="run", disable=not rank_zero, dynamic_ncols=True)
    for arm, seed in progress:
        progress.set_postfix_str(f"{arm.name} seed {seed}")
        run_dir = out / "checkpoints" / arm.name.replace(":", "-") / f"seed{seed}"
        if rank_zero and not distributed and run_dir.exists():
            shutil.rmtree(run_dir)
        result = run_arm(
            arm, seed, config_dir=config_dir, run_dir=run_dir, extra_args=extra,
            dataset=facts["source"],
        )
        rank_zero = rank_zero and result.is_global_zero
        rows.append(result.row)
        if result.scores is not None:
            curves.setdefault(arm.name, {})[seed] = (result.scores, result.target)
        if rank_zero:
            write_csv(out / "results.csv", rows)
    progress.close()
    if not rank_zero:
        return 0
    wall = time.perf_counter() - start
    summary = summarize(rows)
    _add_cost_metrics(summary, rows)
    table = format_table(summary)
    meta = {
        "command": shlex.join(
            ["python", "recipes/compare.py", *(argv if argv is not None else sys.argv[1:])]
        ),
        "dataset": facts,
        "seeds": options.seeds,
        "strategies": [a.name for a in arms],
        "skipped": skipped,
        "wall_s": wall,
        "machine": f"{platform.machine()} {os.cpu_count()} CPU cores, torch {torch.__version__}, "
        f"{torch.get_num_threads()} thread(s) per process",
        "min_precision": min_precision,
    }
    title = f"{facts['source']}: test set, {options.seeds} seed(s)"
    write_json(out / "summary.json", {"meta": meta, "summary": summary, "runs": rows})
    from imbalance_torch.lightning.report import atomic_write_text

    atomic_write_text(
        out / "summary.md",
        _markdown(meta, markdown_table(summary), skipped, paired_markdown(summary)),
    )
    if curves:
        plot_pr_curves(out / "pr_curves.png", curves, summary, title=title)
    plot_auprc_bars(out / "auprc_bars.png", summary, rows, title=title)
    if not options.keep_checkpoints and not distributed:
        shutil.rmtree(out / "checkpoints", ignore_errors=True)
    print(f"\n{title}; mean ± std over seeds, * = best per column")
    print(table)
    costs = [e for e in summary if "cost" in e]
    if costs:
        print("\ntest cost / value caught at the threshold of lowest validation cost (mean): "
              + ", ".join(f"{e['arm']} {e['cost']['mean']:.4g} / {e['value_caught']['mean']:.4g}"
                          for e in costs))
    paired = format_paired(summary)
    if paired:
        print(f"\n{paired}")
    if skipped:
        print("skipped: " + ", ".join(skipped))
    print(f"\n{len(rows)} runs in {wall:.0f} s; wrote {out}/results.csv, summary.md, "
          "summary.json, pr_curves.png, auprc_bars.png")
    return 0 if all(math.isfinite(r["test_auprc"]) for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
