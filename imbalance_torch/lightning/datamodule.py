"""`ImbalanceDataModule`: split first, fit preprocessing on train, resample train only."""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import lru_cache
from typing import Any, Literal

import lightning.pytorch as pl
import numpy as np
import torch
from torch import Tensor
from torch.utils.data import DataLoader, TensorDataset

from imbalance_torch.lightning.resume import (
    ResumableLoader,
    check_resumed_state,
    check_same_on_every_rank,
    training_data_state,
)
from imbalance_torch.lightning.samplers import (
    EvalShardSampler,
    RowsDataset,
    ShuffledBatchSampler,
    identity_collate,
)
from imbalance_torch.lightning.splits import (
    Standardizer,
    check_split_counts,
    median_impute,
    stratified_split,
)
from imbalance_torch.lightning.tables import (
    Table,
    describe_nan,
    load_table,
    table_from_arrays,
    table_from_frame,
)

__all__ = ["RESAMPLING", "SYNTHETIC_RESAMPLING", "ImbalanceDataModule"]

_STATE_VERSION = 1
_EPOCH_SETTINGS = ("resampling", "ratio", "k_neighbors", "m_neighbors", "frozen_synthetic", "sampler_seed")

SYNTHETIC_RESAMPLING = ("adasyn", "borderline1", "borderline2", "smote", "smote_nc")
"""Resampling names that generate synthetic rows (SMOTE family)."""

RESAMPLING = ("none", "random_over", "random_under", *SYNTHETIC_RESAMPLING)
"""Every name accepted by ``ImbalanceDataModule(resampling=...)``."""

ResamplingName = Literal[
    "none", "random_over", "random_under", "smote", "borderline1", "borderline2", "adasyn",
    "smote_nc",
]


@lru_cache(maxsize=2)
def _cached_table(
    data: str,
    mtime: float,
    target: str | None,
    categorical: tuple[str, ...],
    drop_columns: tuple[str, ...],
    positive_label: str | None,
    rows: int | None,
) -> Table:
    # mtime is part of the key so an edited file is read again.
    return load_table(
        data,
        target=target,
        categorical=categorical,
        drop_columns=drop_columns,
        positive_label=positive_label,
        rows=rows,
    )


def _check_int(name: str, value: Any, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {value!r} of type {type(value).__name__}.")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}.")


