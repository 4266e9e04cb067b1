"""Rendering a comparison's summary as text: console and Markdown tables, the paired
readings and the verdict's advice (:mod:`~imbalance_torch.lightning.compare.report` aggregates
them)."""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

from imbalance_torch.lightning.compare.aggregate import (
    COLUMN_TITLES,
    REFERENCE_ARM,
    best_arm,
    best_mean,
)
from imbalance_torch.lightning.compare.statistics import (
    format_p,
)
from imbalance_torch.lightning.model.metrics import LOWER_IS_BETTER, METRIC_NAMES

__all__ = [
    "format_paired",
    "markdown_table",
    "paired_markdown",
    "plain_table",
    "train_advice",
    "verdict_text",
]


def _cells(
    summary: Sequence[Mapping[str, Any]], metrics: Sequence[str], *, marker: str
) -> tuple[list[str], list[list[str]]]:
    header = ["strategy", *[COLUMN_TITLES.get(m, m) for m in metrics], "crossing", "epochs", "time"]
    best = {m: best_mean(summary, m) for m in metrics}
    body = []
    for entry in summary:
        cells = [entry["arm"]]
        for metric in metrics:
            mean, std = entry[metric]["mean"], entry[metric]["std"]
            if not math.isfinite(mean):  # NOTE [undefined metrics] in lightning/model/metrics.py
                cells.append("undefined")
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


def plain_table(
    header: Sequence[str], body: Sequence[Sequence[str]], widths: Sequence[int] | None = None
) -> str:
    """Rows of cells as console text: the first column left-aligned, the others right-aligned,
    a dashed rule under the header; ``widths`` (default: the widest cell of each column)."""
    if widths is None:
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


