"""Run every strategy config over paired seeds and collect one result row per run.

Each run goes through :class:`~imbalance_torch.lightning.cli.ImbalanceCLI` with the same
defaults as ``recipes/train.py`` plus one strategy YAML, so a strategy compared here is
exactly what ``train.py`` would train. For seed index ``s`` every strategy gets
``split_seed = sampler_seed = seed_everything = s``: the same rows in each split and the same
initial weights (paired runs).
"""

from __future__ import annotations

import inspect
import json
import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from lightning.pytorch.callbacks import EarlyStopping

from imbalance_torch.lightning.cli import LINKED_MODEL_ARGUMENTS, ImbalanceCLI, default_config_files
from imbalance_torch.lightning.compare.budget import (
    TrainingBudget,
    explicit_settings,
    training_budget,
)
from imbalance_torch.lightning.datamodule.datamodule import ImbalanceDataModule
from imbalance_torch.lightning.model.checkpoints import LastCheckpoint
from imbalance_torch.lightning.model.metrics import METRIC_NAMES
from imbalance_torch.lightning.model.module import TabularClassifier
from imbalance_torch.lightning.model.thresholds import COST_METRICS
from imbalance_torch.lightning.strategies import (
    LOSSES,
    RESAMPLERS,
    Strategy,
    check_loss,
    check_resampling,
    read_strategies,
    strategy_parts,
)

__all__ = [
    "Arm",
    "RunResult",
    "budget_for",
    "list_strategies",
    "load_strategy_config",
    "plan_arms",
    "kept_model_note",
    "ratio_label",
    "run_arm",
    "strategy_parts",
]

_TOP_LEVEL_KEYS = (
    "ckpt_path", "data", "lr_scheduler", "model", "optimizer", "seed_everything", "trainer",
    "weights_only",
)


def _parameters(cls: type, exclude: Sequence[str] = ()) -> list[str]:
    names = [n for n in inspect.signature(cls.__init__).parameters if n != "self"]
    return sorted(n for n in names if n not in exclude)


def list_strategies(config_dir: str | Path) -> dict[str, Strategy]:
    """Strategy name -> :class:`~imbalance_torch.lightning.strategies.Strategy`: one per entry
    of the strategy table and one per ``strategies/*.yaml`` under ``config_dir`` (NOTE
    [strategies from the table]), in display order.

    Raises:
        ValueError: a config that is not valid (see :func:`load_strategy_config`).
    """
    return read_strategies(config_dir, load=load_strategy_config)


def load_strategy_config(path: str | Path) -> dict[str, Any]:
    """Read a strategy YAML with ``yaml.safe_load`` and check every key before any work.

    Raises:
        ValueError: not valid YAML (Python tags included), not a mapping, an unknown key, or
            an unknown ``data.resampling`` or ``model.loss`` (the messages list the known
            ones, from the strategy table).
    """
    import yaml
    from lightning.pytorch import Trainer

    with open(path, encoding="utf-8") as handle:
        try:
            config = yaml.safe_load(handle) or {}
        except yaml.YAMLError as error:
            raise ValueError(
                f"{path}: not a valid YAML config ({' '.join(str(error).split())}). Configs are "
                "read with safe YAML loading, which refuses Python tags such as !!python/object."
            ) from None
    if not isinstance(config, dict):
        raise ValueError(f"{path}: a strategy config must be a mapping, got {type(config).__name__}.")
    unknown = sorted(set(config) - set(_TOP_LEVEL_KEYS))
    if unknown:
        raise ValueError(
            f"{path}: unknown top-level key(s) {unknown}; known: {', '.join(_TOP_LEVEL_KEYS)}."
        )
    known = {
        "data": _parameters(ImbalanceDataModule),
        "model": _parameters(TabularClassifier, exclude=tuple(LINKED_MODEL_ARGUMENTS.values())),
        "trainer": _parameters(Trainer),
    }
    for section, names in known.items():
        values = config.get(section) or {}
        if not isinstance(values, dict):
            raise ValueError(f"{path}: '{section}' must be a mapping of settings.")
        bad = sorted(set(values) - set(names))
        if bad:
            raise ValueError(
                f"{path}: unknown key(s) {', '.join(f'{section}.{b}' for b in bad)}; known "
                f"{section} keys: {', '.join(names)}."
            )
    for section, key, check in (("data", "resampling", check_resampling), ("model", "loss", check_loss)):
        if key in (config.get(section) or {}):
            try:
                check(config[section][key], argument=f"{section}.{key}")
            except (TypeError, ValueError) as error:
                raise type(error)(f"{path}: {error}") from None
    return config


