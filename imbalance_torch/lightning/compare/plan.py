"""Planning a comparison before any run starts: the configs and the data are checked, a probe
data module sizes the training budget and describes the data, and the strategy arms that have
work to do on it are chosen. No printing, no argument parsing (the console command,
:mod:`imbalance_torch.lightning.commands.compare`, does those)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from imbalance_torch.lightning.cli import ImbalanceCLI, default_config_files
from imbalance_torch.lightning.compare.arms import Arm, arms_with_work, budget_for, plan_arms
from imbalance_torch.lightning.compare.budget import TrainingBudget
from imbalance_torch.lightning.compare.runner import data_fingerprint, quiet_lightning
from imbalance_torch.lightning.compare.summary import dataset_facts
from imbalance_torch.lightning.config_guard import check_recipe_configs

__all__ = ["ComparisonPlan", "plan_comparison"]


@dataclass(frozen=True)
class ComparisonPlan:
    """What a comparison will run, and what it knows of the data before the first run.

    Attributes:
        arms: the strategy arms to run.
        skipped: why each left-out strategy or ratio was left out.
        budget: the training budget every arm gets (NOTE [training budget] in budget.py).
        facts: the data's facts (:func:`~imbalance_torch.lightning.compare.summary.dataset_facts`).
        fingerprint: the data's fingerprint, part of each run's cache key.
        min_precision: the model's precision floor for recall at precision.
    """

    arms: list[Arm]
    skipped: list[str]
    budget: TrainingBudget
    facts: dict[str, Any]
    fingerprint: str
    min_precision: float


def plan_comparison(
    config_dir: Path,
    out: Path,
    extra: list[str],
    *,
    strategies: list[str] | None,
    ratios: list[float] | None,
    max_epochs: int | None,
) -> ComparisonPlan:
    """Check the configs and the data (target, columns, NaN, split sizes) and plan the arms.

    Args:
        config_dir: the config folder (``configs/strategies`` holds the strategy files).
        out: the output folder (the probe's root directory lies under it).
        extra: the flags every run's LightningCLI gets (data flags and pass-through flags).
        strategies: the strategies named (None: the default run).
        ratios: the resampling ratios to sweep (None: each strategy's own).
        max_epochs: the budget as passes over the training split (None: derived).

    Returns:
        The plan.

    Raises:
        ValueError: a bad config or data, or no strategy with work to do on this data.
        TypeError: a bad config or data.
    """
    quiet_lightning()  # after importing lightning, which sets its own log level
    configs = sorted((config_dir / "strategies").glob("*.yaml"))
    check_recipe_configs(extra, [*default_config_files(config_dir), *configs])
    probe = ImbalanceCLI(
        args=["--trainer.default_root_dir", str(out / "checkpoints" / "_probe"), *extra],
        run=False,
        parser_kwargs={"default_config_files": default_config_files(config_dir)},
        save_config_callback=None,
    )
    budget = budget_for(probe.datamodule, extra, max_epochs=max_epochs)
    facts = dataset_facts(probe.datamodule)
    arms, skipped = plan_arms(
        config_dir, strategies, ratios=ratios, has_categorical=bool(facts["categorical"])
    )
    # A ratio at or below the data's own leaves nothing to resample: skip that arm now
    # rather than fail when its run builds the data.
    arms, no_work = arms_with_work(
        arms, probe.parser.parse_args, probe.datamodule.natural_class_counts, extra
    )
    skipped = [*no_work, *skipped]
    if not arms:
        raise ValueError("no strategy has anything to do on this data: " + "; ".join(skipped))
    return ComparisonPlan(
        arms=arms,
        skipped=skipped,
        budget=budget,
        facts=facts,
        fingerprint=data_fingerprint(probe.datamodule.table),
        min_precision=probe.model.hparams.min_precision,
    )
