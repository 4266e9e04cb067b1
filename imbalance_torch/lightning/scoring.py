"""Scoring raw tables with a checkpoint: ``raw table -> preprocessing -> model ->
probabilities -> thresholds``.

A checkpoint written by a fit with :class:`~imbalance_torch.lightning.ImbalanceDataModule`
holds everything scoring needs, as plain values read with ``torch.load(weights_only=True)``:
the model's weights and hyper-parameters, the fitted
:class:`~imbalance_torch.lightning.preprocessing.Preprocessing` and the thresholds chosen on
validation (:mod:`~imbalance_torch.lightning.thresholds`). The same preprocessing made the
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
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch

from imbalance_torch.lightning.module import TabularClassifier
from imbalance_torch.lightning.preprocessing import Preprocessing, describe_source

__all__ = ["OUTPUT_SUFFIXES", "Scorer", "predict_file", "predict_main"]

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

        Raises:
            FileNotFoundError: no such file.
            ValueError: the checkpoint holds no preprocessing (trained without a data module)
                or is not a :class:`TabularClassifier` checkpoint.
        """
        text = os.fspath(path)
        if not Path(text).is_file():
            raise FileNotFoundError(
                f"ckpt_path={text!r}: no such checkpoint file; pass the path of a .ckpt written "
                "by train.py fit (e.g. checkpoints/best-epoch=N.ckpt)."
            )
        checkpoint = torch.load(text, map_location=map_location, weights_only=True)
        if "state_dict" not in checkpoint or "hyper_parameters" not in checkpoint:
            raise ValueError(
                f"{Path(text).name} is not a TabularClassifier checkpoint (it has no state_dict "
                "or hyper_parameters); pass a checkpoint written by train.py fit."
            )
        if "preprocessing" not in checkpoint:
            raise ValueError(
                f"{Path(text).name} holds no fitted preprocessing, so raw rows cannot be "
                "prepared as in training; it was trained without an ImbalanceDataModule or by "
                "an older imbalance-torch. Train it again with train.py fit."
            )
        arguments = {k: v for k, v in checkpoint["hyper_parameters"].items() if not k.startswith("_")}
        model = TabularClassifier(**arguments)
        model.load_state_dict(checkpoint["state_dict"])
        model.on_load_checkpoint(checkpoint)
        model.eval()
        return cls(model, model.preprocessing, dict(model.thresholds))  # type: ignore[arg-type]

    # --------------------------------------------------------------------------- scores
    def probabilities(
        self, data: Any, *, id_column: str | None = None,
        extra_columns: Literal["warn", "error"] = "warn", source: str | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``(n, C)`` class probabilities and prior-corrected ones of raw rows, computed as the
        model computes them at validation and test."""
        from imbalance_torch.losses import prior_shift_correction

        features = self.preprocessing.transform(
            data, id_column=id_column, extra_columns=extra_columns, source=source
        )
        model = self.model
        probs, corrected = [], []
        with torch.no_grad():
            for batch in torch.split(features, self.batch_size):
                logits = model(batch.to(model.device)).float()
                shifted = prior_shift_correction(
                    logits, model.train_prior, model.natural_prior, validate_args=False
                )
                probs.append(torch.softmax(logits, dim=1).cpu())
                corrected.append(torch.softmax(shifted, dim=1).cpu())
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
    ) -> Any:
        """One row per input row: its id (``id_column``, or the input's index as ``row``),
        the probabilities, and ``flag_<policy>`` (bool) at each stored threshold."""
        frame = self.preprocessing.as_frame(data)
        scores = self.predict_proba(
            frame, id_column=id_column, extra_columns=extra_columns, source=describe_source(data)
        )
        if self.preprocessing.positive_class is None:
            probs = scores.to_numpy()
            scores["prediction"] = np.asarray(self.preprocessing.class_names, dtype=object)[probs.argmax(axis=1)]
        else:
            for name, threshold in self.thresholds.items():
                scores[f"flag_{name}"] = scores["probability"].to_numpy() >= threshold
        ids = frame[id_column].to_numpy() if id_column is not None else frame.index.to_numpy()
        scores.insert(0, id_column or "row", ids)
        return scores.reset_index(drop=True)


def predict_file(
    ckpt_path: str | os.PathLike,
    data: str | os.PathLike,
    out: str | os.PathLike,
    *,
    id_column: str | None = None,
    extra_columns: Literal["warn", "error"] = "warn",
) -> Path:
    """Score a ``.csv``/``.parquet`` file with a checkpoint and write one row per input row
    (:meth:`Scorer.score`) to ``out`` (``.csv`` or ``.parquet``, written atomically).

    Returns:
        The path written.

    Raises:
        ValueError: an output path of another kind, and the errors of
            :meth:`Scorer.from_checkpoint` and :meth:`Preprocessing.transform`.
    """
    return _score_file(ckpt_path, data, out, id_column=id_column, extra_columns=extra_columns)[0]


def _score_file(
    ckpt_path: str | os.PathLike, data: str | os.PathLike, out: str | os.PathLike, **kwargs: Any
) -> tuple[Path, Scorer]:
    from imbalance_torch.lightning._files import atomic_write

    target = Path(os.fspath(out))
    suffix = target.suffix.lower()
    if suffix not in OUTPUT_SUFFIXES:
        raise ValueError(f"out={os.fspath(out)!r} must end in .csv or .parquet; choose where to write the scores.")
    scorer = Scorer.from_checkpoint(ckpt_path)
    scores = scorer.score(data, **kwargs)
    if suffix == ".csv":
        written = atomic_write(target, lambda handle: scores.to_csv(handle, index=False), binary=False)
    else:
        written = atomic_write(target, lambda handle: scores.to_parquet(handle, index=False))
    return written, scorer


def predict_main(args: Sequence[str]) -> Path:
    """``imbalance-torch predict``: parse ``--ckpt_path --data --out [--id_column]
    [--extra_columns]`` and call :func:`predict_file`; prints what it wrote."""
    parser = argparse.ArgumentParser(
        prog="imbalance-torch predict",
        description="Score a CSV/Parquet file with a checkpoint: one row per input row with its "
        "id, the probability, the prior-corrected probability and a flag per stored threshold.",
    )
    parser.add_argument("--ckpt_path", required=True, help="checkpoint written by imbalance-torch train fit")
    parser.add_argument("--data", required=True, help=".csv or .parquet file of rows to score")
    parser.add_argument("--out", required=True, help="where to write the scores (.csv or .parquet)")
    parser.add_argument("--id_column", default=None, help="column identifying rows (default: row number)")
    parser.add_argument("--extra_columns", choices=("warn", "error"), default="warn",
                        help="columns the model was not trained on: ignore with a warning, or refuse")
    options = parser.parse_args(list(args))
    written, scorer = _score_file(options.ckpt_path, options.data, options.out,
                                  id_column=options.id_column, extra_columns=options.extra_columns)
    shown = ", ".join(f"{k}={v:.4g}" if math.isfinite(v) else f"{k}=inf (flags none)"
                      for k, v in scorer.thresholds.items())
    print(f"wrote {written}" + (f" (thresholds: {shown})" if shown else ""))
    return written
