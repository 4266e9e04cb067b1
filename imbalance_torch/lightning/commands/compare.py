"""Compare imbalance strategies on untouched validation and test splits (the main job).

``imbalance-torch compare`` (the console script) and ``python recipes/compare.py`` (a thin
wrapper in a checkout) both run :func:`main`.

Runs every strategy config in ``configs/strategies`` (or those named with ``--strategies``)
over ``--seeds`` paired seeds: for seed index ``s`` every strategy sees the same stratified
split and starts from the same initial weights. Resampling touches the train split only;
validation (early stopping, checkpointing and the decision threshold) and test keep the
natural class ratio. Writes to ``--out`` (default ``compare_out/``):

* ``results.csv``: one row per run (updated after every run);
* ``runs/``: each finished run's result; a comparison started again with the same settings
  skips them and redoes only the runs that did not finish (NOTE [run cache] in
  ``imbalance_torch/lightning/compare/runner.py``; ``--fresh`` starts over);
* ``summary.md`` / ``summary.json``: mean ± std per metric and strategy, best marked, and
  each strategy's paired test-AUPRC differences against ``none`` and against the best
  strategy (per seed, mean, 95 % interval, paired t-test with its Holm-adjusted p-value,
  NOTE [multiple comparisons] in ``imbalance_torch/lightning/compare/statistics.py``), the split
  each seed drew, and the verdict: which arm to train and why (the console prints them);
* ``pr_curves.png``: test precision-recall curves of every seed; ``auprc_bars.png``: AUPRC
  per strategy and seed, beside the paired differences against ``none``.

Examples::

    python recipes/compare.py                       # built-in fraud-like data, all strategies
    python recipes/compare.py --quick               # smoke run: 2 strategies, 1 seed
    python recipes/compare.py --data creditcard.csv --target Class
    python recipes/compare.py --data keel:yeast4 --seeds 5 --config configs/keel.yaml
    python recipes/compare.py --strategies none smote random_over --ratios 1.0 0.5 0.33
    python recipes/compare.py --trainer.strategy ddp --trainer.devices 2 --trainer.accelerator cpu

Any ``--trainer.*``, ``--model.*`` or ``--data.*`` flag, and ``--config FILE``, is passed to
every run's LightningCLI (after the strategy config, so it overrides it).

Every arm trains for the same number of optimizer steps, with a batch size and budget derived
from the training split's size (NOTE [training budget] in
``imbalance_torch/lightning/compare/budget.py``); the values are printed and written to the report.
Runs execute in ``--jobs`` processes (default: one per CPU core) with ``--threads`` torch
threads each (default: ``OMP_NUM_THREADS`` if set, else 1: NOTE [training threads] in
``threads.py``), with the same results as one at a time. The plan is printed before the first
run, then a line per finished run with the elapsed time and an estimate of the time left (a
bar on a terminal). SIGINT (Ctrl-C) or SIGTERM stops every worker within seconds; finished runs
stay cached and the same command resumes (NOTE [stopping workers] in ``runner.py``).
``--list`` prints the strategies without running anything.

Before anything runs, every config is checked within the bounds of
:mod:`imbalance_torch.lightning.config_guard`, and a plan of more than ``MAX_RUNS`` (1000)
runs (strategy arms x seeds) is refused unless ``--max-runs`` is raised to confirm it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import platform
import shlex
import shutil
import signal
import statistics
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from imbalance_torch.lightning.commands.progress import RunProgress
from imbalance_torch.lightning.strategies import CONFIG_DIR
from imbalance_torch.lightning.threads import apply_training_threads, training_threads

DEFAULT_QUICK = {"strategies": ["none", "smote"], "seeds": 1, "rows": 20_000}
_PASS_THROUGH = ("--trainer.", "--model.", "--data.", "--seed_everything")
CONSOLE_WIDTH = 100
"""Widest line of the console table (the full table is in summary.md)."""
MAX_RUNS = 1000
"""Most runs (strategy arms x seeds) started without ``--max-runs``: a typo such as
``--seeds 1000000`` is refused with the count instead of starting a million runs."""


def build_parser(prog: str = "compare.py") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description=__doc__.split("\n\n")[0],
        allow_abbrev=False,
        epilog="Other --trainer.*, --model.*, --data.* flags go to every run's LightningCLI.",
    )
    parser.add_argument("--data", default=None, help="built-in name, keel:NAME, or a .csv/.parquet path (default: fraud_like)")
    parser.add_argument("--config", action="append", default=[], metavar="FILE", help="a LightningCLI config for every run, after the strategy config (e.g. configs/keel.yaml); may be repeated")
    parser.add_argument("--target", default=None, help="label column of a file (e.g. Class)")
    parser.add_argument("--categorical", nargs="+", default=None, help="categorical columns of a file (every SMOTE variant then applies SMOTE-NC's rules to them)")
    parser.add_argument("--strategies", nargs="+", default=None, help="strategy configs to run (default: all that apply)")
    parser.add_argument("--seeds", type=int, default=None, help="paired seeds per strategy (default: 3)")
    parser.add_argument("--max-runs", type=int, default=MAX_RUNS, help=f"refuse a plan of more runs (arms x seeds) than this (default {MAX_RUNS}); raise it to confirm a larger one")
    parser.add_argument("--ratios", type=float, nargs="+", default=None, help="sweep resampling strategies over minority/majority ratios, e.g. 1.0 0.5 0.33")
    parser.add_argument("--max-epochs", type=int, default=None, help="training budget as passes over the natural training split, the same steps for every arm (default: derived from the split's size)")
    parser.add_argument("--rows", type=int, default=None, help="rows of the built-in dataset (default: its own size)")
    parser.add_argument("--quick", action="store_true", help="smoke run: none + smote, 1 seed, 20k built-in rows (checks the pipeline; not a verdict)")
    parser.add_argument("--out", default="compare_out", help="output folder (default: compare_out)")
    parser.add_argument("--configs", default=str(CONFIG_DIR), help="config folder (default: the configs shipped in the package, which configs/ in a checkout links to)")
    parser.add_argument("--jobs", type=int, default=None, help="runs at a time, each in its own process (default: the CPU cores; 1 runs in this process)")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads per run (default: OMP_NUM_THREADS if set, else 1, the fastest on a busy machine; 0 keeps torch's default)")
    parser.add_argument("--list", action="store_true", help="list the strategies (name, parts, description, in the default run or not) and exit")
    parser.add_argument("--fresh", action="store_true", help="ignore the finished runs under OUT/runs and run everything again")
    parser.add_argument("--keep-checkpoints", action="store_true", help="keep each run's best checkpoint under OUT/checkpoints")
    return parser


def parse(argv: list[str] | None, prog: str = "compare.py") -> tuple[argparse.Namespace, list[str]]:
    parser = build_parser(prog)
    options, rest = parser.parse_known_args(argv)
    unknown = [a for a in rest if a.startswith("-") and not a.startswith(_PASS_THROUGH)]
    if unknown:
        parser.error(
            f"unknown option(s) {' '.join(unknown)}; besides the options above, only "
            "--trainer.*, --model.* and --data.* flags (LightningCLI) are accepted."
        )
    if options.quick:
        for key, value in DEFAULT_QUICK.items():
            if getattr(options, key) is None and not (key == "rows" and options.data not in (None, "fraud_like")):
                setattr(options, key, value)
    cores = os.cpu_count() or 1
    for name in ("jobs", "threads", "max_epochs"):
        value = getattr(options, name)
        if value is not None and value < (0 if name == "threads" else 1):
            parser.error(f"--{name.replace('_', '-')} must be >= {0 if name == 'threads' else 1}, got {value}.")
    options.jobs = cores if options.jobs is None else options.jobs
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


def _is_rank_zero() -> bool:
    return int(os.environ.get("RANK", os.environ.get("LOCAL_RANK", "0"))) == 0


def _data_args(options: argparse.Namespace) -> list[str]:
    args = [a for path in options.config for a in ("--config", path)]
    if options.data is not None:
        args += ["--data.data", options.data]
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
    # The split kind and, for time splits, each split's time range (plain values).
    facts["split"] = dict(data.preprocessing.split)
    # Every column's role: numeric, categorical, or dropped and why.
    facts["feature_roles"] = [dict(r) for r in data.preprocessing.feature_roles]
    return facts


def data_features_line(facts: dict[str, Any]) -> str:
    """The features by role and each unused column with why, in one line."""
    from imbalance_torch.lightning.tables.feature_roles import describe_roles

    return describe_roles(facts.get("feature_roles") or [])


def describe_split(description: dict[str, Any]) -> str:
    """The split kind and, for time splits, each split's time range, in one line."""
    from imbalance_torch.lightning.datamodule.split_kinds import describe_split as describe

    return describe(description)


