"""Checkpoint callbacks: the best model by a stated rule, and a ``last.ckpt`` that always
holds the latest training state; and reading a checkpoint back for scoring
(:func:`load_classifier`, NOTE [unusable checkpoints]).

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

import inspect
import os
import stat
import zipfile
from collections.abc import Sequence
from dataclasses import fields
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import lightning.pytorch as pl
import torch
from lightning.pytorch.callbacks import EarlyStopping, ModelCheckpoint
from torch import Tensor

from imbalance_torch.lightning.tables.files import path_mode, special_file_kind
from imbalance_torch.lightning.tables.preprocessing import Preprocessing

if TYPE_CHECKING:
    from imbalance_torch.lightning.model.module import TabularClassifier

__all__ = [
    "LIGHTNING_CKPT_PATHS",
    "BestCheckpoint",
    "FlooredEarlyStopping",
    "LastCheckpoint",
    "check_checkpoint_file",
    "check_lightning_ckpt_path",
    "load_classifier",
]

_SHOWN = 3  # names listed in a message before "and N more"


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
LIGHTNING_CKPT_PATHS = ("best", "last", "hpc", "registry")
"""``ckpt_path`` values that Lightning resolves itself (also ``registry:NAME...`` and remote
URLs such as ``s3://...``); :func:`check_lightning_ckpt_path` passes them through."""

_CKPT_FIX = "pass the path of a .ckpt written by train.py fit (e.g. checkpoints/best-epoch=N.ckpt)"


def check_checkpoint_file(path: str | os.PathLike, *, argument: str = "ckpt_path") -> Path:
    """Check that ``path`` is a file a checkpoint can be read from, before anything opens it
    (NOTE [checkpoint paths]): each kind of bad path gets one line naming what it is, with
    the data paths' classification (:func:`~imbalance_torch.lightning.tables.files.path_mode`).

    Args:
        path: the checkpoint's path.
        argument: the argument that gave it, for messages.

    Returns:
        The path.

    Raises:
        FileNotFoundError: no such path (a dangling symbolic link is named as one).
        IsADirectoryError: a directory (naming the ``.ckpt`` files it holds, if any).
        ValueError: a named pipe (FIFO), a device, a socket, a symbolic-link loop, an empty
            file.
        PermissionError: a path that cannot be reached.
    """
    text = os.fspath(path)
    mode = path_mode(text, text, argument=argument, fix=_CKPT_FIX, what="checkpoint file")
    if stat.S_ISDIR(mode):
        held = sorted(entry.name for entry in os.scandir(text)
                      if entry.name.endswith(".ckpt") and entry.is_file())
        choice = (f"it holds {_listed(held)}: pass one of them, e.g. {os.path.join(text, held[0])!r}"
                  if held else f"it holds no .ckpt file; {_CKPT_FIX}")
        raise IsADirectoryError(f"{argument}={text!r} is a directory, not a checkpoint file; {choice}.")
    kind = special_file_kind(mode)
    if kind is not None:
        raise ValueError(
            f"{argument}={text!r} is {kind}, not a checkpoint file (torch reads a checkpoint "
            f"as a zip archive, which needs a regular file); {_CKPT_FIX}."
        )
    if os.stat(text).st_size == 0:
        raise ValueError(
            f"{argument}={text!r} is empty (0 bytes), not a checkpoint (a save that was cut "
            f"short?); {_CKPT_FIX}."
        )
    return Path(text)


def check_lightning_ckpt_path(value: str, *, argument: str = "ckpt_path") -> None:
    """Check a ``--ckpt_path`` of ``train fit`` / ``validate`` / ``test`` before Lightning reads
    it (NOTE [checkpoint paths]). Values Lightning resolves itself pass untouched:
    :data:`LIGHTNING_CKPT_PATHS`, ``registry:...``, remote URLs (``s3://...``) and YAML nulls
    (``null``, ``~``, empty).

    Args:
        value: the value as given on the command line.
        argument: the argument that gave it, for messages.

    Raises:
        FileNotFoundError, IsADirectoryError, PermissionError, ValueError: the faults of
            :func:`check_checkpoint_file`, and a file that is no torch checkpoint (a CSV),
            one line each.
    """
    if (value in LIGHTNING_CKPT_PATHS or value.lower().startswith("registry:") or "://" in value
            or value in ("", "~", "null", "Null", "NULL")):
        return
    check_checkpoint_file(value, argument=argument)
    if not _is_torch_zip(value):  # torch writes zip archives; anything else is read to be sure
        _read_checkpoint(value, "cpu")


def load_classifier(
    path: str | os.PathLike, *, map_location: str = "cpu"
) -> tuple[TabularClassifier, Preprocessing]:
    """The :class:`~imbalance_torch.lightning.TabularClassifier` of a checkpoint written by a
    fit with the data module, in eval mode with its thresholds, and the data module's fitted
    preprocessing, read with ``torch.load(weights_only=True)`` and checked piece by piece
    (NOTE [unusable checkpoints]).

    The preprocessing is part of the data module's state
    (:meth:`~imbalance_torch.lightning.ImbalanceDataModule.state_dict`, which Lightning keys by
    the data module's class name). The previous release kept it beside the model's state under
    the top-level key ``preprocessing``; such a checkpoint is read too: the state is the same
    dict of plain values, checked the same way.

    Args:
        path: the checkpoint file (checked first: :func:`check_checkpoint_file`).
        map_location: as in ``torch.load``.

    Returns:
        ``(model, preprocessing)``.

    Raises:
        FileNotFoundError, IsADirectoryError, PermissionError: a path that is no file
            (:func:`check_checkpoint_file`).
        ValueError: one line naming the file and the fault: a FIFO, a device, a link loop, an
            empty file, not a torch checkpoint (a CSV), pickled objects, no state_dict /
            hyper_parameters / preprocessing, hyper-parameters this version does not know,
            weights of another name or shape, a preprocessing state with missing keys or of
            another version.
    """
    text = os.fspath(check_checkpoint_file(path))
    checkpoint = _read_checkpoint(text, map_location)
    name = Path(text).name
    if (not isinstance(checkpoint, dict) or "state_dict" not in checkpoint
            or "hyper_parameters" not in checkpoint):
        raise ValueError(
            f"{name} is not a TabularClassifier checkpoint (it has no state_dict "
            "or hyper_parameters); pass a checkpoint written by train.py fit."
        )
    state = _preprocessing_state(checkpoint)
    if state is None:
        raise ValueError(
            f"{name} holds no fitted preprocessing, so raw rows cannot be "
            "prepared as in training; it was trained without an ImbalanceDataModule or by "
            "an older imbalance-torch. Train it again with train.py fit."
        )
    written_by = _written_by(checkpoint)
    _check_preprocessing_state(name, state, written_by)
    model = _build_model(name, checkpoint["hyper_parameters"], written_by)
    _check_weights(name, checkpoint["state_dict"], model, written_by)
    model.load_state_dict(checkpoint["state_dict"])
    try:
        model.on_load_checkpoint(checkpoint)
        preprocessing = Preprocessing.from_state_dict(state)
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(f"{name}: {_one_line(error)}{written_by}") from None
    model.eval()
    return model, preprocessing


def _preprocessing_state(checkpoint: dict[str, Any]) -> Any:
    """The fitted preprocessing's state in a checkpoint, or None: the data module's state
    (under its class name, so a subclass of ImbalanceDataModule is found too), else the
    previous release's top-level ``preprocessing``."""
    for key, value in checkpoint.items():
        if key not in _TRAINER_KEYS and isinstance(value, dict) and "preprocessing" in value:
            return value["preprocessing"]
    return checkpoint.get("preprocessing")


# Lightning's own top-level checkpoint entries, never a data module's state.
_TRAINER_KEYS = frozenset({
    "state_dict", "hyper_parameters", "optimizer_states", "lr_schedulers", "loops", "callbacks",
    "datamodule_hyper_parameters",
})


# NOTE [unusable checkpoints]: a checkpoint is read with ``torch.load(weights_only=True)``
# (no pickled code runs) and then checked piece by piece before the network is built, so that
# each way a file can be unusable gets one line naming the file and the fault instead of the
# traceback torch or Python would give: a file that is no torch checkpoint at all (a CSV
# passed by mistake: torch's "Weights only load failed"), one holding pickled objects,
# hyper-parameters this version does not know (another version), weights of another shape
# (another width: "size mismatch") or name ("Unexpected key(s)"), a preprocessing state with
# keys missing (a bare ``KeyError``). Checkpoints record the imbalance-torch version that
# wrote them (``imbalance_torch_version``); the messages name it when it differs.

# NOTE [checkpoint paths]: before torch or Lightning opens a checkpoint path, the path is
# classified as data paths are (``table_files.path_mode``): missing, a dangling symbolic link,
# a link loop, a directory, a FIFO, a device, a socket and an empty file each get one line
# naming what the path is (``Path.is_file()`` had called them all "no such checkpoint file",
# and opening a FIFO blocks until something writes to it). ``predict`` checks in
# :func:`load_classifier`; ``train fit / validate / test`` check ``--ckpt_path`` in
# ``console.train_main`` before LightningCLI starts, where Lightning printed a 40-line
# traceback ending in FileNotFoundError, IsADirectoryError or EOFError. Values Lightning
# resolves itself (``last``, ``best``, ``hpc``, ``registry[:...]``, URLs) are not touched.


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= 300 else text[:297] + "..."


def _listed(names: Sequence[str]) -> str:
    shown = ", ".join(repr(n) for n in names[:_SHOWN])
    return shown + (f" and {len(names) - _SHOWN} more" if len(names) > _SHOWN else "")


def _is_torch_zip(text: str) -> bool:
    """Whether the file is a zip archive as ``torch.save`` writes it (one ``data.pkl`` inside);
    reads the archive's directory only."""
    if not zipfile.is_zipfile(text):
        return False
    try:
        with zipfile.ZipFile(text) as archive:
            return any(n == "data.pkl" or n.endswith("/data.pkl") for n in archive.namelist())
    except (OSError, zipfile.BadZipFile):
        return False


def _read_checkpoint(text: str, map_location: str) -> Any:
    name = Path(text).name
    try:
        return torch.load(text, map_location=map_location, weights_only=True)
    except Exception as error:  # torch raises many types on foreign bytes; all mean one thing
        if zipfile.is_zipfile(text) and not _is_torch_zip(text):
            raise ValueError(
                f"{name} is a zip archive but not a torch checkpoint (it holds no data.pkl); "
                "pass the .ckpt written by train.py fit (e.g. checkpoints/best-epoch=N.ckpt)."
            ) from None
        if zipfile.is_zipfile(text):
            raise ValueError(
                f"{name} is a torch file holding objects other than tensors and plain values "
                f"({type(error).__name__}), which imbalance-torch does not unpickle (checkpoints "
                "are loaded with weights_only=True); pass a checkpoint written by train.py fit."
            ) from None
        with open(text, "rb") as handle:
            truncated = handle.read(4) == b"PK\x03\x04"  # a zip archive without its end
        if truncated:
            raise ValueError(
                f"{name} is a zip archive cut short (no central directory at its end: a copy "
                "or a save that did not finish?); copy the checkpoint again or pass another .ckpt "
                "written by train.py fit."
            ) from None
        raise ValueError(
            f"{name} is not a checkpoint: torch.load cannot read it ({type(error).__name__}; "
            "a CSV or other file given as --ckpt_path?); pass the .ckpt written by train.py fit "
            "(e.g. checkpoints/best-epoch=N.ckpt)."
        ) from None


def _written_by(checkpoint: dict[str, Any]) -> str:
    from imbalance_torch import __version__

    version = checkpoint.get("imbalance_torch_version")
    if version == __version__:
        return ""
    writer = f"imbalance-torch {version}" if version is not None else "an imbalance-torch that did not record its version"
    return f" (written by {writer}; this is {__version__}: score it with the version that trained it, or train again)"


def _check_preprocessing_state(name: str, state: Any, written_by: str) -> None:
    if not isinstance(state, dict):
        raise ValueError(
            f"{name}: the preprocessing state is a {type(state).__name__}, not a dict of plain "
            f"values; the file was not written by train.py fit{written_by}."
        )
    missing = [f.name for f in fields(Preprocessing) if f.name not in state]
    if missing:
        raise ValueError(
            f"{name}: the preprocessing state lacks {len(missing)} key(s): {_listed(missing)}; "
            f"the file was edited or written by another version{written_by}. Train again with "
            "train.py fit."
        )


def _build_model(name: str, hyper_parameters: Any, written_by: str) -> TabularClassifier:
    if not isinstance(hyper_parameters, dict):
        raise ValueError(f"{name}: hyper_parameters is a {type(hyper_parameters).__name__}, not a dict{written_by}.")
    from imbalance_torch.lightning.model.module import TabularClassifier

    arguments = {k: v for k, v in hyper_parameters.items() if not str(k).startswith("_")}
    accepted = inspect.signature(TabularClassifier.__init__).parameters
    unknown = [str(k) for k in arguments if k not in accepted]
    if unknown:
        raise ValueError(
            f"{name}: hyper-parameter(s) {_listed(unknown)} are unknown to this TabularClassifier; "
            f"the checkpoint is of another version or another model{written_by}."
        )
    try:
        return TabularClassifier(**arguments)
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"{name}: its hyper-parameters do not build a TabularClassifier: {_one_line(error)}{written_by}"
        ) from None