def ratio_label(ratio: float) -> str:
    """``0.5 -> '1:2'``, ``0.33 -> '1:3'``, ``1.0 -> '1:1'``."""
    return f"1:{round(1.0 / ratio, 1):g}"


@dataclass(frozen=True)
class Arm:
    """One column of the comparison: a strategy config, optionally at a swept ratio."""

    name: str
    strategy: str
    config_path: Path | None
    resampling: str
    loss: str
    ratio: float | None
    frozen: bool
    config_args: tuple[str, ...] = ()

    def cli_args(self) -> list[str]:
        """The strategy's LightningCLI arguments (its YAML file, or its two names when the
        strategy table derives it), then the swept ratio."""
        args = list(self.config_args) or ["--config", str(self.config_path)]
        if self.ratio is not None:
            args += ["--data.ratio", repr(float(self.ratio))]
        return args


def plan_arms(
    config_dir: str | Path,
    strategies: Sequence[str] | None,
    *,
    ratios: Sequence[float] | None = None,
    has_categorical: bool = False,
) -> tuple[list[Arm], list[str]]:
    """The arms to run and the strategies skipped (with the reason).

    Args:
        config_dir: folder with ``strategies/*.yaml`` (the strategies besides those the
            strategy table derives).
        strategies: names to run (when None: every strategy whose resampler is
            ``in_default`` in the strategy table; the others are listed as skipped, opt-in,
            and one whose resampler draws the same rows as a default one (``same_as``) with
            that reason).
        ratios: sweep every resampling strategy over these minority/majority ratios.
        has_categorical: whether the data declares categorical columns (strategies whose
            resampler needs them are skipped without).

    Raises:
        ValueError: an unknown strategy name, a bad ratio, or a bad key in a config.
    """
    available = list_strategies(config_dir)
    names = list(available) if strategies is None else list(strategies)
    unknown = [n for n in names if n not in available]
    if unknown:
        raise ValueError(
            f"unknown strategy {', '.join(map(repr, unknown))}; known (the strategy table and "
            f"the configs in {Path(config_dir) / 'strategies'}): {', '.join(available)}."
        )
    for r in ratios or ():
        if not 0.0 < r <= 1.0:
            raise ValueError(f"--ratios takes minority/majority ratios in (0, 1], got {r}.")
    defaults: dict[str, dict[str, Any]] = {}
    for path in default_config_files(config_dir):
        if os.path.exists(path):
            for section, values in (load_strategy_config(path) or {}).items():
                if isinstance(values, dict):
                    defaults.setdefault(section, {}).update(values)
    arms: list[Arm] = []
    skipped: list[str] = []
    opt_in: list[str] = []
    for name in names:
        strategy = available[name]
        resampling, loss, frozen = strategy_parts(strategy.config, defaults)
        resampler = check_resampling(resampling, argument="data.resampling")
        loss_entry = LOSSES.get(loss)
        if strategies is None and resampler.same_as is not None:
            skipped.append(
                f"{name} (draws the same rows as {resampler.same_as}: "
                f"{resampler.same_as_reason}; name it in --strategies to run it anyway)"
            )
            continue
        if strategies is None and not (resampler.in_default and (loss_entry is None or loss_entry.in_default)):
            opt_in.append(name)
            continue
        if resampler.needs_categorical and not has_categorical:
            skipped.append(f"{name} (no categorical columns declared)")
            continue
        common = {
            "strategy": name,
            "config_path": strategy.path,
            "config_args": tuple(strategy.cli_args()),
            "resampling": resampling,
            "loss": loss,
            "frozen": frozen,
        }
        if ratios and resampler.resamples:
            for r in ratios:
                arms.append(Arm(name=f"{name}@{ratio_label(r)}", ratio=float(r), **common))
        else:
            arms.append(Arm(name=name, ratio=None, **common))
    if opt_in:
        skipped.append(f"opt-in, name them in --strategies: {', '.join(opt_in)}")
    return arms, skipped