def _signed(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None or not math.isfinite(value) else f"{value:+.{digits}f}"


def _interval(comparison: Mapping[str, Any]) -> str:
    low, high = comparison["ci_low"], comparison["ci_high"]
    if low is None or not (math.isfinite(low) and math.isfinite(high)):
        return "n/a"
    return f"[{_signed(low)}, {_signed(high)}]"


_PAIRED_METHOD = (
    "Runs are paired by seed index (for seed s every strategy gets the same split and the same "
    "initial weights), so each strategy is judged by its per-seed differences in test AUPRC. "
    "The reading comes from a two-sided paired t-test at the 5 % level, Holm-adjusted for the "
    "comparisons made at once (both p-values are shown): the comparisons with {reference}, "
    "the primary reading, are one family ({reference} is chosen before the results); the "
    "comparisons with the best arm are adjusted over every pairwise comparison of the "
    "strategies, because the best arm is chosen after the results and adjusting only its own "
    "comparisons would still read equal strategies as worse than it by chance. The 95 % t "
    "interval is per comparison (unadjusted), so an interval that excludes 0 can go with a "
    "'within noise' reading. The Wilcoxon signed-rank p-value is a check that assumes no "
    "normality, but with fewer than 6 seeds it cannot fall below 0.05 (its smallest value is "
    "2/2^n), so it does not decide."
)


def _reference(summary: Sequence[Mapping[str, Any]]) -> str | None:
    return next((e["vs_reference"]["reference"] for e in summary if e.get("vs_reference")), None)


def train_advice(
    summary: Sequence[Mapping[str, Any]], *, reference: str = REFERENCE_ARM
) -> dict[str, Any]:
    """Which arm to train after a comparison, and why (NOTE [multiple comparisons]).

    The comparisons with ``reference`` decide: of the arms better than it after the Holm
    adjustment, the one with the highest mean test AUPRC. When none is, the advice is
    ``reference`` itself, the simplest arm (no resampling, the plain loss): a higher mean
    that the seeds cannot tell from noise is no reason to add a strategy. Without a
    ``reference`` arm, the best mean, said to be a ranking only.

    Args:
        summary: :func:`summarize` output.
        reference: the baseline arm.

    Returns:
        ``{"arm": name or None, "reason": one paragraph, "better_than_reference": [arms],
        "adjustment": the family adjusted over (empty when untested)}``.
    """
    names = [e["arm"] for e in summary]
    against = [e["vs_reference"] for e in summary if e.get("vs_reference")]
    if reference not in names or not against:
        best = best_arm(summary)
        reason = (
            f"no {reference!r} arm ran, so no strategy was tested against the untreated "
            f"baseline; {best} has the highest mean test AUPRC, a ranking and not a verdict "
            f"(add {reference} to --strategies to test against it)."
            if best is not None
            else "no arm has a finite test AUPRC: nothing to suggest."
        )
        return {"arm": best, "reason": reason, "better_than_reference": [], "adjustment": ""}
    family = next((c["family"] for c in against if c.get("family")), "")
    if all(c["n"] < 2 for c in against):
        return {
            "arm": reference,
            "reason": (
                f"one seed per strategy: no test can tell an arm from {reference}, "
                f"the simplest arm; rerun with --seeds 3 or more (5 or more for useful "
                "power) to test the others against it."
            ),
            "better_than_reference": [],
            "adjustment": "",
        }
    better = [c["arm"] for c in against if c["verdict"] == "better"]
    by_arm = {e["arm"]: e for e in summary}
    if better:
        chosen = max(better, key=lambda arm: by_arm[arm]["auprc"]["mean"])
        comparison = by_arm[chosen]["vs_reference"]
        others = [a for a in better if a != chosen]
        reason = (
            f"{chosen} is better than {reference} after the Holm adjustment over {family} "
            f"(mean {_signed(comparison['mean'])}, {comparison['p_text']})"
            + (
                f", and has the highest mean test AUPRC of the {len(better)} arms that are "
                f"({', '.join(others)} too)"
                if others
                else ""
            )
            + "."
        )
        return {
            "arm": chosen,
            "reason": reason,
            "better_than_reference": better,
            "adjustment": family,
        }
    tested = [c for c in against if c["p_value"] is not None and math.isfinite(c["p_value"])]
    closest = min(tested, key=lambda c: c["p_value"]) if tested else None
    detail = ""
    if closest is not None:
        detail = (
            f" (the smallest p-value: {closest['arm']}, mean {_signed(closest['mean'])}, "
            f"{closest['p_text']})"
        )
    reason = (
        f"no strategy is better than {reference} after the Holm adjustment over "
        f"{family}{detail}. {reference} is the simplest arm (no resampling, the plain loss), "
        "and a higher mean that these seeds cannot tell from noise is no reason to add a "
        "strategy; more seeds (--seeds 5 or more) can tell smaller differences."
    )
    return {"arm": reference, "reason": reason, "better_than_reference": [], "adjustment": family}


def verdict_text(summary: Sequence[Mapping[str, Any]]) -> str:
    """:func:`train_advice` in one paragraph: ``train ARM: REASON``."""
    advice = train_advice(summary)
    if advice["arm"] is None:
        return advice["reason"][0].upper() + advice["reason"][1:]
    return f"train {advice['arm']}: {advice['reason']}"


def _seed_lines(summary: Sequence[Mapping[str, Any]]) -> list[str]:
    """One Markdown bullet per seed: the split as that seed drew it."""
    seeds: dict[int, Mapping[str, Any]] = {}
    for entry in summary:
        for seed, facts in (entry.get("seeds") or {}).items():
            seeds.setdefault(int(seed), facts)
    lines = []
    for seed in sorted(seeds):
        facts = seeds[seed]
        counts = ", ".join(
            f"{facts[key]} {label}"
            for key, label in (("val_positives", "validation"), ("test_positives", "test"))
            if facts.get(key) is not None
        )
        lines.append(
            f"- seed {seed}: {facts['split']}" + (f" (positive rows: {counts})" if counts else "")
        )
    return lines


def paired_markdown(summary: Sequence[Mapping[str, Any]]) -> str:
    """Markdown: the split each seed drew, each arm's paired test-AUPRC differences against
    the reference arm and against the best arm (from :func:`summarize`; raw and
    Holm-adjusted p-values), the method in words, and the verdict (:func:`train_advice`)."""
    comparisons = [e[k] for k in ("vs_reference", "vs_best") for e in summary if e.get(k)]
    seed_lines = _seed_lines(summary)
    splits = (
        (
            "The split of each seed (every strategy at that seed trains and is judged on it):\n\n"
            + "\n".join(seed_lines)
        )
        if seed_lines
        else ""
    )
    if not comparisons:
        return "\n\n".join(filter(None, [splits, "No paired comparison: only one strategy ran."]))
    verdict = f"**Verdict:** {verdict_text(summary)}"
    if all(c["n"] < 2 for c in comparisons):
        return "\n\n".join(
            filter(
                None,
                [
                    splits,
                    "One seed per strategy: no paired test is possible, so no difference here can be "
                    "told from noise. Rerun with `--seeds 3` or more (5 or more for useful power).",
                    verdict,
                ],
            )
        )
    sections = [_PAIRED_METHOD.format(reference=_reference(summary) or REFERENCE_ARM)]
    if splits:
        sections.append(splits)
    for key, heading in (("vs_reference", "against {}"), ("vs_best", "against the best arm, {}")):
        rows = [e[key] for e in summary if e.get(key)]
        if not rows:
            continue
        reference = rows[0]["reference"]
        family = next((r["family"] for r in rows if r.get("family")), "")
        lines = [
            f"Test AUPRC {heading.format(reference)}: strategy minus {reference}, per seed; "
            f"Holm-adjusted over {family}.",
            "",
            "| strategy | seeds | difference per seed | mean | 95 % CI (unadjusted) | t-test p "
            "| Holm p | Wilcoxon p | reading |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for row in rows:
            per_seed = ", ".join(_signed(d) for d in row["differences"]) or "-"
            lines.append(
                f"| {row['arm']} | {row['n']} | {per_seed} | {_signed(row['mean'])} | "
                f"{_interval(row)} | {format_p(row['p_value'], bare=True)} | "
                f"{format_p(row.get('adjusted_p_value'), bare=True)} | "
                f"{format_p(row['wilcoxon_p_value'], bare=True)} | {row['reading']} |"
            )
        sections.append("\n".join(lines))
    sections.append(verdict)
    return "\n\n".join(sections)


def format_paired(summary: Sequence[Mapping[str, Any]], *, width: int = 100) -> str:
    """Console lines: each arm's paired test-AUPRC difference to the reference (mean, 95 %
    interval, reading with raw and Holm-adjusted p), the best arm with the arms within noise
    of it and those worse (Holm over every pair), then the verdict (:func:`train_advice`)."""
    against = [e["vs_reference"] for e in summary if e.get("vs_reference")]
    against_best = [e["vs_best"] for e in summary if e.get("vs_best")]
    if not against and not against_best:
        return ""

    def fill(text: str) -> str:
        return textwrap.fill(text, width=width, subsequent_indent="  ", break_on_hyphens=False)

    verdict = fill(f"Verdict: {verdict_text(summary)}")
    if all(c["n"] < 2 for c in [*against, *against_best]):
        return "\n".join(
            [
                fill(
                    "One seed per strategy: no paired test is possible, so these differences cannot "
                    "be told from noise (use --seeds 3 or more)."
                ),
                verdict,
            ]
        )
    lines = []
    if against:
        reference = against[0]["reference"]
        family = next((c["family"] for c in against if c.get("family")), "")
        name_width = min(24, max(len(c["arm"]) for c in against))
        lines.append(
            fill(
                f"Test AUPRC minus {reference}, paired by seed (mean, 95 % t interval, "
                f"paired t-test p and Holm p over {family}):"
            )
        )
        for c in against:
            line = (
                f"  {c['arm']:<{name_width}}  {_signed(c['mean'])}  "
                f"{_interval(c):<16}  {c['reading']}"
            )
            lines.append(line[:width])
    if against_best:
        best = against_best[0]["reference"]
        family = next((c["family"] for c in against_best if c.get("family")), "")
        close = [c for c in against_best if c["verdict"] in ("within noise", "same", "untested")]
        worse = [c for c in against_best if c["verdict"] == "worse"]
        text = f"Best mean test AUPRC: {best}; against it, Holm over {family}: "
        parts = []
        if close:
            parts.append("within noise: " + ", ".join(f"{c['arm']} ({c['p_text']})" for c in close))
        if worse:
            parts.append("worse: " + ", ".join(f"{c['arm']} ({c['p_text']})" for c in worse))
        lines.append(fill(text + "; ".join(parts) + "."))
    lines.append(verdict)
    return "\n".join(lines)