def _split_line(split: dict[str, Any], per_seed: bool, where: str = "under Paired differences") -> str:
    """The split kind for the report's header; with ``per_seed`` (``where`` lists each seed's
    split), without the probe's own seed and counts, which are one seed's."""
    if not per_seed:
        return describe_split(split)
    kind = split.get("kind", "stratified")
    if kind == "time":
        return (f"time split on {split.get('time_column')!r}, the same rows for every seed "
                f"(a time split does not depend on the seed); listed per seed {where}")
    what = "stratified random split" if kind == "stratified" else f"{kind} split on {split.get('group_column')!r}"
    return (f"{what}, drawn anew for each seed (seed index s uses split seed s unless "
            "--data.split_seed fixes one), the same for every strategy at that seed; each "
            f"seed's rows per split and class are listed {where}")


def _markdown(
    meta: dict[str, Any], table: str, skipped: list[str], paired: str, flags: list[str]
) -> str:
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
        f"- Split: {_split_line(facts.get('split') or {}, per_seed)}.",
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
        lines += ["## Suggested training", "", _suggestion_text(meta, markdown=True), ""]
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


def _add_cost_metrics(summary: list[dict[str, Any]], rows: list[dict[str, Any]]) -> None:
    """With costs given, each arm's mean and spread of the test cost and value caught at the
    threshold of lowest validation cost (``test_cost``, ``test_value_caught`` of its runs)."""
    from imbalance_torch.lightning.model.thresholds import COST_METRICS

    for entry in summary:
        runs = [r for r in rows if str(r["arm"]) == entry["arm"]]
        for metric in COST_METRICS:
            values = [float(r[f"test_{metric}"]) for r in runs if f"test_{metric}" in r]
            if values:
                spread = statistics.stdev(values) if len(values) > 1 else math.nan
                entry[metric] = {"mean": statistics.mean(values), "std": spread}


