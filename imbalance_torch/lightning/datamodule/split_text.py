"""A split's description as one line of text, for the console and the reports (the description
is the dict :meth:`~imbalance_torch.lightning.datamodule.split_kinds.SplitPlan.split` returns)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from imbalance_torch.lightning.datamodule.splits import SPLIT_NAMES

__all__ = ["describe_split"]


def describe_split(description: Mapping[str, Any]) -> str:
    """One line for reports: the split kind and, for time splits, each split's time range."""
    kind = description.get("kind", "stratified")
    rows = description.get("rows", {})
    if kind == "time":
        ranges = description.get("time_range", {})
        parts = [
            f"{name} {ranges[name][0]} to {ranges[name][1]} ({rows.get(name, '?')} rows)"
            for name in SPLIT_NAMES
            if name in ranges
        ]
        text = f"time split on {description.get('time_column')!r}: " + "; ".join(parts)
        if "group_column" in description and description.get("group_rule") == "first":
            text += (
                f"; groups of {description['group_column']!r} never cross splits, each in the "
                "split of its first row (every row kept; the train split also holds later "
                "rows of its groups: leakage in time)"
            )
        elif "group_column" in description:
            text += (
                f"; groups of {description['group_column']!r} never cross splits "
                f"({description.get('purged_rows', 0)} earlier rows of later groups left out)"
            )
        return text + _cost_text(description)
    if kind == "group":
        groups = description.get("groups", {})
        counts = ", ".join(
            f"{name} {rows.get(name, '?')} rows / {groups.get(name, '?')} groups"
            for name in SPLIT_NAMES
        )
        how = "stratified" if description.get("stratified", True) else "groups drawn at random"
        return f"group split on {description.get('group_column')!r}, {how} ({counts})" + _cost_text(
            description
        )
    counts = ", ".join(f"{name} {rows.get(name, '?')}" for name in SPLIT_NAMES)
    return (
        f"stratified random split, seed {description.get('seed', '?')} (rows: {counts})"
        + _cost_text(description)
    )


def _cost_text(description: Mapping[str, Any]) -> str:
    """Rows per class in each split, rows left out, and the split's warnings (NOTE [rows left
    out]); empty for a description without class counts (one saved before they were kept)."""
    counts = description.get("class_counts")
    if not counts:
        return ""
    names = description.get("classes") or [str(c) for c in range(len(next(iter(counts.values()))))]
    text = (
        "; rows per class "
        + ", ".join(
            f"{split} " + "/".join(str(v) for v in counts[split])
            for split in SPLIT_NAMES
            if split in counts
        )
        + f" ({'/'.join(str(n) for n in names)})"
    )
    left = description.get("left_out")
    if left:
        text += (
            f"; {left['rows']} rows ({left['share']:.1%}) left out by the split rule, per "
            "class " + "/".join(str(v) for v in left["class_counts"])
        )
    for note in description.get("warnings", ()):
        text += f". WARNING: {note.rstrip('.')}"
    return text
