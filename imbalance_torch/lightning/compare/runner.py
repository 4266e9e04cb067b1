"""Run a comparison's (arm, seed) runs in parallel processes, each finished run cached.

NOTE [run cache]
Each finished run is written to ``OUT/runs/<arm>-seed<seed>-<key>.json`` (atomically:
a temporary file renamed over the target, so a file is whole or absent) holding its result
row, test scores and validation history. The key is a SHA-256 of everything the result
depends on: the strategy config's text and ratio, the default configs and every ``--config``
file's text, the other LightningCLI flags, the training budget, the fingerprint of the data
(features, labels, column and class names), the seed and the versions of imbalance-torch,
torch and Lightning. A comparison started again with the same settings reads the finished
runs and starts only the others; a run that was interrupted (no result file, or one that
does not read back whole) is redone from scratch. Changing any setting changes the key, so a
stale result is never read; it is replaced when its (arm, seed) finishes again. One file per
(arm, seed) is read, so a report never sees one run twice.

NOTE [parallel runs]
Runs are independent (each seeds its split, sampler and weights from its seed index), so
they run in ``jobs`` worker processes (``spawn``: a fresh interpreter, no forked thread
pools) with ``threads`` torch threads each; results come back in plan order. Workers call
the same :func:`~imbalance_torch.lightning.compare.arms.run_arm` as a sequential run, so with
the same threads per process the numbers are identical (tests/recipes/test_runner.py); a
different thread count may change the last digits of training on some CPUs.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import shutil
import signal
import threading
import time
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from imbalance_torch.lightning._files import atomic_write
from imbalance_torch.lightning.compare.arms import Arm, RunResult, run_arm
from imbalance_torch.lightning.compare.budget import TrainingBudget

__all__ = [
    "CACHE_FORMAT",
    "RunTask",
    "data_fingerprint",
    "load_result",
    "plan_tasks",
    "quiet_lightning",
    "run_line",
    "run_tasks",
    "save_result",
]

CACHE_FORMAT = 2
"""Version of the run cache files; a file of another version is redone."""


@dataclass(frozen=True)
class RunTask:
    """One (arm, seed) run of a comparison and where its checkpoints and result go."""

    arm: Arm
    seed: int
    run_dir: Path
    result_path: Path
    key: str


def quiet_lightning() -> None:
    """Lightning's per-run banners and known harmless warnings off (compare prints one line
    per run instead)."""
    for name in ("lightning.pytorch", "lightning.fabric", "lightning"):
        logging.getLogger(name).setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", message=".*isinstance\\(treespec, LeafSpec\\).*")
    warnings.filterwarnings("ignore", message=".*does not have many workers.*")
    warnings.filterwarnings("ignore", message=".*litlogger.*")
    warnings.filterwarnings("ignore", message=".*smaller than the logging interval.*")
    # compare.py hands each run its own argument list on purpose.
    warnings.filterwarnings("ignore", message=".*LightningCLI's args parameter is intended.*")


def data_fingerprint(table: Any) -> str:
    """SHA-256 of a :class:`~imbalance_torch.lightning.tables.table.Table`'s features, labels,
    feature names and class names."""
    digest = hashlib.sha256()
    for array in (table.features, table.labels):
        array = np.ascontiguousarray(array)
        digest.update(f"{array.shape}|{array.dtype}|".encode())
        digest.update(array.tobytes())
    digest.update(json.dumps([list(table.feature_names), list(table.class_names)]).encode())
    return digest.hexdigest()


def _versions() -> dict[str, str]:
    import lightning
    import torch

    import imbalance_torch

    return {
        "imbalance_torch": imbalance_torch.__version__,
        "torch": torch.__version__,
        "lightning": lightning.__version__,
    }


def _text(path: str | Path) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError:
        return ""


def _run_key(
    arm: Arm,
    seed: int,
    *,
    default_configs: Sequence[str | Path],
    extra_args: Sequence[str],
    budget: TrainingBudget,
    fingerprint: str,
) -> str:
    from imbalance_torch.lightning.config_guard import config_file_arguments

    payload = {
        "format": CACHE_FORMAT,
        "strategy": arm.strategy,
        "strategy_config": _text(arm.config_path) if arm.config_path else list(arm.config_args),
        "ratio": arm.ratio,
        "defaults": [_text(p) for p in default_configs],
        "extra_args": list(extra_args),
        "extra_configs": [_text(p) for p in config_file_arguments(extra_args)],
        "budget": budget.as_dict(),
        "data": fingerprint,
        "seed": seed,
        "versions": _versions(),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def _safe_name(arm: str) -> str:
    return arm.replace(":", "-").replace("/", "-")


def plan_tasks(
    arms: Sequence[Arm],
    seeds: int,
    out: str | Path,
    *,
    default_configs: Sequence[str | Path],
    extra_args: Sequence[str],
    budget: TrainingBudget,
    fingerprint: str,
) -> list[RunTask]:
    """Every (arm, seed) run in report order: arms in order, seeds 0.. within each."""
    out = Path(out)
    tasks = []
    for arm in arms:
        for seed in range(seeds):
            key = _run_key(
                arm, seed, default_configs=default_configs, extra_args=extra_args,
                budget=budget, fingerprint=fingerprint,
            )
            name = f"{_safe_name(arm.name)}-seed{seed}"
            tasks.append(RunTask(
                arm=arm,
                seed=seed,
                run_dir=out / "checkpoints" / _safe_name(arm.name) / f"seed{seed}",
                result_path=out / "runs" / f"{name}-{key[:16]}.json",
                key=key,
            ))
    return tasks


def save_result(task: RunTask, result: RunResult) -> None:
    """Write a finished run's result atomically (NOTE [run cache]); older results of the same
    (arm, seed) under other keys are removed."""
    payload = {
        "format": CACHE_FORMAT,
        "key": task.key,
        "row": result.row,
        "scores": None if result.scores is None else [float(v) for v in result.scores],
        "target": None if result.target is None else [int(v) for v in result.target],
        "val_history": result.val_history,
    }
    text = json.dumps(payload)
    task.result_path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(task.result_path, lambda handle: handle.write(text), binary=False)
    prefix = task.result_path.name[: -len("0123456789abcdef.json")]
    for old in task.result_path.parent.glob(f"{prefix}*.json"):
        if old != task.result_path and len(old.name) == len(task.result_path.name):
            old.unlink(missing_ok=True)


def load_result(task: RunTask) -> RunResult | None:
    """The cached result of ``task``, or None when it has not finished (no file, or one that
    does not read back whole with this task's key)."""
    try:
        payload = json.loads(task.result_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(payload, dict) or payload.get("format") != CACHE_FORMAT or payload.get("key") != task.key:
        return None
    row = payload.get("row")
    if not isinstance(row, dict) or row.get("arm") != task.arm.name or row.get("seed") != task.seed:
        return None
    scores, target = payload.get("scores"), payload.get("target")
    return RunResult(
        row=row,
        scores=None if scores is None else np.asarray(scores, dtype=np.float32),
        target=None if target is None else np.asarray(target, dtype=np.int64),
        val_history=list(payload.get("val_history") or []),
    )


@dataclass(frozen=True)
class _Common:
    config_dir: Path
    extra_args: tuple[str, ...]
    dataset: str
    budget: TrainingBudget
    write: bool
    clean_run_dir: bool


def _execute(task: RunTask, common: _Common) -> RunResult:
    if common.clean_run_dir and task.run_dir.exists():
        shutil.rmtree(task.run_dir)  # an interrupted run's checkpoints: start it afresh
    with warnings.catch_warnings():
        # The split's warnings (thin validation/test splits, rows left out) were shown once when
        # the comparison checked the data and are in the report; every run would repeat them.
        warnings.filterwarnings("ignore", message=r"the (validation|test) split holds")
        warnings.filterwarnings("ignore", message=r"the \w+ split.* left out")
        result = run_arm(
            task.arm, task.seed, config_dir=common.config_dir, run_dir=task.run_dir,
            extra_args=common.extra_args, dataset=common.dataset, budget=common.budget,
        )
    if common.write and result.is_global_zero:
        save_result(task, result)
    return result


# NOTE [stopping workers]: a comparison stops as a whole. Workers ignore SIGINT, so Ctrl-C
# (which the terminal sends to the whole process group) reaches the main process alone, which
# then terminates every worker (SIGTERM) instead of letting each finish its run and take the
# next one from the pool's queue. A worker whose main process died without that (SIGKILL)
# sees its parent change and exits within WATCH_PARENT_S. Finished runs are in the cache
# (NOTE [run cache]); the interrupted ones are redone by the next start of the same command.
WATCH_PARENT_S = 0.5


def _watch_parent(parent: int) -> None:
    while True:
        time.sleep(WATCH_PARENT_S)
        if os.getppid() != parent:
            os._exit(1)


def _init_worker(threads: int, parent: int) -> None:
    from imbalance_torch.lightning.threads import apply_training_threads

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    apply_training_threads(threads)
    quiet_lightning()


def _terminate_workers(pool: ProcessPoolExecutor) -> None:
    """Stop a pool's workers now (NOTE [stopping workers]); Python < 3.14 has no public way."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(timeout=5)
        if process.is_alive():
            process.kill()
    pool.shutdown(wait=False, cancel_futures=True)


def run_line(result: RunResult, *, cached: bool = False) -> str:
    """One line for a finished run: arm, seed, kept step/epoch, val and test AUPRC, time."""
    row = result.row

    def number(key: str, digits: int = 3) -> str:
        value = row.get(key)
        return "n/a" if value is None or not math.isfinite(float(value)) else f"{float(value):.{digits}f}"

    def whole(key: str) -> str:
        value = row.get(key)
        return "?" if value is None or not math.isfinite(float(value)) else str(int(value))

    line = (
        f"{row['arm']} seed {row['seed']}: kept step {whole('kept_step')}/{whole('budget_steps')}"
        f" (epoch {whole('kept_epoch')}), val AUPRC {number('val_auprc')}, "
        f"test {number('test_auprc')}, {float(row.get('wall_s', math.nan)):.0f}s"
    )
    if row.get("stopped_early"):
        line += ", stopped early"
    if row.get("kept_note") == "end of budget":
        line += ", may be undertrained"
    elif row.get("kept_note") == "first evaluation":
        line += ", kept the 1st evaluation"
    return line + (" (cached)" if cached else "")


def run_tasks(
    tasks: Sequence[RunTask],
    *,
    config_dir: str | Path,
    extra_args: Sequence[str],
    dataset: str,
    budget: TrainingBudget,
    jobs: int = 1,
    threads: int = 1,
    write: bool = True,
    clean_run_dirs: bool = True,
    on_result: Callable[[RunTask, RunResult, bool], None] | None = None,
) -> list[RunResult]:
    """Run every task not already cached, ``jobs`` at a time (NOTE [parallel runs]).

    Args:
        tasks: the runs, in report order.
        config_dir: folder of the default configs.
        extra_args: LightningCLI flags for every run.
        dataset: dataset label for the rows.
        budget: the training budget of every run.
        jobs: worker processes; 1 runs in this process.
        threads: torch threads per worker process (``jobs > 1`` only; 0 keeps torch's;
            NOTE [training threads] in threads.py says how the caller chooses it).
        write: save each finished run's result (False on DDP ranks other than 0).
        clean_run_dirs: remove a run's leftover checkpoints before it starts (False under
            DDP, where every rank shares the folder).
        on_result: called with ``(task, result, cached)`` as each run finishes or is read.

    Returns:
        one result per task, in the order of ``tasks``.

    Raises:
        TypeError: ``jobs`` or ``threads`` not an int.
        ValueError: ``jobs`` below 1 or ``threads`` below 0.
    """
    for name, value, minimum in (("jobs", jobs, 1), ("threads", threads, 0)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}.")
        if value < minimum:
            raise ValueError(f"{name} must be >= {minimum}, got {value}.")
    results: dict[int, RunResult] = {}
    todo = []
    for index, task in enumerate(tasks):
        cached = load_result(task)
        if cached is None:
            todo.append(index)
            continue
        results[index] = cached
        if on_result is not None:
            on_result(task, cached, True)
    common = _Common(
        config_dir=Path(config_dir), extra_args=tuple(extra_args), dataset=dataset,
        budget=budget, write=write, clean_run_dir=clean_run_dirs,
    )
    if jobs == 1 or len(todo) <= 1:
        for index in todo:
            results[index] = _execute(tasks[index], common)
            if on_result is not None:
                on_result(tasks[index], results[index], False)
    else:
        import multiprocessing

        context = multiprocessing.get_context("spawn")
        pool = ProcessPoolExecutor(
            max_workers=min(jobs, len(todo)), mp_context=context,
            initializer=_init_worker, initargs=(threads, os.getpid()),
        )
        pending = {pool.submit(_execute, tasks[i], common): i for i in todo}
        try:
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    index = pending.pop(future)
                    results[index] = future.result()  # a run's error stops the comparison
                    if on_result is not None:
                        on_result(tasks[index], results[index], False)
        except BaseException:
            # finished runs are cached; the rest start next time (NOTE [stopping workers])
            _terminate_workers(pool)
            raise
        pool.shutdown()
    return [results[i] for i in range(len(tasks))]
