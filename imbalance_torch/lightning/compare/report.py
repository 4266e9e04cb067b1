"""Comparison reports: summary statistics, paired readings, tables, JSON, CSV and plots.

The work is split by job: :mod:`~imbalance_torch.lightning.compare.aggregate` (run rows to the
summary, kept-model flags, CSV and JSON), :mod:`~imbalance_torch.lightning.compare.render`
(console and Markdown text) and :mod:`~imbalance_torch.lightning.compare.plots` (matplotlib).
This module keeps the names importable from one place.
"""

from __future__ import annotations

from imbalance_torch.lightning.compare.aggregate import (
    COLUMN_TITLES,
    KEPT_NOTES,
    REFERENCE_ARM,
    atomic_write_text,
    best_arm,
    best_mean,
    kept_model_flags,
    seed_split,
    summarize,
    write_csv,
    write_json,
)
from imbalance_torch.lightning.compare.plots import (
    RECALL_GRID,
    arm_styles,
    auprc_figure,
    interpolated_precision,
    plot_auprc_bars,
    plot_critical_difference,
    plot_pr_curves,
    pr_curves_figure,
)
from imbalance_torch.lightning.compare.render import (
    format_paired,
    markdown_table,
    paired_markdown,
    plain_table,
    train_advice,
    verdict_text,
)

__all__ = [
    "COLUMN_TITLES",
    "KEPT_NOTES",
    "RECALL_GRID",
    "REFERENCE_ARM",
    "arm_styles",
    "atomic_write_text",
    "auprc_figure",
    "best_arm",
    "best_mean",
    "format_paired",
    "interpolated_precision",
    "kept_model_flags",
    "markdown_table",
    "paired_markdown",
    "plain_table",
    "plot_auprc_bars",
    "plot_critical_difference",
    "plot_pr_curves",
    "pr_curves_figure",
    "seed_split",
    "summarize",
    "train_advice",
    "verdict_text",
    "write_csv",
    "write_json",
]
