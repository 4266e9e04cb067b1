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
import math
import os
import shlex
import shutil
import signal
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

# The options' names are re-exported: recipes/compare.py exposes every name of this module
# (compare.parse, compare.MAX_RUNS, compare._check_run_count, ...).
from imbalance_torch.lightning.commands.compare_options import (  # noqa: F401
    DEFAULT_QUICK,
    MAX_RUNS,
    _check_run_count,
    _data_args,
    build_parser,
    parse,
)
from imbalance_torch.lightning.commands.compare_output import (  # noqa: F401 (re-exported)
    CONSOLE_WIDTH,
    _console_table,
    _first_line,
    _interrupted,
    _print_plan,
    _print_report,
    _wrap,
    format_strategy_list,
    strategy_rows,
)
from imbalance_torch.lightning.commands.progress import RunProgress
from imbalance_torch.lightning.threads import apply_training_threads, training_threads


def _is_rank_zero() -> bool:
    return int(os.environ.get("RANK", os.environ.get("LOCAL_RANK", "0"))) == 0


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


def _plan(options: argparse.Namespace, extra: list[str], argv: list[str] | None) -> Any:
    """Check the configs and the data and plan the arms before any run starts; bad input is
    one line on the command line (``argv`` None) and the exception in Python."""
    # NOTE [lazy imports] (imbalance_torch/_lazy.py): planning imports torch and Lightning;
    # loaded here so that --help and --list stay fast.
    from imbalance_torch.lightning.compare.plan import plan_comparison

    try:
        plan = plan_comparison(
            Path(options.configs),
            Path(options.out),
            extra,
            strategies=options.strategies,
            ratios=options.ratios,
            max_epochs=options.max_epochs,
        )
        _check_run_count(len(plan.arms), options)
    except (ValueError, TypeError, OSError) as error:
        if argv is not None:
            raise
        sys.exit(f"error: {error}")
    return plan


def _smoke_text(options: argparse.Namespace, facts: dict[str, Any]) -> str:
    if not options.quick:
        return ""
    return (
        f"1 seed of {facts['rows']:,} rows ({facts['test_class_counts'][-1]} positive test "
        "rows): it checks that the pipeline runs; the numbers are not a verdict on the "
        "strategies (run without --quick for that)."
    )


def _tasks(plan: Any, options: argparse.Namespace, extra: list[str]) -> list[Any]:
    """Every (arm, seed) run of the plan, in report order."""
    from imbalance_torch.lightning.cli import default_config_files  # NOTE [lazy imports]
    from imbalance_torch.lightning.compare.runner import plan_tasks

    return plan_tasks(
        plan.arms,
        options.seeds,
        Path(options.out),
        default_configs=default_config_files(Path(options.configs)),
        extra_args=extra,
        budget=plan.budget,
        fingerprint=plan.fingerprint,
    )


def _run(
    plan: Any,
    options: argparse.Namespace,
    extra: list[str],
    *,
    jobs: int,
    threads: int,
    rank_zero: bool,
    distributed: bool,
) -> tuple[list[Any], list[Any], int, float, int | None]:
    """Run every task, one progress line per finished run and results.csv kept current.

    Returns:
        ``(tasks, results, cached runs, wall seconds, stopping signal or None)``.
    """
    from imbalance_torch.lightning.compare.report import write_csv  # NOTE [lazy imports]
    from imbalance_torch.lightning.compare.runner import run_line, run_tasks

    config_dir, out = Path(options.configs), Path(options.out)
    tasks = _tasks(plan, options, extra)
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
            write_csv(
                out / "results.csv", sorted(finished, key=lambda r: order[(r["arm"], r["seed"])])
            )

    start = time.perf_counter()
    results: list[Any] = []
    with stop_on_signals() as stopped:
        try:
            results = run_tasks(
                tasks,
                config_dir=config_dir,
                extra_args=extra,
                dataset=plan.facts["source"],
                budget=plan.budget,
                jobs=jobs,
                threads=threads,
                write=rank_zero,
                clean_run_dirs=not distributed,
                on_result=report_run,
            )
        except (KeyboardInterrupt, SystemExit):
            if stopped.signal is None:
                raise
        finally:
            if progress is not None:
                progress.close()
    if stopped.signal is not None:
        return tasks, finished, cached_runs, 0.0, stopped.signal
    return tasks, results, cached_runs, time.perf_counter() - start, None


