"""Scoring raw tables with a checkpoint: ``raw table -> preprocessing -> model ->
probabilities -> thresholds``.

A checkpoint written by a fit with :class:`~imbalance_torch.lightning.ImbalanceDataModule`
holds everything scoring needs, as plain values read with ``torch.load(weights_only=True)``:
the model's weights and hyper-parameters, the fitted
:class:`~imbalance_torch.lightning.tables.preprocessing.Preprocessing` and the thresholds chosen on
validation (:mod:`~imbalance_torch.lightning.model.thresholds`). The same preprocessing made the
training, validation and test features, so the scores of raw test rows equal the ones
computed during ``test``.

Python::

    scorer = Scorer.from_checkpoint("checkpoints/best-epoch=7.ckpt")
    scores = scorer.predict_proba(frame)            # probability, probability_corrected
    flags = scorer.predict(frame, threshold="min_precision")

Command line (:func:`predict_file`; ``imbalance-torch predict`` and, in a checkout,
``recipes/train.py predict`` call it)::

    imbalance-torch predict --ckpt_path best.ckpt --data new.csv --out scores.csv
"""

from __future__ import annotations

import argparse
import math
import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch

from imbalance_torch.lightning.model.checkpoints import check_checkpoint_file, load_classifier
from imbalance_torch.lightning.model.module import TabularClassifier
from imbalance_torch.lightning.model.thresholds import (
    alert_budget_rows,
    alert_share_for_one_row,
    top_rows,
)
from imbalance_torch.lightning.tables.preprocessing import Preprocessing, describe_source

__all__ = ["OUTPUT_SUFFIXES", "Scorer", "check_alert_budget", "predict_file", "predict_main"]

OUTPUT_SUFFIXES = (".csv", ".parquet", ".pq")