def arms_with_work(
    arms: Sequence[Arm],
    parse: Callable[[list[str]], Any],
    natural: Sequence[int],
    extra_args: Sequence[str] = (),
) -> tuple[list[Arm], list[str]]:
    """The arms that have something to do on this data, and the others with the reason.

    An arm whose resampling ratio is at or below the train split's own minority/majority
    ratio (``smote_focal`` at 1:2 on data already at 1:1.8) would fail when its run builds
    the data; it is skipped before any run starts, as a strategy that does not apply.

    Args:
        arms: the planned arms (:func:`plan_arms`).
        parse: parses LightningCLI arguments into the run's config (the probe CLI's
            ``parser.parse_args``), so the ratio is the one the run would use: the strategy
            config's, a swept ``--ratios`` value, or the user's ``--data.ratio``/``--config``.
        natural: rows per class of the train split.
        extra_args: the flags every run gets after the arm's own.

    The check uses one split (the probe's). Stratified and time splits have the same class
    counts for every seed; a group split's later seeds can differ, and a run whose ratio
    falls at or below its own split's then fails with the data module's message.
    """
    keep: list[Arm] = []
    skipped: list[str] = []
    for arm in arms:
        config = parse([*arm.cli_args(), *extra_args])
        problem = RESAMPLERS[config.data.resampling].ratio_problem(natural, float(config.data.ratio))
        if problem is None:
            keep.append(arm)
        else:
            skipped.append(f"{arm.name} ({problem})")
    return keep, skipped


def kept_model_note(
    kept_step: int | None,
    val_history: Sequence[dict[str, float]],
    budget_steps: float,
    steps_trained: int | None = None,
) -> str:
    """Why a kept model deserves a look, as a short code for the run's row: ``end of
    budget`` (kept at the last evaluation of a run that used its whole budget: still
    improving when training stopped, may be undertrained), ``first evaluation`` (no later
    evaluation scored higher: a validation split too small or noisy for later gains to show,
    or a rise that ended before the first evaluation), else empty.
    :func:`~imbalance_torch.lightning.compare.report.kept_model_flags` turns the codes into what they
    mean for the verdict and what to do.

    Args:
        kept_step: the step of the kept model (None when none was kept).
        val_history: the run's evaluations, each with its ``step``.
        budget_steps: the run's step budget.
        steps_trained: the steps the run trained (default: the last evaluation's step).

    Returns:
        ``"end of budget"``, ``"first evaluation"`` or ``""``.
    """
    if kept_step is None or not val_history:
        return ""
    trained = int(val_history[-1]["step"]) if steps_trained is None else steps_trained
    if kept_step >= budget_steps or (
        trained >= budget_steps and kept_step == int(val_history[-1]["step"])
    ):
        return "end of budget"
    if kept_step == int(val_history[0]["step"]) and len(val_history) > 1:
        return "first evaluation"
    return ""


