"""Reading a checkpoint back: the path checked before torch or Lightning opens it (NOTE
[checkpoint paths]), and the model with the data module's fitted preprocessing for scoring
(:func:`load_classifier`, NOTE [unusable checkpoints]). Re-exported by
:mod:`~imbalance_torch.lightning.model.checkpoints`."""

from __future__ import annotations

import inspect
import os
import stat
import zipfile
from collections.abc import Sequence
from dataclasses import fields
from pathlib import Path
from typing import Any

import torch

from imbalance_torch import __version__
from imbalance_torch.lightning.model.module import TabularClassifier
from imbalance_torch.lightning.tables.files import path_mode, special_file_kind
from imbalance_torch.lightning.tables.preprocessing import Preprocessing

__all__ = [
    "LIGHTNING_CKPT_PATHS",
    "check_checkpoint_file",
    "check_lightning_ckpt_path",
    "load_classifier",
]

_SHOWN = 3  # names listed in a message before "and N more"


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
        held = sorted(
            entry.name
            for entry in os.scandir(text)
            if entry.name.endswith(".ckpt") and entry.is_file()
        )
        choice = (
            f"it holds {_listed(held)}: pass one of them, e.g. {os.path.join(text, held[0])!r}"
            if held
            else f"it holds no .ckpt file; {_CKPT_FIX}"
        )
        raise IsADirectoryError(
            f"{argument}={text!r} is a directory, not a checkpoint file; {choice}."
        )
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
    if (
        value in LIGHTNING_CKPT_PATHS
        or value.lower().startswith("registry:")
        or "://" in value
        or value in ("", "~", "null", "Null", "NULL")
    ):
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
    if (
        not isinstance(checkpoint, dict)
        or "state_dict" not in checkpoint
        or "hyper_parameters" not in checkpoint
    ):
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
_TRAINER_KEYS = frozenset(
    {
        "state_dict",
        "hyper_parameters",
        "optimizer_states",
        "lr_schedulers",
        "loops",
        "callbacks",
        "datamodule_hyper_parameters",
    }
)


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
    version = checkpoint.get("imbalance_torch_version")
    if version == __version__:
        return ""
    writer = (
        f"imbalance-torch {version}"
        if version is not None
        else "an imbalance-torch that did not record its version"
    )
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
        raise ValueError(
            f"{name}: hyper_parameters is a {type(hyper_parameters).__name__}, not a dict{written_by}."
        )

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
        raise ValueError(
            f"{name}: state_dict is a {type(weights).__name__}, not a dict of tensors{written_by}."
        )
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
        faults.append(
            "has "
            + "; ".join(shapes[:_SHOWN])
            + (f" and {len(shapes) - _SHOWN} more" if len(shapes) > _SHOWN else "")
        )
    if faults:
        raise ValueError(
            f"{name}: the weights do not fit the network its hyper-parameters describe: it "
            + "; it ".join(faults)
            + f". The weights were renamed or resized, or come from another model or version{written_by}; "
            "pass the checkpoint train.py fit wrote for this model."
        )
