"""Comparison reports: summary statistics, terminal/Markdown tables, JSON, CSV and plots.

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
from imbalance_torch.lightning.metrics import LOWER_IS_BETTER, METRIC_NAMES

__all__ = [
    "COLUMN_TITLES",
    "atomic_write_text",
    "format_table",
    "markdown_table",
    "plot_auprc_bars",
    "plot_pr_curves",
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


def summarize(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Per arm (in first-seen order): runs, mean and std of each test metric, wall time.

    ``std`` is the sample standard deviation over seeds (NaN with one seed).
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
        entry["wall_s"] = float(sum(float(r.get("wall_s", 0.0)) for r in runs))
        summary.append(entry)
    return summary


def _best(summary: Sequence[Mapping[str, Any]], metric: str) -> float:
    means = [e[metric]["mean"] for e in summary if math.isfinite(e[metric]["mean"])]
    if not means:
        return math.nan
    return min(means) if metric in LOWER_IS_BETTER else max(means)


def _cells(
    summary: Sequence[Mapping[str, Any]], metrics: Sequence[str], *, marker: str
) -> tuple[list[str], list[list[str]]]:
    header = ["strategy", *[COLUMN_TITLES.get(m, m) for m in metrics], "crossing", "epochs", "time"]
    best = {m: _best(summary, m) for m in metrics}
    body = []
    for entry in summary:
        cells = [entry["arm"]]
        for metric in metrics:
            mean, std = entry[metric]["mean"], entry[metric]["std"]
            if not math.isfinite(mean):
                cells.append("n/a")
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


def format_table(
    summary: Sequence[Mapping[str, Any]], metrics: Sequence[str] = METRIC_NAMES
) -> str:
    """A plain-text table: mean ± std per metric, best per column marked ``*``."""
    header, body = _cells(summary, metrics, marker=" *")
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


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def plot_pr_curves(
    path: str | Path,
    curves: Mapping[str, tuple[np.ndarray, np.ndarray]],
    summary: Sequence[Mapping[str, Any]],
    *,
    title: str,
) -> None:
    """Test precision-recall curve of each arm (its first seed), AUPRC mean ± std in the legend."""
    from sklearn.metrics import precision_recall_curve

    plt = _pyplot()
    stats = {e["arm"]: e["auprc"] for e in summary}
    figure, axis = plt.subplots(figsize=(8, 6))
    colors = plt.get_cmap("tab20")
    prevalence = None
    for i, (arm, (scores, target)) in enumerate(curves.items()):
        precision, recall, _ = precision_recall_curve(target, scores)
        mean, std = stats[arm]["mean"], stats[arm]["std"]
        label = f"{arm} ({mean:.3f}" + (f" ± {std:.3f})" if math.isfinite(std) else ")")
        axis.step(recall, precision, where="post", color=colors(i % 20), label=label, lw=1.4)
        prevalence = float(np.mean(target))
    if prevalence is not None:
        axis.axhline(prevalence, color="grey", ls=":", lw=1, label=f"prevalence {prevalence:.4f}")
    axis.set(xlabel="recall", ylabel="precision", xlim=(0, 1), ylim=(0, 1.02), title=title)
    axis.legend(fontsize=8, loc="upper right", title="test AUPRC (mean ± std)")
    axis.grid(alpha=0.3)
    _atomic_savefig(figure, Path(path))
    plt.close(figure)


def plot_auprc_bars(
    path: str | Path,
    summary: Sequence[Mapping[str, Any]],
    rows: Sequence[Mapping[str, Any]],
    *,
    title: str,
) -> None:
    """Bar chart of mean test AUPRC per arm, error bars = std over seeds, dots = seeds."""
    plt = _pyplot()
    figure, axis = plt.subplots(figsize=(max(6, 0.7 * len(summary) + 2), 4.5))
    names = [e["arm"] for e in summary]
    means = np.array([e["auprc"]["mean"] for e in summary])
    stds = np.nan_to_num(np.array([e["auprc"]["std"] for e in summary]))
    positions = np.arange(len(names))
    axis.bar(positions, means, yerr=stds, capsize=4, color="#4c72b0", alpha=0.8)
    for i, name in enumerate(names):
        values = [float(r["test_auprc"]) for r in rows if r["arm"] == name]
        axis.scatter(np.full(len(values), i), values, color="black", s=10, zorder=3)
    baseline = next((e["auprc"]["mean"] for e in summary if e["arm"] == "none"), None)
    if baseline is not None and math.isfinite(baseline):
        axis.axhline(baseline, color="firebrick", ls="--", lw=1, label="none (mean)")
        axis.legend(fontsize=8)
    axis.set_xticks(positions, names, rotation=40, ha="right")
    axis.set(ylabel="test AUPRC", title=title)
    axis.grid(axis="y", alpha=0.3)
    _atomic_savefig(figure, Path(path))
    plt.close(figure)