class ImbalanceDataModule(pl.LightningDataModule):
    """Tabular data with stratified splits, train-only preprocessing and train-only resampling.

    Order of work (``setup``): load and check the table; split it into stratified
    train/validation/test rows (the split depends only on ``split_seed``); impute (if asked)
    and standardise numeric columns with statistics of the train split only; then wrap the
    train split in the configured resampling. Validation and test loaders serve their rows at
    the natural class ratio, always: asking to resample them raises.

    Every train loader yields whole batches of index tensors (fresh synthetic rows each epoch
    for SMOTE-family strategies), and is DDP aware: each rank gets a disjoint share, and every
    rank checks that it built the same training data, neighbour index and targets as rank 0.

    Resuming: the train loader is a :class:`~imbalance_torch.lightning.ResumableLoader`, so a
    checkpoint holds the sampler's epoch and position and ``fit(ckpt_path=...)`` continues
    with exactly the rows of an uninterrupted run, also from a mid-epoch checkpoint. The
    checkpoint also holds :meth:`data_state`; resuming a fit with other training data or
    resampling settings is refused. See NOTE [exact resume].

    Args:
        data: a built-in dataset name (``fraud_like``), ``keel:NAME`` (needs the
            ``benchmarks`` extra), or a ``.csv`` / ``.parquet`` path. In Python, see also
            :meth:`from_arrays`, :meth:`from_frame` and :meth:`from_table`.
        target: label column of a file.
        categorical: categorical column names of a file (needed for ``smote_nc``).
        drop_columns: columns of a file to leave out.
        positive_label: positive class of binary data (default: the minority class).
        rows: rows of a built-in dataset (its default size when null).
        resampling: ``none``, ``random_over``, ``random_under``, ``smote``, ``borderline1``,
            ``borderline2``, ``adasyn`` or ``smote_nc`` (train split only).
        ratio: minority/majority row ratio the resampling aims at per epoch (1.0 is 1:1,
            0.5 is 1:2; imbalanced-learn's float ``sampling_strategy``). Binary data only,
            except 1.0, which balances every class.
        k_neighbors: neighbours of the SMOTE-family interpolation (ADASYN's ``n_neighbors``).
        m_neighbors: neighbours that define Borderline-SMOTE's danger set.
        frozen_synthetic: SMOTE family only: serve the same synthetic rows every epoch (the
            epoch passed to the dataset stays 0), as a one-off ``fit_resample`` would.
        val_fraction: share of all rows in the validation split.
        test_fraction: share of all rows in the test split.
        split_seed: seed of the stratified split.
        sampler_seed: seed of the training shuffle and of the synthetic rows.
        batch_size: training rows per batch.
        eval_batch_size: rows per validation/test batch.
        scale: standardise numeric columns with the train split's mean and spread.
        impute_median: fill NaN feature cells with the train split's column median (off:
            NaN raises an error that says where they are).
    """

    def __init__(
        self,
        data: str = "fraud_like",
        target: str | None = None,
        categorical: list[str] | None = None,
        drop_columns: list[str] | None = None,
        positive_label: str | None = None,
        rows: int | None = None,
        resampling: ResamplingName = "none",
        ratio: float = 1.0,
        k_neighbors: int = 5,
        m_neighbors: int = 10,
        frozen_synthetic: bool = False,
        val_fraction: float = 0.2,
        test_fraction: float = 0.2,
        split_seed: int = 0,
        sampler_seed: int = 0,
        batch_size: int = 512,
        eval_batch_size: int = 16384,
        scale: bool = True,
        impute_median: bool = False,
    ) -> None:
        super().__init__()
        if resampling not in RESAMPLING:
            raise ValueError(
                f"resampling={resampling!r} is not a known strategy; known: "
                f"{', '.join(RESAMPLING)}."
            )
        if isinstance(ratio, bool) or not isinstance(ratio, (int, float)) or not 0 < ratio <= 1:
            raise ValueError(
                f"ratio must be a float in (0, 1] (minority/majority rows, 1.0 = 1:1), got "
                f"{ratio!r}."
            )
        if frozen_synthetic and resampling not in SYNTHETIC_RESAMPLING:
            raise ValueError(
                f"frozen_synthetic=True only applies to synthetic resampling "
                f"({', '.join(SYNTHETIC_RESAMPLING)}), got resampling={resampling!r}."
            )
        for name, value, minimum in (
            ("k_neighbors", k_neighbors, 1),
            ("m_neighbors", m_neighbors, 1),
            ("split_seed", split_seed, 0),
            ("sampler_seed", sampler_seed, 0),
            ("batch_size", batch_size, 1),
            ("eval_batch_size", eval_batch_size, 1),
        ):
            _check_int(name, value, minimum)
        self.save_hyperparameters(logger=False)
        self._table: Table | None = None
        self._prepared = False
        self._train_fingerprint: str | None = None
        self._train_loader: ResumableLoader | None = None
        self._resume_state: dict[str, Any] | None = None

    # ------------------------------------------------------------------ alternative inputs
    @classmethod
    def from_table(cls, table: Table, **kwargs: Any) -> ImbalanceDataModule:
        """A data module over an already loaded :class:`Table` (other arguments as usual)."""
        module = cls(**kwargs)
        module._table = table
        return module

    @classmethod
    def from_arrays(
        cls,
        features: Any,
        labels: Any,
        *,
        feature_names: Sequence[str] | None = None,
        categorical_features: Sequence[int] | None = None,
        **kwargs: Any,
    ) -> ImbalanceDataModule:
        """A data module over feature/label tensors or arrays.

        Args:
            features: ``(n, d)`` numeric tensor or array.
            labels: ``(n,)`` labels.
            feature_names: optional column names.
            categorical_features: indices of integer-coded categorical columns.
            **kwargs: other :class:`ImbalanceDataModule` arguments.
        """
        table = table_from_arrays(
            features,
            labels,
            feature_names=feature_names,
            categorical_features=categorical_features,
            positive_label=kwargs.get("positive_label"),
        )
        return cls.from_table(table, **kwargs)

    @classmethod
    def from_frame(cls, frame: Any, *, target: str, **kwargs: Any) -> ImbalanceDataModule:
        """A data module over a pandas DataFrame with a ``target`` column."""
        table = table_from_frame(
            frame,
            target=target,
            categorical=kwargs.get("categorical"),
            drop_columns=kwargs.get("drop_columns"),
            positive_label=kwargs.get("positive_label"),
        )
        return cls.from_table(table, target=target, **kwargs)

    # ------------------------------------------------------------------------ preparation
    @property
    def table(self) -> Table:
        """The loaded, validated table (loaded on first use)."""
        if self._table is None:
            hp = self.hparams
            data = os.fspath(hp.data)
            mtime = os.path.getmtime(data) if os.path.isfile(data) else 0.0
            self._table = _cached_table(
                data,
                mtime,
                hp.target,
                tuple(hp.categorical or ()),
                tuple(hp.drop_columns or ()),
                hp.positive_label,
                hp.rows,
            )
        return self._table

    def _oversampled_classes(self, counts: list[int]) -> list[int]:
        majority = int(np.argmax(counts))
        return [c for c in range(len(counts)) if c != majority]

    def _check_strategy(self, table: Table) -> None:
        hp = self.hparams
        if hp.resampling == "smote_nc" and not table.categories:
            raise ValueError(
                f"resampling='smote_nc' needs categorical columns, but {table.source} has none "
                "declared; list them in categorical (--data.categorical) or use 'smote'."
            )
        if hp.ratio != 1.0 and table.num_classes != 2:
            raise ValueError(
                f"ratio={hp.ratio} is a minority/majority ratio for binary data, but "
                f"{table.source} has {table.num_classes} classes; use ratio: 1.0 (balance all)."
            )

    def prepare(self) -> None:
        """Load, check, split and preprocess (idempotent; ``setup`` calls it)."""
        if self._prepared:
            return
        hp = self.hparams
        table = self.table
        self._check_strategy(table)
        if not hp.impute_median:
            message = describe_nan(table.features, table.feature_names, where=f"features of {table.source}")
            if message:
                raise ValueError(
                    message + ". Clean them, or pass impute_median=True (--data.impute_median "
                    "true) to fill each column with its train-split median."
                )
        splits = stratified_split(
            table.labels,
            val_fraction=hp.val_fraction,
            test_fraction=hp.test_fraction,
            seed=hp.split_seed,
            class_names=table.class_names,
        )
        natural = table.class_counts(splits.train)
        min_rows = {}
        if hp.resampling in SYNTHETIC_RESAMPLING:
            min_rows = {c: hp.k_neighbors + 1 for c in self._oversampled_classes(natural)}
        check_split_counts(table.labels, splits, table.class_names, min_train_rows=min_rows)
        features = table.features
        numeric = list(range(table.num_numeric))
        if hp.impute_median:
            features = median_impute(features, splits.train, numeric)
        if hp.scale:
            features = Standardizer(numeric).fit(features[splits.train]).transform(features)
        self.splits = splits
        with np.errstate(over="ignore"):
            single = features.astype(np.float32)
        overflow = np.isinf(single) & ~np.isinf(features)
        if overflow.any():
            columns = sorted({table.feature_names[c] for c in np.flatnonzero(overflow.any(axis=0))})
            raise ValueError(
                f"features of {table.source} hold {int(overflow.sum())} values beyond the "
                f"float32 range (|x| > 3.4e38) in columns {columns}; models train in float32. "
                "Rescale those columns, or keep scale=True (--data.scale true)."
            )
        self._features = torch.from_numpy(single)
        self._labels = torch.from_numpy(table.labels)
        self.natural_class_counts = natural
        self.sampled_class_counts = self._sampled_counts(natural)
        self._prepared = True

    def _sampled_counts(self, natural: list[int]) -> list[int]:
        """Rows per class in one resampled training epoch (imbalanced-learn's arithmetic)."""
        hp = self.hparams
        counts = list(natural)
        if hp.resampling == "none":
            return counts
        majority = int(np.argmax(counts))
        if len(counts) > 2:  # ratio is 1.0 here: balance every class
            if hp.resampling == "random_under":
                return [min(counts)] * len(counts)
            return [counts[majority]] * len(counts)
        minority = 1 - majority
        current = counts[minority] / counts[majority]
        if hp.ratio <= current:
            raise ValueError(
                f"ratio={hp.ratio} is not above the train split's own minority/majority ratio "
                f"{current:.4g} ({counts[minority]}/{counts[majority]}), so resampling="
                f"{hp.resampling!r} has nothing to do; choose a ratio above {current:.4g}."
            )
        if hp.resampling == "random_under":
            counts[majority] = int(counts[minority] / hp.ratio)
        else:
            counts[minority] = int(counts[majority] * hp.ratio)
        return counts

    def setup(self, stage: str | None = None) -> None:
        # Lightning calls setup before it restores a checkpoint (load_state_dict): a position
        # left from an earlier fit must not leak into this one.
        self._resume_state = None
        self.prepare()

    # ----------------------------------------------------------------- linked properties
    @property
    def num_features(self) -> int:
        """Input columns of the model (numeric, then categorical codes)."""
        return int(self.table.features.shape[1])

    @property
    def num_classes(self) -> int:
        return self.table.num_classes

    @property
    def class_names(self) -> tuple[str, ...]:
        return self.table.class_names

    @property
    def categorical_cardinalities(self) -> list[int]:
        return self.table.categorical_cardinalities

    @property
    def model_natural_class_counts(self) -> list[int]:
        self.prepare()
        return list(self.natural_class_counts)

    @property
    def model_sampled_class_counts(self) -> list[int]:
        self.prepare()
        return list(self.sampled_class_counts)

    def model_arguments(self) -> dict[str, Any]:
        """Keyword arguments that tie a :class:`TabularClassifier` to this data."""
        return {
            "num_features": self.num_features,
            "num_classes": self.num_classes,
            "categorical_cardinalities": self.categorical_cardinalities,
            "natural_class_counts": self.model_natural_class_counts,
            "sampled_class_counts": self.model_sampled_class_counts,
        }

    # --------------------------------------------------------------------------- tensors
    def split_tensors(self, split: str) -> tuple[Tensor, Tensor]:
        """Preprocessed ``(features, labels)`` of ``split`` at its natural ratio."""
        self.prepare()
        rows = torch.from_numpy(self.splits[split])
        return self._features[rows], self._labels[rows]

    def split_rows(self, split: str) -> np.ndarray:
        """Row numbers (of the loaded table) that form ``split``."""
        self.prepare()
        return self.splits[split]

    # ----------------------------------------------------------------------- resampling
    def _oversampler(self) -> Any:
        from imbalance_torch import ADASYN, SMOTE, SMOTENC, BorderlineSMOTE

        hp = self.hparams
        if hp.resampling == "smote":
            return SMOTE(k_neighbors=hp.k_neighbors)
        if hp.resampling in ("borderline1", "borderline2"):
            return BorderlineSMOTE(
                kind=f"borderline-{hp.resampling[-1]}",
                k_neighbors=hp.k_neighbors,
                m_neighbors=hp.m_neighbors,
            )
        if hp.resampling == "adasyn":
            return ADASYN(n_neighbors=hp.k_neighbors)
        return SMOTENC(categorical_features=self.table.categorical_columns, k_neighbors=hp.k_neighbors)

    def _sampling_strategy(self) -> float | str:
        return "auto" if self.hparams.ratio == 1.0 else float(self.hparams.ratio)

    def train_dataset(self) -> Any:
        """The training dataset: a ``SMOTEDataset`` for synthetic strategies, else rows."""
        self.prepare()
        if getattr(self, "_train_dataset", None) is not None:
            return self._train_dataset
        features, labels = self.split_tensors("train")
        if self.hparams.resampling in SYNTHETIC_RESAMPLING:
            from imbalance_torch import SMOTEDataset

            dataset: Any = SMOTEDataset(
                features,
                labels,
                oversampler=self._oversampler(),
                sampling_strategy=self._sampling_strategy(),
                seed=self.hparams.sampler_seed,
            )
        else:
            dataset = TensorDataset(features, labels)
        self._train_dataset = dataset
        return dataset

    def train_sampler(self, *, num_replicas: int = 1, rank: int = 0) -> Any:
        """The training sampler (yields index tensors of ``batch_size``) for one DDP rank."""
        hp = self.hparams
        dataset = self.train_dataset()
        common = {"num_replicas": num_replicas, "rank": rank}
        if hp.resampling == "none" or hp.frozen_synthetic:
            return ShuffledBatchSampler(
                dataset, batch_size=hp.batch_size, seed=hp.sampler_seed, **common
            )
        from imbalance_torch import BalancedSampler

        ratio = self._sampling_strategy()
        labels = dataset.tensors[1] if isinstance(dataset, TensorDataset) else None
        if hp.resampling == "random_under":
            return BalancedSampler(
                dataset,
                labels=labels,
                oversampling=None,
                undersampling=ratio if ratio != "auto" else 1.0,
                seed=hp.sampler_seed,
                batch_size=hp.batch_size,
                **common,
            )
        return BalancedSampler(
            dataset,
            labels=labels,
            oversampling=ratio,
            seed=hp.sampler_seed,
            batch_size=hp.batch_size,
            **common,
        )

    # ------------------------------------------------------------------------ loaders
    def dataloader(self, split: str, *, resampling: str | None = None) -> DataLoader:
        """A loader of ``split``.

        Args:
            split: ``train``, ``val`` or ``test``.
            resampling: for ``train``, must be None or the configured strategy. Validation
                and test are always served at the natural class ratio: any resampling other
                than None or ``none`` raises.

        Raises:
            ValueError: resampling asked for validation or test, or a different strategy
                asked for train.
        """
        if split not in ("train", "val", "test"):
            raise ValueError(f"split={split!r} is not one of train, val, test.")
        if split != "train" and resampling not in (None, "none"):
            raise ValueError(
                f"resampling={resampling!r} was asked for the {split!r} split, but validation "
                "and test splits are always served at the natural class ratio: resampling them "
                "would change what the metrics measure. Resample the train split only "
                "(ImbalanceDataModule(resampling=...))."
            )
        if split == "train":
            if resampling not in (None, self.hparams.resampling):
                raise ValueError(
                    f"resampling={resampling!r} differs from this data module's "
                    f"resampling={self.hparams.resampling!r}; build a data module with it."
                )
            return self.train_dataloader()
        features, labels = self.split_tensors(split)
        rows = RowsDataset(features, labels)
        trainer = self.trainer
        sampler = None
        if trainer is not None and trainer.world_size > 1:
            sampler = EvalShardSampler(
                rows, num_replicas=trainer.world_size, rank=trainer.global_rank
            )
        return DataLoader(
            rows,
            batch_size=self.hparams.eval_batch_size,
            sampler=sampler,
            shuffle=False,
            collate_fn=identity_collate,
        )

    def train_dataloader(self) -> DataLoader:
        trainer = self.trainer
        num_replicas = trainer.world_size if trainer is not None else 1
        rank = trainer.global_rank if trainer is not None else 0
        if trainer is not None and num_replicas > 1:
            check_same_on_every_rank(trainer.strategy, self.data_state(), rank)
        sampler = self.train_sampler(num_replicas=num_replicas, rank=rank)
        progress = self._training_progress if trainer is not None else None
        loader = ResumableLoader(self.train_dataset(), sampler=sampler, batch_size=None, progress=progress)
        if self._resume_state is not None:
            # Lightning restores loader states itself only mid-epoch, and creates the first
            # iterator before set_epoch: NOTE [exact resume].
            loader.load_state_dict(self._resume_state)
            self._resume_state = None
        self._train_loader = loader
        return loader

    def _training_progress(self) -> tuple[int, bool]:
        """``(batches trained on in the current epoch, epoch complete)`` from the trainer."""
        trainer = self.trainer
        done = int(trainer.fit_loop.epoch_loop.batch_progress.current.processed)
        return done, done >= trainer.num_training_batches

    # ------------------------------------------------------------------ checkpoint state
    def data_state(self) -> dict[str, Any]:
        """What defines every training epoch; a resumed fit and every DDP rank must match it
        (see :func:`~imbalance_torch.lightning.resume.training_data_state`)."""
        self.prepare()
        features, labels = self.split_tensors("train")
        if self._train_fingerprint is None:
            from imbalance_torch.neighbors import data_fingerprint

            self._train_fingerprint = data_fingerprint(features, labels)
        return training_data_state(
            self.train_dataset(),
            train_rows=int(labels.shape[0]),
            train_fingerprint=self._train_fingerprint,
            settings={name: self.hparams[name] for name in _EPOCH_SETTINGS},
            epoch_counts=list(self.sampled_class_counts),
        )

    def state_dict(self) -> dict[str, Any]:
        """Saved in every checkpoint: :meth:`data_state` and the train loader's epoch and
        position (:meth:`ResumableLoader.state_dict`)."""
        if not self._prepared:
            return {}
        loader = self._train_loader
        return {
            "version": _STATE_VERSION,
            "data_state": self.data_state(),
            "train_loader": loader.state_dict() if loader is not None else None,
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """When a fit resumes from a checkpoint, check that it trains on the same data, and
        restore the train loader's epoch and position (applied when it is built).

        Validation, test and prediction from a checkpoint may use other data, so only
        ``fit`` is checked.

        Raises:
            ValueError: the checkpoint was made with other training data or resampling
                settings, so its remaining epochs could not be reproduced.
        """
        trainer = self.trainer
        if not state_dict or trainer is None or trainer.state.fn != "fit":
            return
        if state_dict.get("version") != _STATE_VERSION:
            raise ValueError(
                f"the checkpoint's data state has version {state_dict.get('version')!r}; this "
                f"version of imbalance-torch reads {_STATE_VERSION}."
            )
        check_resumed_state(state_dict["data_state"], self.data_state())
        self._resume_state = state_dict.get("train_loader")

    def val_dataloader(self) -> DataLoader:
        return self.dataloader("val")

    def test_dataloader(self) -> DataLoader:
        return self.dataloader("test")

    # --------------------------------------------------------------------------- report
    def synthetic_crossing_share(self, *, k: int = 5, max_rows: int = 5000) -> float | None:
        """Share of synthetic rows whose ``k`` nearest real train rows are mostly of another
        class (interpolation that crossed into another class's region).

        Uses epoch 0's synthetic rows (at most ``max_rows`` of them, evenly spaced). Returns
        None for strategies that make no synthetic rows.
        """
        if self.hparams.resampling not in SYNTHETIC_RESAMPLING:
            return None
        from imbalance_torch.neighbors import kneighbors

        dataset = self.train_dataset()
        if dataset.num_synthetic == 0:
            return None
        step = max(1, dataset.num_synthetic // max_rows)
        index = torch.arange(dataset.num_real, len(dataset), step)[:max_rows]
        previous = dataset.epoch
        dataset.set_epoch(0)
        rows, labels = dataset[index]
        dataset.set_epoch(previous)
        real_x, real_y = dataset.features, dataset.labels
        _, neighbors = kneighbors(rows, real_x, k)
        other = (real_y[neighbors] != labels[:, None]).float().mean(dim=1)
        return float((other > 0.5).float().mean())

