"""Checkpoint callbacks: the best model by a stated rule, and a ``last.ckpt`` that always
holds the latest training state. Reading a checkpoint back for scoring
(:func:`load_classifier`, NOTE [unusable checkpoints]) is in
:mod:`~imbalance_torch.lightning.model.checkpoint_files`, re-exported here.

NOTE [kept model]: :class:`BestCheckpoint` keeps the model with the highest validation AUPRC.
AUPRC saturates (1.0 on easy data, often from the first evaluation on), and Lightning's
``ModelCheckpoint`` keeps the *first* of equal scores, so such a run kept its first epoch, an
undertrained model, and said nothing. The rule here: higher AUPRC wins; on equal AUPRC the
lower validation loss (log loss of the raw model) wins; on equal loss too, the later step
wins. The kept model's step, epoch and loss are recorded (``best_model_step``,
``best_model_epoch``, ``best_model_tie_value``) and travel in the checkpoint.

NOTE [last checkpoint]: ``ModelCheckpoint(monitor=..., save_last=True)`` is the usual way to
keep a ``last.ckpt`` beside the best checkpoint, but Lightning 2.6 rewrites that copy only at
save points where the same callback saved a new best: a run whose validation AUPRC peaked at
epoch 0 still had epoch 0 in ``last.ckpt`` after 9 epochs, and ``fit --ckpt_path last``
resumed 8 epochs back. :class:`LastCheckpoint` is a plain unmonitored ``ModelCheckpoint``
whose one file is named ``last``: it saves at every save point it is given (every epoch by
default; also every ``every_n_train_steps`` steps when set), whatever the metrics did. It is
its own class so its checkpointed state never collides with another unmonitored
``ModelCheckpoint`` in the same trainer, and ``ckpt_path="last"`` finds its file.
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

import lightning.pytorch as pl
import torch
from lightning.pytorch.callbacks import EarlyStopping, ModelCheckpoint
from torch import Tensor

from imbalance_torch.lightning.model.checkpoint_files import (
    LIGHTNING_CKPT_PATHS,
    check_checkpoint_file,
    check_lightning_ckpt_path,
    load_classifier,
)

__all__ = [
    "LIGHTNING_CKPT_PATHS",
    "BestCheckpoint",
    "FlooredEarlyStopping",
    "LastCheckpoint",
    "check_checkpoint_file",
    "check_lightning_ckpt_path",
    "load_classifier",
]

class FlooredEarlyStopping(EarlyStopping):
    """Lightning's ``EarlyStopping`` that cannot end a run before the trainer's ``min_steps``.

    Lightning's own floor only postpones a stop: once patience runs out before ``min_steps``,
    ``trainer.should_stop`` stays set and the run ends at the floor even if validation
    improved meanwhile (seen: ``none`` on the built-in data cut at step 2,500 while its
    validation AUPRC was still rising). Here evaluations before the floor still update the
    best score and the patience count, but only one at or after the floor can stop the run
    (NOTE [training budget] in ``lightning/compare/budget.py``). Same arguments as ``EarlyStopping``.
    """

    def _run_early_stopping_check(self, trainer: pl.Trainer) -> None:
        floor = trainer.min_steps or 0
        if trainer.global_step >= floor:
            super()._run_early_stopping_check(trainer)
            return
        logs = trainer.callback_metrics
        if trainer.fast_dev_run or not self._validate_condition_metric(logs):
            return
        self._evaluate_stopping_criteria(logs[self.monitor].squeeze())  # best score, patience


class _CheckpointFolder(ModelCheckpoint):
    """A ``ModelCheckpoint`` whose default folder is ``default_root_dir/checkpoints`` whatever
    the loggers (NOTE [checkpoint folder] in ``lightning/model/run_log.py``)."""

    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        if getattr(self, "_folder_from_trainer", self.dirpath is None):
            self._folder_from_trainer = True
            self.dirpath = os.path.join(trainer.default_root_dir, "checkpoints")
        super().setup(trainer, pl_module, stage)


class BestCheckpoint(_CheckpointFolder):
    """Keep the best model: higher ``monitor``, then lower ``tie_breaker``, then later step.

    A ``ModelCheckpoint`` with ``save_top_k=1`` whose comparison follows NOTE [kept model];
    ``best_model_path``, ``best_model_score`` and ``ckpt_path="best"`` work as usual.

    Args:
        dirpath: folder (default: the trainer's ``default_root_dir/checkpoints``, also when a
            logger is on).
        filename: file name pattern (``best-{epoch}``).
        monitor: the logged metric to maximise or minimise (``val_auprc``).
        mode: ``max`` or ``min``.
        tie_breaker: the logged metric that decides between equal ``monitor`` values, lower
            is better (``val_loss``); when it is missing, the later step wins.
        every_n_train_steps: also evaluate the rule every this many optimizer steps.
        every_n_epochs: evaluate it every this many epochs.
        save_on_train_epoch_end: as in ``ModelCheckpoint``.
    """

    def __init__(
        self,
        dirpath: str | None = None,
        filename: str = "best-{epoch}",
        monitor: str = "val_auprc",
        mode: str = "max",
        tie_breaker: str | None = "val_loss",
        every_n_train_steps: int | None = None,
        every_n_epochs: int | None = None,
        save_on_train_epoch_end: bool | None = None,
    ) -> None:
        if not isinstance(monitor, str) or not monitor:
            raise TypeError(f"monitor must be the name of a logged metric, got {monitor!r}.")
        super().__init__(
            dirpath=dirpath,
            filename=filename,
            monitor=monitor,
            mode=mode,
            save_top_k=1,
            save_last=False,
            every_n_train_steps=every_n_train_steps,
            every_n_epochs=every_n_epochs,
            save_on_train_epoch_end=save_on_train_epoch_end,
        )
        self.tie_breaker = tie_breaker
        self.best_model_tie_value: float | None = None
        self.best_model_step: int | None = None
        self.best_model_epoch: int | None = None
        self._evaluated_step: int | None = None

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        # The metrics are fresh at this step; a later step-based save sees the same (stale)
        # values, which must not count as a tie.
        self._evaluated_step = int(trainer.global_step)
        super().on_validation_end(trainer, pl_module)

    def _wins(self, current: Tensor, tie_value: float | None, fresh: bool) -> bool:
        if not self.best_k_models:
            return True
        best = self.best_k_models[self.kth_best_model_path]
        current = current.to(best.device) if isinstance(best, Tensor) else current
        if torch.isnan(current).item():
            return False
        better = torch.gt if self.mode == "max" else torch.lt
        if bool(better(current, best)):
            return True
        if not fresh or not bool(torch.eq(current, best)):
            return False
        if tie_value is None or self.best_model_tie_value is None:
            return True  # NOTE [kept model]: equal scores, no loss to compare: the later step
        return tie_value <= self.best_model_tie_value

    def check_monitor_top_k(self, trainer: pl.Trainer, current: Tensor | None = None) -> bool:
        """Whether the model of this save point replaces the kept one (NOTE [kept model])."""
        if current is None:
            return False
        value = trainer.callback_metrics.get(self.tie_breaker) if self.tie_breaker else None
        tie_value = None if value is None else float(value)
        fresh = self._evaluated_step == int(trainer.global_step)
        wins = trainer.strategy.reduce_boolean_decision(self._wins(current, tie_value, fresh))
        if wins:
            self.best_model_tie_value = tie_value
            self.best_model_step = int(trainer.global_step)
            self.best_model_epoch = int(trainer.current_epoch)
        return wins

    def state_dict(self) -> dict[str, Any]:
        return {
            **super().state_dict(),
            "best_model_tie_value": self.best_model_tie_value,
            "best_model_step": self.best_model_step,
            "best_model_epoch": self.best_model_epoch,
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        super().load_state_dict(state_dict)
        self.best_model_tie_value = state_dict.get("best_model_tie_value")
        self.best_model_step = state_dict.get("best_model_step")
        self.best_model_epoch = state_dict.get("best_model_epoch")


class LastCheckpoint(_CheckpointFolder):
    """Write the latest training state to ``last.ckpt`` at every save point.

    Use it beside a monitored ``ModelCheckpoint`` without ``save_last``; resume with
    ``trainer.fit(..., ckpt_path="last")``. See NOTE [last checkpoint].

    Args:
        dirpath: folder (default: the trainer's ``default_root_dir/checkpoints``, also when a
            logger is on).
        filename: file name without ``.ckpt`` (``last``, so ``ckpt_path="last"`` finds it).
        every_n_train_steps: also save every this many optimizer steps.
        every_n_epochs: save every this many epochs (default 1 when no other trigger is set).
        train_time_interval: save at this wall-clock interval instead.
        save_on_train_epoch_end: as in ``ModelCheckpoint``.
    """

    def __init__(
        self,
        dirpath: str | None = None,
        filename: str = "last",
        every_n_train_steps: int | None = None,
        every_n_epochs: int | None = None,
        train_time_interval: timedelta | None = None,
        save_on_train_epoch_end: bool | None = None,
    ) -> None:
        super().__init__(
            dirpath=dirpath,
            filename=filename,
            monitor=None,
            save_top_k=1,
            save_last=False,
            enable_version_counter=False,
            every_n_train_steps=every_n_train_steps,
            every_n_epochs=every_n_epochs,
            train_time_interval=train_time_interval,
            save_on_train_epoch_end=save_on_train_epoch_end,
        )


# --------------------------------------------------------------------------- reading back