@dataclass
class Scorer:
    """A trained model with its preprocessing and thresholds, applied to raw tables.

    Args:
        model: the trained classifier (put in eval mode).
        preprocessing: the preprocessing fitted on its train split.
        thresholds: policy name -> threshold chosen on validation (binary data; flag
            ``probability >= threshold``).
    """

    model: TabularClassifier
    preprocessing: Preprocessing
    thresholds: dict[str, float] = field(default_factory=dict)
    batch_size: int = 65536

    @classmethod
    def from_checkpoint(cls, path: str | os.PathLike, *, map_location: str = "cpu") -> Scorer:
        """Load a checkpoint (``torch.load(weights_only=True)``: no pickled objects).

        Every way a path can fail to be a usable checkpoint gives one error of one line naming
        the path and the fault (:func:`~imbalance_torch.lightning.model.checkpoints.load_classifier`,
        NOTE [unusable checkpoints]), never torch's traceback.

        Args:
            path: the checkpoint written by a fit with the data module.
            map_location: as in ``torch.load``.

        Returns:
            The scorer.

        Raises:
            FileNotFoundError: no such file (a dangling symbolic link is named as one).
            IsADirectoryError: a directory (naming the ``.ckpt`` files it holds).
            ValueError: a FIFO, a device, a socket, a symbolic-link loop or an empty file,
                each named for what it is (NOTE [checkpoint paths] in ``checkpoints.py``); a
                file torch cannot read with ``weights_only=True`` (a CSV, a pickle
                of other objects), a checkpoint that holds no preprocessing (trained without a
                data module) or is not a :class:`TabularClassifier` checkpoint, hyper-parameters
                or weights that do not fit this version's network (another version, another
                width, renamed weights), or a preprocessing state with missing keys.
        """
        model, preprocessing = load_classifier(path, map_location=map_location)
        return cls(model, preprocessing, dict(model.thresholds))

    # --------------------------------------------------------------------------- scores
    def probabilities(
        self, data: Any, *, id_column: str | None = None,
        extra_columns: Literal["warn", "error"] = "warn", source: str | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``(n, C)`` class probabilities and prior-corrected ones of raw rows, computed as the
        model computes them at validation and test (:meth:`TabularClassifier.probabilities`)."""
        features = self.preprocessing.transform(
            data, id_column=id_column, extra_columns=extra_columns, source=source
        )
        model = self.model
        probs, corrected = [], []
        with torch.no_grad():
            for batch in torch.split(features, self.batch_size):
                raw, shifted = model.probabilities(batch.to(model.device))
                probs.append(raw.cpu())
                corrected.append(shifted.cpu())
        classes = len(self.preprocessing.class_names)
        if not probs:
            return torch.zeros(0, classes), torch.zeros(0, classes)
        return torch.cat(probs), torch.cat(corrected)

    def predict_proba(self, data: Any, **kwargs: Any) -> Any:
        """Probabilities of raw rows as a DataFrame (index: the input's index).

        Binary data: ``probability`` (of the positive class) and ``probability_corrected``
        (after the prior-shift correction to the natural class ratio). More classes: one
        ``probability_<class>`` column per class.

        Args:
            data: a DataFrame, a ``.csv``/``.parquet`` path or an array (see
                :meth:`Preprocessing.transform`).
            **kwargs: ``id_column``, ``extra_columns``, ``source`` of
                :meth:`Preprocessing.transform`.
        """
        import pandas as pd

        kwargs.setdefault("source", describe_source(data))
        frame = self.preprocessing.as_frame(data)
        probs, corrected = self.probabilities(frame, **kwargs)
        index = frame.index
        positive = self.preprocessing.positive_class
        if positive is not None:
            columns = {
                "probability": probs[:, positive].double().numpy(),
                "probability_corrected": corrected[:, positive].double().numpy(),
            }
        else:
            columns = {f"probability_{name}": probs[:, c].double().numpy()
                       for c, name in enumerate(self.preprocessing.class_names)}
        return pd.DataFrame(columns, index=index)

    def predict(self, data: Any, *, threshold: str | float = "max_f1", **kwargs: Any) -> np.ndarray:
        """Decisions for raw rows.

        Args:
            data: rows to score (see :meth:`predict_proba`).
            threshold: binary data: a stored policy name (``max_f1``, ``min_precision``,
                ``alert_share``, ``alert_count``, ``cost``, whichever were chosen) or a number;
                rows with ``probability >= threshold`` are flagged. Ignored for more classes,
                which get the arg-max class name.
            **kwargs: ``id_column``, ``extra_columns``.

        Returns:
            ``(n,)`` bool flags (binary) or class names.

        Raises:
            ValueError: a policy name that was not stored.
            TypeError: a threshold that is neither a name nor a number.
        """
        probs, _ = self.probabilities(data, **kwargs)
        positive = self.preprocessing.positive_class
        if positive is None:
            names = np.asarray(self.preprocessing.class_names, dtype=object)
            return names[probs.argmax(dim=1).numpy()]
        value = self.threshold_value(threshold)
        return probs[:, positive].numpy() >= value

    def threshold_value(self, threshold: str | float) -> float:
        """A stored policy's threshold, or ``threshold`` itself when it is a number."""
        if isinstance(threshold, str):
            if threshold not in self.thresholds:
                raise ValueError(
                    f"threshold={threshold!r} was not chosen for this model; it stores "
                    f"{sorted(self.thresholds)} (set alert_share, alert_count or the costs on "
                    "the model to choose more), or pass a number."
                )
            return self.thresholds[threshold]
        if isinstance(threshold, bool) or not isinstance(threshold, (int, float)):
            raise TypeError(
                f"threshold must be a stored policy name or a number, got {threshold!r} of type "
                f"{type(threshold).__name__}."
            )
        return float(threshold)

    def score(
        self, data: Any, *, id_column: str | None = None,
        extra_columns: Literal["warn", "error"] = "warn",
        alert_count: int | None = None, alert_share: float | None = None,
    ) -> Any:
        """One row per input row: its id (``id_column``, or the input's index as ``row``),
        the probabilities, and ``flag_<policy>`` (bool) at each stored threshold.

        Alert budgets of this file (binary data), beside the thresholds chosen on validation:
        ``alert_count=K`` adds ``flag_top_count``, true on the ``K`` rows of highest
        ``probability`` (all rows when the file has fewer); ``alert_share=Q`` adds
        ``flag_top_share``, true on the ``floor(Q * rows)`` rows of highest ``probability``
        (never more than the share; the rule of the stored ``alert_share`` threshold). Equal
        probabilities are taken in row order, the earlier row first, so the count is exact.
        A share that rounds down to no row of a non-empty file keeps its column (all false)
        with a warning saying which share or count would flag one.

        Raises:
            TypeError: ``alert_count`` not an int or ``alert_share`` not a number (bools
                included).
            ValueError: ``alert_count < 1``, ``alert_share`` outside ``(0, 1]``, or a budget
                on a model of more than two classes.
        """
        check_alert_budget(alert_count, alert_share)
        if (alert_count is not None or alert_share is not None) and self.preprocessing.positive_class is None:
            raise ValueError(
                f"alert_count / alert_share flag the rows most likely positive, but this model "
                f"has {len(self.preprocessing.class_names)} classes and no positive class; "
                "leave them out (the scores hold the arg-max class as prediction)."
            )
        frame = self.preprocessing.as_frame(data)
        scores = self.predict_proba(
            frame, id_column=id_column, extra_columns=extra_columns, source=describe_source(data)
        )
        if self.preprocessing.positive_class is None:
            probs = scores.to_numpy()
            scores["prediction"] = np.asarray(self.preprocessing.class_names, dtype=object)[probs.argmax(axis=1)]
        else:
            probability = scores["probability"].to_numpy()
            for name, threshold in self.thresholds.items():
                scores[f"flag_{name}"] = probability >= threshold
            budgets = {"top_count": {"alert_count": alert_count}, "top_share": {"alert_share": alert_share}}
            for column, budget in budgets.items():
                if next(iter(budget.values())) is not None:
                    count = alert_budget_rows(len(probability), **budget)
                    scores[f"flag_{column}"] = top_rows(probability, count)
            note = _alert_share_note(len(probability), alert_share)
            if note is not None:
                warnings.warn(note, UserWarning, stacklevel=2)
        ids = frame[id_column].to_numpy() if id_column is not None else frame.index.to_numpy()
        scores.insert(0, id_column or "row", ids)
        return scores.reset_index(drop=True)



def _alert_share_note(rows: int, alert_share: float | None, *, command_line: bool = False) -> str | None:
    """What to say when ``alert_share`` rounds down to no row of a file of ``rows`` rows (None
    when it flags one or more, or when the file has no rows)."""
    if alert_share is None or rows == 0 or alert_budget_rows(rows, alert_share=alert_share) > 0:
        return None

    def spelled(name: str, value: object) -> str:
        return f"--{name.replace('_', '-')} {value}" if command_line else f"{name}={value}"

    one_row = alert_share_for_one_row(rows)
    return (
        f"{spelled('alert_share', alert_share)} of {rows} rows is {alert_share * rows:.3g} of a "
        f"row, which rounds down to 0 rows (a budget is never exceeded), so flag_top_share flags "
        f"none; pass {spelled('alert_count', 1)}, or {spelled('alert_share', f'{one_row:g}')} or more, "
        "to flag at least one row of this file."
    )


def check_alert_budget(alert_count: Any = None, alert_share: Any = None) -> None:
    """Check the alert budgets of a scored file (:meth:`Scorer.score`).

    Args:
        alert_count: rows to flag, an int ``>= 1``, or None.
        alert_share: share of rows to flag, in ``(0, 1]``, or None.

    Raises:
        TypeError: ``alert_count`` not an int or ``alert_share`` not a real number (bools
            are refused for both).
        ValueError: ``alert_count < 1`` or ``alert_share`` outside ``(0, 1]`` (NaN included).
    """
    if alert_count is not None:
        if isinstance(alert_count, bool) or not isinstance(alert_count, (int, np.integer)):
            raise TypeError(
                f"alert_count must be an int >= 1 (the rows of the scored file to flag), got "
                f"{alert_count!r} of type {type(alert_count).__name__}."
            )
        if alert_count < 1:
            raise ValueError(
                f"alert_count must be >= 1 (the rows of the scored file to flag), got "
                f"{alert_count}; leave it out to flag by the stored thresholds only."
            )
    if alert_share is not None:
        if isinstance(alert_share, bool) or not isinstance(alert_share, (int, float, np.integer, np.floating)):
            raise TypeError(
                f"alert_share must be a number in (0, 1] (the share of the scored file's rows to "
                f"flag), got {alert_share!r} of type {type(alert_share).__name__}."
            )
        if not 0 < alert_share <= 1:  # NaN fails both comparisons
            raise ValueError(
                f"alert_share must be in (0, 1] (the share of the scored file's rows to flag, "
                f"e.g. 0.005 for 0.5 %), got {alert_share!r}."
            )


def _check_out_path(out: str | os.PathLike, data: str | os.PathLike, ckpt_path: str | os.PathLike) -> None:
    """Refuse an output path that is the input file, the checkpoint, or inside a Parquet
    folder given as the input: writing there would destroy what is being read."""
    target = Path(os.fspath(out))
    for argument, value, what in (("data", data, "the rows being scored"), ("ckpt_path", ckpt_path, "the model")):
        if not isinstance(value, (str, os.PathLike)):
            continue
        source = Path(os.fspath(value))
        if _same_file(target, source):
            raise ValueError(
                f"out={os.fspath(out)!r} is the same file as {argument}={os.fspath(value)!r} "
                f"(after resolving links and relative paths); writing the scores there would "
                f"replace {what}. Choose another --out path."
            )
        if source.is_dir() and _real(source) in _real(target).parents:
            raise ValueError(
                f"out={os.fspath(out)!r} lies inside the folder {argument}={os.fspath(value)!r}; "
                f"the scores would become part of {what} the next time the folder is read. "
                "Choose an --out path outside it."
            )


def _same_file(first: Path, second: Path) -> bool:
    try:
        if first.exists() and second.exists():
            return os.path.samefile(first, second)  # hard links and case-insensitive names too
    except OSError:
        pass
    return _real(first) == _real(second)


def _real(path: Path) -> Path:
    """The path with links and relative parts resolved, without raising on a symbolic-link loop
    (``Path.resolve`` raises RuntimeError there; the path check names the loop later)."""
    return Path(os.path.realpath(path))


def predict_file(
    ckpt_path: str | os.PathLike,
    data: str | os.PathLike,
    out: str | os.PathLike,
    *,
    id_column: str | None = None,
    extra_columns: Literal["warn", "error"] = "warn",
    alert_count: int | None = None,
    alert_share: float | None = None,
) -> Path:
    """Score a ``.csv``/``.parquet`` file with a checkpoint and write one row per input row
    (:meth:`Scorer.score`) to ``out`` (``.csv`` or ``.parquet``, written atomically).

    ``alert_count`` / ``alert_share`` add the file's own alert budgets (``flag_top_count``,
    ``flag_top_share``; see :meth:`Scorer.score`).

    Returns:
        The path written.

    Raises:
        ValueError: an output path of another kind, or one that is ``data`` or ``ckpt_path``
            (links and relative paths resolved) or lies inside a ``data`` folder, checked
            before anything is read; and the errors of :func:`check_alert_budget`,
            :meth:`Scorer.from_checkpoint` and :meth:`Preprocessing.transform`.
    """
    return _score_file(ckpt_path, data, out, id_column=id_column, extra_columns=extra_columns,
                       alert_count=alert_count, alert_share=alert_share)[0]


def _score_file(
    ckpt_path: str | os.PathLike, data: str | os.PathLike, out: str | os.PathLike, **kwargs: Any
) -> tuple[Path, Scorer, Any]:
    from imbalance_torch.lightning._files import atomic_write

    target = Path(os.fspath(out))
    suffix = target.suffix.lower()
    if suffix not in OUTPUT_SUFFIXES:
        raise ValueError(f"out={os.fspath(out)!r} must end in .csv or .parquet; choose where to write the scores.")
    check_alert_budget(kwargs.get("alert_count"), kwargs.get("alert_share"))
    check_checkpoint_file(ckpt_path)  # a directory or FIFO is named as such, not as an --out clash
    _check_out_path(out, data, ckpt_path)
    scorer = Scorer.from_checkpoint(ckpt_path)
    scores = scorer.score(data, **kwargs)
    if suffix == ".csv":
        written = atomic_write(target, lambda handle: scores.to_csv(handle, index=False), binary=False)
    else:
        written = atomic_write(target, lambda handle: scores.to_parquet(handle, index=False))
    return written, scorer, scores


def _count_argument(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an int >= 1 (rows of the scored file to flag), got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1 (rows of the scored file to flag), got {value}")
    return value


def _share_argument(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number in (0, 1], got {text!r}") from None
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"must be in (0, 1] (e.g. 0.005 for 0.5 %), got {text!r}")
    return value


def predict_main(args: Sequence[str]) -> Path:
    """``imbalance-torch predict``: parse ``--ckpt_path --data --out [--id_column]
    [--extra_columns] [--alert-count K] [--alert-share Q]`` and call :func:`predict_file`;
    prints what it wrote, and a note when ``--alert-share`` rounds down to no row of the file.

    Args:
        args: the command line after ``predict``.

    Returns:
        The path written.
    """
    parser = argparse.ArgumentParser(
        prog="imbalance-torch predict",
        description="Score a CSV/Parquet file with a checkpoint: one row per input row with its "
        "id, the probability, the prior-corrected probability and a flag per stored threshold.",
    )
    parser.add_argument("--ckpt_path", required=True, help="checkpoint written by imbalance-torch train fit")
    parser.add_argument("--data", required=True,
                        help=".csv or .parquet file, or a folder of .parquet files, of rows to score")
    parser.add_argument("--out", required=True, help="where to write the scores (.csv or .parquet; "
                        "not the --data file or the checkpoint)")
    parser.add_argument("--id_column", default=None, help="column identifying rows (default: row number)")
    parser.add_argument("--extra_columns", choices=("warn", "error"), default="warn",
                        help="columns the model was not trained on: ignore with a warning, or refuse")
    parser.add_argument("--alert-count", "--alert_count", dest="alert_count", type=_count_argument,
                        default=None, metavar="K",
                        help="also flag the K rows of this file with the highest probability "
                        "(column flag_top_count; equal scores: earlier rows first)")
    parser.add_argument("--alert-share", "--alert_share", dest="alert_share", type=_share_argument,
                        default=None, metavar="Q",
                        help="also flag the floor(Q x rows) rows of this file with the highest "
                        "probability, 0 < Q <= 1 (column flag_top_share; equal scores: earlier rows first)")
    options = parser.parse_args(list(args))
    with warnings.catch_warnings():  # the share's note is printed below, with the command's spelling
        warnings.filterwarnings("ignore", message=r"alert_share=.* rounds down to 0 rows")
        written, scorer, scores = _score_file(
            options.ckpt_path, options.data, options.out, id_column=options.id_column,
            extra_columns=options.extra_columns, alert_count=options.alert_count,
            alert_share=options.alert_share,
        )
    shown = ", ".join(f"{k}={v:.4g}" if math.isfinite(v) else f"{k}=inf (flags none)"
                      for k, v in scorer.thresholds.items())
    print(f"wrote {written}" + (f" (thresholds: {shown})" if shown else ""))
    print(scorer.preprocessing.describe_features())  # the model's features, from the checkpoint
    for option, column in (("alert_count", "flag_top_count"), ("alert_share", "flag_top_share")):
        value = getattr(options, option)
        if value is not None:
            print(f"{column}: {int(scores[column].sum())} of {len(scores)} rows flagged by "
                  f"{option.replace('_', '-')} {value}")
    note = _alert_share_note(len(scores), options.alert_share, command_line=True)
    if note is not None:
        print(f"note: {note}")
    return written
