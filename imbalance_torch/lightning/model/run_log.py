"""What a training run leaves to read: a per-epoch metrics CSV, and one summary at the end.

NOTE [checkpoint folder]: Lightning puts checkpoints under the first logger's
``save_dir/name/version_N/checkpoints`` as soon as a logger is on, so turning on a logger
moved the checkpoints away from ``default_root_dir/checkpoints``, the paths the README gives
(``runs/smote/checkpoints/best-epoch=N.ckpt``). :class:`~imbalance_torch.lightning.BestCheckpoint`
and :class:`~imbalance_torch.lightning.LastCheckpoint` therefore default to
``default_root_dir/checkpoints`` whatever the loggers, and :class:`MetricsLog` writes the
metrics beside them, under ``default_root_dir/logs/version_N/metrics.csv``.
"""

from __future__ import annotations

import math
from typing import Any

import lightning.pytorch as pl
from lightning.pytorch.callbacks import Callback

__all__ = ["MetricsLog", "fit_summary"]

_SUMMARY_METRICS = ("auprc", "auroc", "f1", "recall_at_precision", "mcc", "loss", "threshold")


class MetricsLog(Callback):
    """Per-epoch metrics to a CSV file with Lightning's ``CSVLogger``.

    At the start of a fit without a logger, it adds ``CSVLogger(default_root_dir,
    name=name)``: every epoch's ``train_loss`` and validation metrics go to
    ``default_root_dir/logs/version_N/metrics.csv`` (a new version per fit; LightningCLI
    saves the run's ``config.yaml`` beside it). A trainer that
    already has a logger (``--trainer.logger ...``) keeps it. Checkpoints stay where they
    were: NOTE [checkpoint folder].

    Args:
        name: the folder under ``default_root_dir`` (``logs``).
    """

    def __init__(self, name: str = "logs") -> None:
        if not isinstance(name, str) or not name:
            raise TypeError(f"name must be a non-empty folder name (str), got {name!r}.")
        self.name = name

    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        if stage != "fit" or trainer.loggers:
            return
        from lightning.pytorch.loggers import CSVLogger

        logger = CSVLogger(trainer.default_root_dir, name=self.name)
        trainer.loggers = [logger]
        # Make the version folder now: LightningCLI saves the run's config.yaml into it next.
        _ = logger.experiment


def _best_entry(model: Any, kept_step: int | None) -> dict[str, float] | None:
    history = list(getattr(model, "val_history", []) or [])
    if not history:
        return None
    if kept_step is not None:
        for entry in reversed(history):
            if int(entry.get("step", -1)) == kept_step:
                return entry
    return None


def fit_summary(trainer: pl.Trainer, model: Any) -> str:
    """The lines a fit ends with: the kept (best) epoch, its validation metrics, and where the
    best and last checkpoints and the metrics log are.

    Args:
        trainer: the trainer after ``fit``.
        model: the fitted :class:`~imbalance_torch.lightning.TabularClassifier` (its
            ``val_history`` holds each evaluation's metrics).
    """
    from imbalance_torch.lightning.model.checkpoints import BestCheckpoint, LastCheckpoint

    best = next((cb for cb in trainer.callbacks if isinstance(cb, BestCheckpoint)), None)
    last = next((cb for cb in trainer.callbacks if isinstance(cb, LastCheckpoint)), None)
    lines = [f"fit: {trainer.current_epoch} epoch(s), {trainer.global_step} step(s) trained"]
    preprocessing = getattr(model, "preprocessing", None)
    if preprocessing is not None:  # every column's role, as saved in the checkpoint
        lines.append(preprocessing.describe_features())
    if best is not None and best.best_model_path:
        entry = _best_entry(model, best.best_model_step)
        metrics = ""
        if entry is not None:
            shown = [
                f"{name} {entry[name]:.4f}"
                for name in _SUMMARY_METRICS
                if name in entry and isinstance(entry[name], float) and math.isfinite(entry[name])
            ]
            metrics = ": val " + ", ".join(shown)
        lines.append(
            f"best epoch {best.best_model_epoch} (step {best.best_model_step}, by "
            f"{best.monitor}){metrics}"
        )
        lines.append(f"best checkpoint: {best.best_model_path}")
    else:
        lines.append("no best checkpoint was kept (no BestCheckpoint callback, or no evaluation)")
    if last is not None and last.best_model_path:  # its one unmonitored file
        lines.append(f"last checkpoint: {last.best_model_path}")
    from lightning.pytorch.loggers import CSVLogger

    for logger in trainer.loggers:
        if isinstance(logger, CSVLogger):
            lines.append(f"metrics per epoch: {logger.experiment.metrics_file_path}")
    return "\n".join(lines)