def _wrap(text: str, width: int = CONSOLE_WIDTH) -> str:
    """A console message in lines of at most ``width`` columns."""
    import textwrap

    return textwrap.fill(text, width=width, subsequent_indent="  ", break_on_hyphens=False)


def _console_table(summary: list[dict[str, Any]], width: int = CONSOLE_WIDTH) -> str:
    """Test AUPRC (mean ± std), AUROC, F1, MCC, R@P (means), the mean kept step and the time
    of each arm in at most ``width`` columns; the full table is in summary.md."""
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
        body = [[r[0] if len(r[0]) <= widths[0] else r[0][: widths[0] - 1] + "~", *r[1:]] for r in body]
    return plain_table(header, body, widths)


def _train_command(arm: Any, command: str, data_args: list[str], budget: Any) -> str:
    """The command that trains ``arm`` exactly as the comparison did (same data flags, same
    step budget), for ``fit`` and later ``predict``."""
    console = command.split()[0] == "imbalance-torch"
    head = ["imbalance-torch", "train", "fit", "--strategy", arm.strategy] if console else [
        "python", "recipes/train.py", "fit", *(arm.config_args or ("--config", str(arm.config_path)))]
    if arm.ratio is not None:
        head += ["--data.ratio", repr(float(arm.ratio))]
    return shlex.join([*head, *data_args, *budget.cli_args()])


def _suggestion(
    summary: list[dict[str, Any]], arms: list[Any], command: str, data_args: list[str], budget: Any
) -> dict[str, Any]:
    """The arm the comparison suggests training (:func:`report.train_advice`: the best arm
    that beats ``none`` after the Holm adjustment, else ``none``), why, and the command that
    trains it with the comparison's data flags and budget (:func:`_train_command`).

    Returns:
        ``{"suggested_arm", "suggestion_reason", "train_suggested"}`` (the arm and command
        None when no arm has a finite test AUPRC); ``meta`` of summary.json takes them.
    """
    from imbalance_torch.lightning.compare.report import train_advice

    advice = train_advice(summary)
    arm = next((a for a in arms if a.name == advice["arm"]), None)
    return {
        "suggested_arm": None if arm is None else arm.name,
        "suggestion_reason": advice["reason"],
        "train_suggested": None if arm is None else _train_command(arm, command, data_args, budget),
    }