def _check_weights(name: str, weights: Any, model: TabularClassifier, written_by: str) -> None:
    expected = model.state_dict()
    if not isinstance(weights, dict):
        raise ValueError(f"{name}: state_dict is a {type(weights).__name__}, not a dict of tensors{written_by}.")
    missing = [k for k in expected if k not in weights]
    unexpected = [str(k) for k in weights if k not in expected]
    shapes = [
        f"{k} {tuple(weights[k].shape)} where the network of its hyper-parameters has {tuple(v.shape)}"
        for k, v in expected.items()
        if k in weights and tuple(getattr(weights[k], "shape", ())) != tuple(v.shape)
    ]
    faults = []
    if missing:
        faults.append(f"lacks the weight(s) {_listed(missing)}")
    if unexpected:
        faults.append(f"holds weight(s) this network does not have: {_listed(unexpected)}")
    if shapes:
        faults.append("has " + "; ".join(shapes[:_SHOWN]) + (f" and {len(shapes) - _SHOWN} more" if len(shapes) > _SHOWN else ""))
    if faults:
        raise ValueError(
            f"{name}: the weights do not fit the network its hyper-parameters describe: it "
            + "; it ".join(faults)
            + f". The weights were renamed or resized, or come from another model or version{written_by}; "
            "pass the checkpoint train.py fit wrote for this model."
        )