def _report(
    plan: Any,
    options: argparse.Namespace,
    passthrough: list[str],
    argv: list[str] | None,
    command: str,
    *,
    results: list[Any],
    tasks: list[Any],
    smoke: str,
    wall: float,
    jobs: int,
    threads: int,
    cached_runs: int,
) -> list[dict[str, Any]]:
    """Summarize the runs, write summary.json, summary.md and the figures, print the report.

    Returns:
        The runs' rows.
    """
    # NOTE [lazy imports]: torch and Lightning are loaded by now (the plan needs them).
    from imbalance_torch.lightning.compare.report import kept_model_flags, summarize
    from imbalance_torch.lightning.compare.summary import (
        add_cost_metrics,
        run_meta,
        suggestion,
        write_reports,
    )

    out = Path(options.out)
    rows = [r.row for r in results]
    curves: dict[str, dict[int, tuple[Any, Any]]] = {}  # arm -> seed -> (scores, target)
    for task, result in zip(tasks, results):
        if result.scores is not None:
            curves.setdefault(task.arm.name, {})[task.seed] = (result.scores, result.target)
    summary = summarize(rows)
    add_cost_metrics(summary, rows)
    meta = run_meta(
        plan,
        command=shlex.join([*command.split(), *(argv if argv is not None else sys.argv[1:])]),
        seeds=options.seeds,
        kept_model_flags=kept_model_flags(summary),
        smoke=smoke,
        wall_s=wall,
        jobs=jobs,
        threads=threads,
        cached_runs=cached_runs,
        out=out,
    )
    # The verdict's advice (report.train_advice): the best arm that beats none after Holm's
    # adjustment, else none, with the reason.
    meta.update(
        suggestion(summary, plan.arms, command, [*_data_args(options), *passthrough], plan.budget)
    )
    title = f"{plan.facts['source']}: test set, {options.seeds} seed(s)" + (
        " (smoke run)" if smoke else ""
    )
    write_reports(out, meta, summary, rows, curves, title)
    if not options.keep_checkpoints:
        # Under DDP too: every rank has finished its last run's test (a collective) by now.
        shutil.rmtree(out / "checkpoints", ignore_errors=True)
    _print_report(meta, summary, rows, title)
    return rows


def main(argv: list[str] | None = None, *, command: str = "python recipes/compare.py") -> int:
    """Run the comparison; returns the process exit status.

    The steps: parse the options, plan (configs and data checked, arms chosen), run every
    task, then write and print the report.

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
    if _is_rank_zero():
        _first_line(options)
    extra = [*_data_args(options), "--trainer.enable_progress_bar", "false", *passthrough]
    plan = _plan(options, extra, argv)
    out = Path(options.out)
    rank_zero = _is_rank_zero()
    distributed = int(os.environ.get("WORLD_SIZE", "1")) > 1 or any("ddp" in a for a in passthrough)
    jobs = 1 if distributed else options.jobs
    if jobs == 1:
        apply_training_threads(threads)
    if options.fresh and rank_zero:
        shutil.rmtree(out / "runs", ignore_errors=True)
    smoke = _smoke_text(options, plan.facts)
    if rank_zero:
        _print_plan(plan, options, jobs, threads, threads_from, smoke)
    tasks, results, cached_runs, wall, stopped = _run(
        plan,
        options,
        extra,
        jobs=jobs,
        threads=threads,
        rank_zero=rank_zero,
        distributed=distributed,
    )
    if stopped is not None:
        return _interrupted(stopped, len(results), len(tasks), out)
    if not (rank_zero and all(r.is_global_zero for r in results)):
        return 0
    rows = _report(
        plan,
        options,
        passthrough,
        argv,
        command,
        results=results,
        tasks=tasks,
        smoke=smoke,
        wall=wall,
        jobs=jobs,
        threads=threads,
        cached_runs=cached_runs,
    )
    return 0 if all(math.isfinite(r["test_auprc"]) for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