def _suggestion_text(meta: dict[str, Any], *, markdown: bool = False) -> str:
    """The suggested training for the console (the command on its own line) or for
    summary.md (the command in a code block); the reason is the verdict printed above it
    (``report.verdict_text``) and ``suggestion_reason`` in summary.json."""
    if markdown:
        return (f"Train {meta['suggested_arm']} with the same budget (the verdict above says "
                f"why):\n\n```bash\n{meta['train_suggested']}\n```")
    return (f"train {meta['suggested_arm']} with the same budget (see the verdict above):\n"
            f"  {meta['train_suggested']}")


class _Stopped:
    signal: int | None = None


@contextlib.contextmanager
def stop_on_signals() -> Iterator[_Stopped]:
    """While inside, SIGINT and SIGTERM raise KeyboardInterrupt in the main thread and are
    recorded, so a comparison stops as a whole (NOTE [stopping workers] in runner.py); the
    previous handlers come back after (Lightning sets SIGINT to ignored when it stops a fit)."""
    stopped = _Stopped()
    if threading.current_thread() is not threading.main_thread():
        yield stopped
        return
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}

    def handler(number: int, frame: Any) -> None:
        if stopped.signal is None:
            stopped.signal = number
            raise KeyboardInterrupt

    for sig in previous:
        signal.signal(sig, handler)
    try:
        yield stopped
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _interrupted(number: int, finished: int, total: int, out: Path) -> int:
    name = signal.Signals(number).name
    print(_wrap(
        f"stopped by {name}: {finished} of {total} run(s) finished and are cached in "
        f"{out / 'runs'}; the same command resumes from them."
    ), file=sys.stderr, flush=True)
    return 128 + number


