"""Comparison strategies: one per table entry, plus the YAML files that combine parts.

NOTE [strategies from the table]: every resampler entry is a strategy of its own name
(that resampler with cross-entropy) and every loss entry one too (that loss on the natural
ratio, no resampling), with the entry's description. A YAML file in ``strategies/`` is needed
only for a combination (``smote_focal``) or non-default settings (``smote_frozen``); a file
named like an entry replaces the derived strategy (so a config folder of an earlier release,
with one file per strategy, still works). Reads YAML and the table only, never torch.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from imbalance_torch.lightning.strategies.losses import LOSSES
from imbalance_torch.lightning.strategies.resamplers import RESAMPLERS

__all__ = [
    "BASELINE",
    "Strategy",
    "list_strategy_files",
    "read_strategies",
    "strategy_parts",
    "strategy_sort_key",
    "strategy_table_markdown",
    "yaml_description",
]

BASELINE = ("none", "cross_entropy")
"""The resampler and loss of the ``none`` strategy (no strategy)."""

_clash = (set(RESAMPLERS) & set(LOSSES)) - set(BASELINE)
if _clash:  # a derived strategy is named after its part: the names must not collide
    raise ValueError(f"resampler and loss entries share the names {sorted(_clash)}; rename one.")


@dataclass(frozen=True)
class Strategy:
    """One strategy of the comparison: a single part derived from the table, or a YAML file.

    Attributes:
        name: the strategy's name (``--strategies``, ``--strategy``, report rows).
        resampling: its ``data.resampling``.
        loss: its ``model.loss``.
        frozen: its ``data.frozen_synthetic``.
        description: one line (the entry's description, or the file's first comment
            sentence).
        path: the YAML file, or None for a strategy derived from the table.
        config: the settings it adds to the defaults (the file's content, or the two names).
    """

    name: str
    resampling: str
    loss: str
    frozen: bool
    description: str
    path: Path | None = None
    config: Mapping[str, Any] = field(default_factory=dict)

    def cli_args(self) -> list[str]:
        """The LightningCLI arguments that select this strategy."""
        if self.path is not None:
            return ["--config", str(self.path)]
        return ["--data.resampling", self.resampling, "--model.loss", self.loss]

    def sort_key(self) -> tuple[Any, ...]:
        """Where it sorts in reports (:func:`strategy_sort_key`)."""
        return strategy_sort_key(self.resampling, self.loss, self.frozen, self.name)

    def default_run(self) -> str:
        """Whether a comparison that names no strategies runs it: ``yes``, ``opt-in``,
        ``with categorical columns`` or ``unknown resampling``."""
        resampler = RESAMPLERS.get(self.resampling)
        loss = LOSSES.get(self.loss)
        if resampler is None or loss is None:
            return "unknown resampling" if resampler is None else "unknown loss"
        if not resampler.in_default or not loss.in_default:
            return "opt-in"
        if resampler.needs_categorical:
            return "with categorical columns"
        return "yes"


def strategy_parts(
    config: Mapping[str, Any], defaults: Mapping[str, Any] | None = None
) -> tuple[str, str, bool]:
    """``(resampling, loss, frozen_synthetic)`` of a strategy config over ``defaults``."""
    defaults = defaults or {}
    data = {**(defaults.get("data") or {}), **(config.get("data") or {})}
    model = {**(defaults.get("model") or {}), **(config.get("model") or {})}
    return (
        data.get("resampling", BASELINE[0]),
        model.get("loss", BASELINE[1]),
        bool(data.get("frozen_synthetic", False)),
    )


def strategy_sort_key(resampling: str, loss: str, frozen: bool, name: str) -> tuple[Any, ...]:
    """Where a strategy sorts in reports: the baseline first, then single-part strategies
    (losses, then resamplers, in table order; a frozen variant after its fresh one), then
    combinations; unknown parts last; ties by name."""
    resamplers, losses = list(RESAMPLERS), list(LOSSES)
    r = resamplers.index(resampling) if resampling in RESAMPLERS else len(resamplers)
    lo = losses.index(loss) if loss in LOSSES else len(losses)
    parts = int(r != 0) + int(lo != 0)
    return (parts, r, bool(frozen), lo, name)


def yaml_description(text: str) -> str:
    """The first sentence of a YAML file's leading comment ("et al. 2002" ends none)."""
    comment = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        comment.append(line.lstrip("#").strip())
    words = " ".join(comment)
    return re.split(r"(?<!\bal)\. (?=[A-Z])", words)[0].rstrip(".") + "." if words else ""


def _derived() -> dict[str, Strategy]:
    out: dict[str, Strategy] = {}
    for resampler in RESAMPLERS.values():
        config = {"data": {"resampling": resampler.name}, "model": {"loss": BASELINE[1]}}
        out[resampler.name] = Strategy(
            resampler.name, resampler.name, BASELINE[1], False, resampler.description,
            config=config,
        )
    for loss in list(LOSSES.values())[1:]:
        config = {"data": {"resampling": BASELINE[0]}, "model": {"loss": loss.name}}
        out[loss.name] = Strategy(
            loss.name, BASELINE[0], loss.name, False, loss.description, config=config
        )
    return out


def list_strategy_files(config_dir: str | Path) -> dict[str, Path]:
    """Strategy name -> YAML file of every ``strategies/*.yaml`` under ``config_dir``."""
    return {p.stem: p for p in sorted((Path(config_dir) / "strategies").glob("*.yaml"))}


def _safe_load(path: Path) -> dict[str, Any]:
    import yaml

    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def read_strategies(
    config_dir: str | Path, load: Callable[[Path], Mapping[str, Any]] | None = None
) -> dict[str, Strategy]:
    """Every strategy (NOTE [strategies from the table]), in report order.

    Args:
        config_dir: the config folder (its ``strategies/`` holds the YAML strategies).
        load: reads and checks one YAML file (default: ``yaml.safe_load``; the comparison
            passes its full key check).

    Raises:
        ValueError: whatever ``load`` raises for a bad file.
    """
    strategies = _derived()
    for name, path in list_strategy_files(config_dir).items():
        config = dict((load or _safe_load)(path) or {})
        resampling, loss, frozen = strategy_parts(config)
        description = yaml_description(path.read_text(encoding="utf-8"))
        strategies[name] = Strategy(name, resampling, loss, frozen, description, path, config)
    return dict(sorted(strategies.items(), key=lambda kv: kv[1].sort_key()))


def strategy_table_markdown(config_dir: str | Path) -> str:
    """The README's strategy table (a Markdown table of :func:`read_strategies`): name, parts,
    in the default run or not, and the description. ``tests/lightning/test_strategies.py``
    checks that the README holds exactly this text."""
    lines = ["| strategy | parts | default run | what it does |", "|---|---|---|---|"]
    for s in read_strategies(config_dir).values():
        parts = f"{s.resampling}{' (frozen)' if s.frozen else ''} + {s.loss}"
        lines.append(f"| `{s.name}` | {parts} | {s.default_run()} | {s.description} |")
    return "\n".join(lines)