def _config_files(args: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Parsed YAML of every ``--config FILE`` in ``args`` (read within the config guard)."""
    import yaml

    from imbalance_torch.lightning.config_guard import config_file_arguments, read_config_file

    parsed = {}
    for path in config_file_arguments(args):
        config = yaml.safe_load(read_config_file(path)) or {}
        parsed[path] = config if isinstance(config, dict) else {}
    return parsed


def budget_for(
    data: ImbalanceDataModule, extra_args: Sequence[str] = (), *, max_epochs: int | None = None
) -> TrainingBudget:
    """The training budget (NOTE [training budget] in ``lightning/compare/budget.py``) of a comparison
    on ``data``, with the batch size, steps or epochs the user gave in ``extra_args`` (and
    ``max_epochs`` passes over the natural training split, when given).

    ``data`` is split here if it was not yet (with its own ``split_seed``). A stratified or
    time split has the same training size for every seed; a group split may differ by a few
    rows between seeds. Either way this one budget serves every arm and seed.
    """
    data.split_and_preprocess()
    settings = explicit_settings(extra_args, _config_files(extra_args))
    if max_epochs is not None:
        settings["max_epochs"] = max_epochs
    return training_budget(int(len(data.split_rows("train"))), **settings)


@dataclass
class RunResult:
    """What one (arm, seed) run produced."""

    row: dict[str, Any]
    scores: np.ndarray | None = None
    target: np.ndarray | None = None
    val_history: list[dict[str, float]] = field(default_factory=list)
    is_global_zero: bool = True


def run_arm(
    arm: Arm,
    seed: int,
    *,
    config_dir: str | Path,
    run_dir: str | Path,
    budget: TrainingBudget,
    extra_args: Sequence[str] = (),
    dataset: str = "",
    on_cli: Callable[[ImbalanceCLI], None] | None = None,
) -> RunResult:
    """Fit one arm at one seed index, test its best checkpoint, and return the result row.

    Args:
        arm: the arm.
        seed: seed index: split, sampler and initialisation seed.
        config_dir: folder of the default configs.
        run_dir: this run's ``trainer.default_root_dir`` (checkpoints).
        extra_args: LightningCLI flags for every run (data source, trainer overrides).
        dataset: dataset label for the row.
        budget: the comparison's training budget (the same for every arm; :func:`budget_for`).
        on_cli: called with the CLI object before fitting (tests use it).
    """
    start = time.perf_counter()
    parser_kwargs = {"default_config_files": default_config_files(config_dir)}
    args = [
        *arm.cli_args(),
        "--data.split_seed", str(seed),
        "--data.sampler_seed", str(seed),
        "--seed_everything", str(seed),
        "--trainer.default_root_dir", str(run_dir),
        # NOTE [training budget]: the same steps for every arm; the user's flags come after
        *budget.cli_args(),
        *extra_args,
    ]
    cli = ImbalanceCLI(
        args=args, run=False, parser_kwargs=parser_kwargs, save_config_callback=None
    )
    if on_cli is not None:
        on_cli(cli)
    trainer, model, data = cli.trainer, cli.model, cli.datamodule
    # A comparison redoes an interrupted run from the start (NOTE [run cache] in runner.py),
    # so last.ckpt, written at every evaluation, would only cost time.
    trainer.callbacks = [cb for cb in trainer.callbacks if not isinstance(cb, LastCheckpoint)]
    crossing = data.synthetic_crossing_share()
    trainer.fit(model, datamodule=data)
    stopping = [cb for cb in trainer.callbacks if isinstance(cb, EarlyStopping)]
    # before test, which may restore the callbacks' state from the kept checkpoint
    stopped_early = any(cb.wait_count >= cb.patience for cb in stopping)
    steps_trained = int(trainer.global_step)
    val_history = list(model.val_history)  # test restores the kept checkpoint's shorter one
    checkpoint = trainer.checkpoint_callback
    best_path = getattr(checkpoint, "best_model_path", "") if checkpoint else ""
    trainer.test(model, datamodule=data, ckpt_path=best_path or None, verbose=False)
    wall = time.perf_counter() - start
    best_score = getattr(checkpoint, "best_model_score", None) if checkpoint else None
    kept_step = getattr(checkpoint, "best_model_step", None)
    kept_epoch = getattr(checkpoint, "best_model_epoch", None)
    results = dict(model.test_results)
    row: dict[str, Any] = {
        "dataset": dataset,
        "arm": arm.name,
        "strategy": arm.strategy,
        "resampling": arm.resampling,
        "loss": arm.loss,
        "ratio": data.hparams.ratio if RESAMPLERS[arm.resampling].resamples else math.nan,
        "frozen_synthetic": arm.frozen,
        "seed": seed,
        "epochs": trainer.current_epoch,
        # which model was kept (NOTE [kept model]), and the training budget it came from
        "kept_epoch": math.nan if kept_epoch is None else kept_epoch,
        "kept_step": math.nan if kept_step is None else kept_step,
        "steps_trained": steps_trained,
        "budget_steps": trainer.estimated_stepping_batches,
        "stopped_early": stopped_early,
        "kept_note": kept_model_note(
            kept_step, val_history, trainer.estimated_stepping_batches, steps_trained
        ),
        "batch_size": data.hparams.batch_size,
        "val_check_interval": trainer.val_check_interval,
        "patience_evals": stopping[0].patience if stopping else math.nan,
        "val_auprc": float(best_score) if best_score is not None else math.nan,
        **{f"test_{k}": results.get(k, math.nan) for k in METRIC_NAMES},
        "threshold": results.get("threshold", math.nan),
        # Costs given (--model.cost_missed or cost_column, and cost_false_alarm): test cost
        # and value caught at the threshold of lowest validation cost (lightning/model/thresholds.py).
        **{f"test_{k}": results[f"{k}_cost"] for k in COST_METRICS if f"{k}_cost" in results},
        "crossing_share": math.nan if crossing is None else crossing,
        "train_rows_per_epoch": int(sum(data.sampled_class_counts)),
        "sampled_class_counts": json.dumps(list(data.sampled_class_counts)),
        # the split this seed drew (kind, rows per split and class, warnings): reports
        # describe each seed's split and its validation positives (report.seed_split)
        "split": json.dumps(dict(data.preprocessing.split), default=str),
        "wall_s": wall,
    }
    predictions = model.test_predictions
    scores = target = None
    if predictions and predictions["probs"].shape[1] == 2:
        scores = predictions["probs"][:, 1].numpy()
        target = predictions["target"].numpy()
    return RunResult(
        row=row,
        scores=scores,
        target=target,
        val_history=val_history,
        is_global_zero=trainer.is_global_zero,
    )