def strategy_rows(config_dir: str | Path) -> list[dict[str, Any]]:
    """Every strategy (the strategy table's entries and the YAML files in
    ``config_dir/strategies``), in report order: name, parts (resampling, loss, frozen), its
    one-line description, and whether a comparison that names no strategies runs it. Reads
    YAML and the strategy table only (no torch)."""
    from imbalance_torch.lightning.strategies import read_strategies

    return [
        {
            "name": s.name, "resampling": s.resampling, "loss": s.loss, "frozen": s.frozen,
            "description": s.description, "default": s.default_run(),
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
    lines = [f"{'strategy':<{name_w}}  {'parts':<{parts_w}}  {'default run':<{default_w}}  description"]
    for row, part in zip(rows, parts):
        lines.append(f"{row['name']:<{name_w}}  {part:<{parts_w}}  {row['default']:<{default_w}}  {row['description']}")
    return "\n".join(lines) + (
        f"\n\n{len(rows)} strategies in {Path(config_dir) / 'strategies'}; run some with "
        "--strategies NAME ..."
    )


def main(argv: list[str] | None = None, *, command: str = "python recipes/compare.py") -> int:
    """Run the comparison; returns the process exit status.

    Args:
        argv: the options (``sys.argv[1:]`` when None; then errors found before the first
            run exit with one line instead of raising).
        command: how the report names the command that was run.
    """
    options, passthrough = parse(argv, prog=command)
    if options.list:
        print(format_strategy_list(options.configs))
        return 0
    threads, threads_from = training_threads(options.threads)
    if _is_rank_zero():  # the first line, before the imports and the data checks
        print(_wrap(
            f"comparing {', '.join(options.strategies) if options.strategies else 'the default strategies'} "
            f"x {options.seeds} seed(s) on {options.data or 'fraud_like'}: checking the configs "
            "and the data ..."
        ), flush=True)
    import torch

    from imbalance_torch.lightning.compare.arms import arms_with_work, budget_for, plan_arms
    from imbalance_torch.lightning.compare.report import (
        atomic_write_text,
        format_paired,
        kept_model_flags,
        markdown_table,
        paired_markdown,
        plot_auprc_bars,
        plot_pr_curves,
        summarize,
        write_csv,
        write_json,
    )
    from imbalance_torch.lightning.compare.runner import (
        data_fingerprint,
        plan_tasks,
        quiet_lightning,
        run_line,
        run_tasks,
    )

    config_dir = Path(options.configs)
    out = Path(options.out)
    extra = [*_data_args(options), "--trainer.enable_progress_bar", "false", *passthrough]

    # Check the configs and the data (target, columns, NaN, split sizes) before any run starts.
    from imbalance_torch.lightning.cli import ImbalanceCLI, default_config_files
    from imbalance_torch.lightning.config_guard import check_recipe_configs

    quiet_lightning()  # after importing lightning, which sets its own log level
    try:
        configs = sorted((config_dir / "strategies").glob("*.yaml"))
        check_recipe_configs(extra, [*default_config_files(config_dir), *configs])
        probe = ImbalanceCLI(
            args=["--trainer.default_root_dir", str(out / "checkpoints" / "_probe"), *extra],
            run=False,
            parser_kwargs={"default_config_files": default_config_files(config_dir)},
            save_config_callback=None,
        )
        budget = budget_for(probe.datamodule, extra, max_epochs=options.max_epochs)
        facts = _dataset_facts(probe.datamodule)
        fingerprint = data_fingerprint(probe.datamodule.table)
        min_precision = probe.model.hparams.min_precision
        arms, skipped = plan_arms(
            config_dir,
            options.strategies,
            ratios=options.ratios,
            has_categorical=bool(facts["categorical"]),
        )
        # A ratio at or below the data's own leaves nothing to resample: skip that arm now
        # rather than fail when its run builds the data.
        arms, no_work = arms_with_work(
            arms, probe.parser.parse_args, probe.datamodule.natural_class_counts, extra
        )
        skipped = [*no_work, *skipped]
        if not arms:
            raise ValueError("no strategy has anything to do on this data: " + "; ".join(skipped))
        _check_run_count(len(arms), options)
    except (ValueError, TypeError, OSError) as error:
        # Bad input found before any run: one line for the command line, the exception in Python.
        if argv is not None:
            raise
        sys.exit(f"error: {error}")
    del probe
    rank_zero = _is_rank_zero()
    distributed = int(os.environ.get("WORLD_SIZE", "1")) > 1 or any(
        "ddp" in a for a in passthrough
    )
    jobs = 1 if distributed else options.jobs
    if jobs == 1:
        apply_training_threads(threads)
    if options.fresh and rank_zero:
        shutil.rmtree(out / "runs", ignore_errors=True)
    smoke = (
        f"1 seed of {facts['rows']:,} rows ({facts['test_class_counts'][-1]} positive test "
        "rows): it checks that the pipeline runs; the numbers are not a verdict on the "
        "strategies (run without --quick for that)." if options.quick else ""
    )
    if rank_zero:
        print(_wrap(f"training budget (every arm): {budget.describe()}"))
        print(_wrap(
            f"plan: {len(arms)} arm(s) x {options.seeds} seed(s) = {len(arms) * options.seeds} "
            f"run(s), {jobs} at a time, {threads or torch.get_num_threads()} torch thread(s) "
            f"each ({threads_from}); arms: {', '.join(a.name for a in arms)}"
        ), flush=True)
        if smoke:
            print(_wrap(f"SMOKE RUN: {smoke}"), flush=True)
    tasks = plan_tasks(
        arms, options.seeds, out, default_configs=default_config_files(config_dir),
        extra_args=extra, budget=budget, fingerprint=fingerprint,
    )
    finished: list[Any] = []
    cached_runs = 0
    order = {(t.arm.name, t.seed): i for i, t in enumerate(tasks)}

    progress = RunProgress(len(tasks)) if rank_zero else None

    def report_run(task: Any, result: Any, cached: bool) -> None:
        nonlocal cached_runs
        finished.append(result.row)
        cached_runs += cached
        if progress is not None:
            progress.finished(run_line(result, cached=cached), cached=cached)
            # results.csv in plan order of the runs finished so far (after the last run: all)
            write_csv(out / "results.csv", sorted(finished, key=lambda r: order[(r["arm"], r["seed"])]))

    start = time.perf_counter()
    with stop_on_signals() as stopped:
        try:
            results = run_tasks(
                tasks, config_dir=config_dir, extra_args=extra, dataset=facts["source"],
                budget=budget, jobs=jobs, threads=threads, write=rank_zero,
                clean_run_dirs=not distributed, on_result=report_run,
            )
        except (KeyboardInterrupt, SystemExit):
            if stopped.signal is None:
                raise
        finally:
            if progress is not None:
                progress.close()
    if stopped.signal is not None:
        return _interrupted(stopped.signal, len(finished), len(tasks), out)
    rank_zero = rank_zero and all(r.is_global_zero for r in results)
    if not rank_zero:
        return 0
    wall = time.perf_counter() - start
    rows = [r.row for r in results]
    curves: dict[str, dict[int, tuple[Any, Any]]] = {}  # arm -> seed -> (scores, target)
    for task, result in zip(tasks, results):
        if result.scores is not None:
            curves.setdefault(task.arm.name, {})[task.seed] = (result.scores, result.target)
    summary = summarize(rows)
    _add_cost_metrics(summary, rows)
    flags = kept_model_flags(summary)
    meta = {
        "command": shlex.join(
            [*command.split(), *(argv if argv is not None else sys.argv[1:])]
        ),
        "dataset": facts,
        "seeds": options.seeds,
        "strategies": [a.name for a in arms],
        "skipped": skipped,
        "budget": budget.as_dict(),
        "budget_text": budget.describe(),
        "kept_model_flags": flags,
        "smoke": smoke,
        "wall_s": wall,
        "jobs": jobs,
        "cached_runs": cached_runs,
        "out": str(out),
        "machine": f"{platform.machine()} {os.cpu_count()} CPU cores, torch {torch.__version__}, "
        f"{threads or torch.get_num_threads()} thread(s) per process",
        "min_precision": min_precision,
    }
    # The verdict's advice (report.train_advice): the best arm that beats none after Holm's
    # adjustment, else none, with the reason.
    meta.update(_suggestion(summary, arms, command, [*_data_args(options), *passthrough], budget))
    title = f"{facts['source']}: test set, {options.seeds} seed(s)" + (" (smoke run)" if smoke else "")
    write_json(out / "summary.json", {"meta": meta, "summary": summary, "runs": rows})
    atomic_write_text(
        out / "summary.md",
        _markdown(meta, markdown_table(summary), skipped, paired_markdown(summary), flags),
    )
    if curves:
        plot_pr_curves(out / "pr_curves.png", curves, summary, title=title)
    plot_auprc_bars(out / "auprc_bars.png", summary, rows, title=title)
    if not options.keep_checkpoints:
        # Under DDP too: every rank has finished its last run's test (a collective) by now.
        shutil.rmtree(out / "checkpoints", ignore_errors=True)
    per_seed = any(entry.get("seeds") for entry in summary)
    print(_wrap(f"split: {_split_line(facts['split'], per_seed, where='in summary.md')}"))
    print(_wrap(data_features_line(facts)))
    print("\n" + _wrap(f"{title}; mean (AUPRC ± std) over seeds, * = best per column; all "
                       "metrics in summary.md"))
    print(_console_table(summary))
    costs = [e for e in summary if "cost" in e]
    if costs:
        print("\ntest cost / value caught at the threshold of lowest validation cost (mean): "
              + ", ".join(f"{e['arm']} {e['cost']['mean']:.4g} / {e['value_caught']['mean']:.4g}"
                          for e in costs))
    paired = format_paired(summary)
    if paired:
        print(f"\n{paired}")
    for line in flags:
        print(_wrap(f"flag: {line}"))
    if skipped:
        print(_wrap("skipped: " + ", ".join(skipped)))
    if smoke:
        print("\n" + _wrap(f"SMOKE RUN: {smoke}"))
    if meta["train_suggested"]:
        print("\n" + _suggestion_text(meta))
    print("\n" + _wrap(f"{len(rows)} runs in {wall:.0f} s ({cached_runs} from {out}/runs); "
                       f"wrote {out}/results.csv, summary.md, summary.json, pr_curves.png, "
                       "auprc_bars.png"))
    return 0 if all(math.isfinite(r["test_auprc"]) for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
