"""Plots of a comparison: precision-recall curves, AUPRC bars and the critical-difference
diagram (matplotlib, imported when a plot is drawn), each saved atomically."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from imbalance_torch.lightning.compare.aggregate import REFERENCE_ARM, atomic_savefig

__all__ = [
    "RECALL_GRID",
    "arm_styles",
    "auprc_figure",
    "interpolated_precision",
    "plot_auprc_bars",
    "plot_critical_difference",
    "plot_pr_curves",
    "pr_curves_figure",
]


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


def interpolated_precision(
    scores: np.ndarray, target: np.ndarray, recall_grid: np.ndarray = RECALL_GRID
) -> np.ndarray:
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
    figure, axes = plt.subplots(
        rows,
        columns,
        figsize=(3.4 * columns, 3.0 * rows + 0.6),
        sharex=True,
        sharey=True,
        squeeze=False,
    )
    means = {
        arm: np.mean(
            [interpolated_precision(scores, target) for scores, target in per_seed.values()], axis=0
        )
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
            (line,) = axis.plot(
                RECALL_GRID,
                means[reference],
                color="0.45",
                ls="--",
                lw=1.2,
                label=f"{reference} (mean)",
            )
            line.set_gid(f"{reference}|reference")
        (line,) = axis.plot(
            RECALL_GRID,
            means[arm],
            color=color,
            lw=2.2,
            label=f"{arm} (mean of {len(per_seed)} seed{'s' if len(per_seed) != 1 else ''})",
        )
        line.set_gid(f"{arm}|mean")
        axis.axhline(prevalence, color="grey", ls=":", lw=0.8)
        mean, std = stats[arm]["mean"], stats[arm]["std"]
        axis.set_title(
            f"{arm}: AUPRC {mean:.3f}" + (f" ± {std:.3f}" if math.isfinite(std) else ""), fontsize=9
        )
        axis.grid(alpha=0.3)
        axis.legend(fontsize=7, loc="lower left")  # a PR curve rarely passes there
    for axis in axes.flat[len(arms) :]:
        axis.set_visible(False)
    for axis in axes[-1]:
        axis.set_xlabel("recall")
    for axis in axes[:, 0]:
        axis.set_ylabel("precision")
    axes[0, 0].set(xlim=(0, 1), ylim=(0, 1.02))
    figure.suptitle(
        f"{title}\ntest precision-recall: seeds thin, their mean bold, "
        f"{reference}'s mean dashed; dotted: prevalence",
        fontsize=10,
    )
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
    atomic_savefig(figure, Path(path))
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
        1,
        2 if two_panels else 1,
        sharey=True,
        squeeze=False,
        figsize=(11 if two_panels else 6.5, 0.45 * len(names) + 1.8),
    )
    axis = axes[0, 0]
    positions = np.arange(len(names))[::-1]  # first arm on top
    for position, entry in zip(positions, summary):
        style = styles[entry["arm"]]
        mean, std = entry["auprc"]["mean"], entry["auprc"]["std"]
        axis.barh(
            position,
            mean,
            xerr=std if math.isfinite(std) else None,
            capsize=3,
            color=style["color"],
            alpha=0.35,
            hatch=style["hatch"],
            edgecolor=style["color"],
        )
        values = [float(r["test_auprc"]) for r in rows if r["arm"] == entry["arm"]]
        axis.scatter(
            values,
            np.full(len(values), position),
            color=style["color"],
            marker=style["marker"],
            edgecolor="black",
            linewidth=0.5,
            s=22,
            zorder=3,
            gid=f"{entry['arm']}|seeds",
        )
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
            differences.scatter(
                comparison["differences"],
                position + np.asarray(spread),
                color=style["color"],
                marker=style["marker"],
                s=18,
                alpha=0.8,
                gid=f"{entry['arm']}|differences",
            )
            low, high, mean = comparison["ci_low"], comparison["ci_high"], comparison["mean"]
            if low is not None and math.isfinite(low):
                differences.errorbar(
                    mean,
                    position,
                    xerr=[[mean - low], [high - mean]],
                    fmt="|",
                    color="black",
                    markersize=12,
                    capsize=4,
                    lw=1.5,
                )
            elif mean is not None and math.isfinite(mean):
                differences.plot(mean, position, "|", color="black", markersize=12)
        one_seed = all(p["n"] < 2 for p in paired if p)
        differences.set(
            xlabel=f"test AUPRC minus {reference}, paired by seed",
            title=(
                "one seed: no interval, no test"
                if one_seed
                else "dots: seeds; bar: mean and 95 % t interval"
            ),
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
    atomic_savefig(figure, Path(path))
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
    axis.text(
        1 + critical_difference / 2,
        0.62,
        f"CD = {critical_difference:.3f}",
        ha="center",
        va="bottom",
        fontsize=9,
    )
    clique_top = -0.12
    for index, group in enumerate(cliques):
        y = clique_top - 0.12 * index
        axis.plot([ranks[group[0]] - 0.03, ranks[group[-1]] + 0.03], [y, y], color="black", lw=3.5)
    start = clique_top - 0.12 * len(cliques) - step
    for side, arms, edge, align in ((0, left, 0.7, "right"), (1, right, k + 0.3, "left")):
        for index, arm in enumerate(arms if side == 0 else arms[::-1]):
            y = start - step * index
            axis.plot([ranks[arm], ranks[arm], edge], [0, y, y], color="black", lw=0.8)
            axis.text(
                edge + (-0.05 if side == 0 else 0.05),
                y,
                f"{arm} ({ranks[arm]:.2f})",
                ha=align,
                va="center",
                fontsize=9,
            )
    axis.set(xlim=(-1.2, k + 2.2), ylim=(min(low, start - step * len(left)), 1.0), title=title)
    axis.axis("off")
    atomic_savefig(figure, Path(path))
    plt.close(figure)
