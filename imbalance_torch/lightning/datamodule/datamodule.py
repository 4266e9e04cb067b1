"""`ImbalanceDataModule`: split first, fit preprocessing on train, resample train only.

The data module wires Lightning's hooks to one helper per job: reading the table
(:mod:`~imbalance_torch.lightning.tables.sources`), splitting and preprocessing it
(:func:`~imbalance_torch.lightning.datamodule.splits.split_and_preprocess`), serving the train split per
epoch (:class:`~imbalance_torch.lightning.datamodule.training_data.TrainingData`, built from the
strategy table in :mod:`~imbalance_torch.lightning.strategies`) and the checkpointed resume
state (:mod:`~imbalance_torch.lightning.datamodule.resume`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import lightning.pytorch as pl
import numpy as np
import torch
from torch import Tensor
from torch.utils.data import DataLoader

from imbalance_torch._validation import check_int
from imbalance_torch.lightning.datamodule.prepare import PreparedSplits, split_and_preprocess
from imbalance_torch.lightning.datamodule.resume import (
    ResumableLoader,
    align_loop_progress,
    check_same_on_every_rank,
    data_module_state,
    resumed_loader_state,
    training_data_state,
)
from imbalance_torch.lightning.datamodule.samplers import eval_loader
from imbalance_torch.lightning.datamodule.split_kinds import GroupRule, SplitKind, SplitPlan
from imbalance_torch.lightning.datamodule.splits import Splits
from imbalance_torch.lightning.datamodule.training_data import RowIdsDataset, TrainingData
from imbalance_torch.lightning.strategies import (
    RESAMPLERS,
    Resampler,
    check_resampling,
)
from imbalance_torch.lightning.tables.files import check_dialect
from imbalance_torch.lightning.tables.preprocessing import Preprocessing
from imbalance_torch.lightning.tables.sources import cached_table
from imbalance_torch.lightning.tables.table import Table, table_from_arrays, table_from_frame

__all__ = ["ImbalanceDataModule"]

_COMMON_EPOCH_SETTINGS = ("resampling", "frozen_synthetic", "sampler_seed")


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
    resampling settings (:meth:`epoch_settings`, from the strategy table) is refused. See
    NOTE [exact resume].

    Args:
        data: a built-in dataset name (``fraud_like``), ``keel:NAME`` (needs the
            ``benchmarks`` extra), or a ``.csv`` / ``.parquet`` path. In Python, see also
            :meth:`from_arrays`, :meth:`from_frame` and :meth:`from_table`.
        target: label column of a file.
        categorical: categorical column names of a file (needed for ``smote_nc``; every
            SMOTE-family strategy keeps their values valid category codes).
        drop_columns: columns of a file to leave out.
        keep_id_like: id-like columns (a distinct whole number or text on nearly every row,
            such as a row id) to keep as features on purpose; any other id-like column is
            refused, and constant, all-missing and index columns are dropped with a note
            (:mod:`~imbalance_torch.lightning.tables.feature_roles`; the fitted preprocessing lists
            every column's role).
        positive_label: positive class of binary data (default: the minority class).
        rows: rows of a built-in dataset (its default size when null).
        resampling: a name of :data:`~imbalance_torch.lightning.strategies.RESAMPLERS`
            (e.g. ``none``, ``random_over``, ``smote``, ``borderline1``, ``adasyn``,
            ``smote_nc``, ``svm_smote``, ``tomek``, ``smote_enn``; the table is the list),
            applied to the train split only.
        ratio: minority/majority row ratio the resampling aims at per epoch (1.0 is 1:1,
            0.5 is 1:2; imbalanced-learn's float ``sampling_strategy``). Binary data only,
            except 1.0, which balances every class.
        resampling_options: arguments of the oversampler that ``resampling`` builds, over
            the defaults of its strategy-table entry (e.g. ``{k_neighbors: 3}``,
            ``{m_neighbors: 15}`` for Borderline-SMOTE, ``{n_neighbors: 5}`` for ADASYN,
            ``{safe: true}``, or a ``filter`` given as ``{class_path: TomekLinks}``); checked
            against the oversampler's constructor (NOTE [part options] in
            :mod:`imbalance_torch.lightning.strategies.parts`).
        frozen_synthetic: SMOTE family only: serve the same synthetic rows every epoch (the
            epoch passed to the dataset stays 0), as a one-off ``fit_resample`` would.
        val_fraction: share of all rows in the validation split.
        test_fraction: share of all rows in the test split.
        split_seed: seed of the stratified split.
        split: ``stratified`` (at random, each class keeping its share), ``time`` (train on
            the earliest rows, validate on the next, test on the latest, by ``time_column``)
            or ``group`` (rows of one ``group_column`` value never cross splits; stratified
            where possible). See :mod:`~imbalance_torch.lightning.datamodule.split_kinds`.
        time_column: the column that orders rows for ``split: time`` (numbers or dates);
            not a feature.
        group_column: the id column (a card, a customer) kept in one split for
            ``split: group``, or with ``split: time`` (``group_rule`` says which split a
            group spanning the cuts goes to); not a feature.
        val_start: ``split: time`` only: the first validation time (a number or a date);
            with ``test_start``, replaces the fractions.
        test_start: ``split: time`` only: the first test time.
        group_rule: ``split: time`` with a ``group_column``: ``latest`` (a group lives in the
            split of its latest row; its earlier rows are left out) or ``first`` (a group
            lives in the split of its first row; every row is kept, and the train split holds
            later rows of groups first seen in it). See NOTE [purged groups].
        allow_dropped_rows: continue when a split rule leaves out more than 10 % of the rows
            or more than half of a class's rows (the split description counts them per
            split and class either way).
        sampler_seed: seed of the training shuffle and of the synthetic rows.
        batch_size: training rows per batch.
        eval_batch_size: rows per validation/test batch.
        scale: standardise numeric columns with the train split's mean and spread.
        impute_median: fill NaN feature cells with the train split's column median (off:
            NaN raises an error that says where they are).
        sep: the field separator of a CSV ``data`` file (``;`` or ``\t`` for such exports;
            ``--data.sep ';'``); kept with the preprocessing, so ``predict`` reads the file to
            score with the same dialect.
        decimal: the decimal mark of a CSV ``data`` file's numbers (``,`` for ``1,5``).
    """

    def __init__(
        self,
        data: str = "fraud_like",
        target: str | None = None,
        categorical: list[str] | None = None,
        drop_columns: list[str] | None = None,
        keep_id_like: list[str] | None = None,
        positive_label: str | None = None,
        rows: int | None = None,
        resampling: str = "none",
        ratio: float = 1.0,
        resampling_options: dict[str, Any] | None = None,
        frozen_synthetic: bool = False,
        val_fraction: float = 0.2,
        test_fraction: float = 0.2,
        split_seed: int = 0,
        split: SplitKind = "stratified",
        time_column: str | None = None,
        group_column: str | None = None,
        val_start: float | str | None = None,
        test_start: float | str | None = None,
        group_rule: GroupRule = "latest",
        allow_dropped_rows: bool = False,
        sampler_seed: int = 0,
        batch_size: int = 512,
        eval_batch_size: int = 16384,
        scale: bool = True,
        impute_median: bool = False,
        sep: str = ",",
        decimal: str = ".",
    ) -> None:
        super().__init__()
        check_dialect(sep, decimal)
        resampler = check_resampling(resampling)
        if isinstance(ratio, bool) or not isinstance(ratio, (int, float)) or not 0 < ratio <= 1:
            raise ValueError(
                f"ratio must be a float in (0, 1] (minority/majority rows, 1.0 = 1:1), got "
                f"{ratio!r}."
            )
        if frozen_synthetic and not resampler.synthetic:
            synthetic = ", ".join(name for name, r in RESAMPLERS.items() if r.synthetic)
            raise ValueError(
                f"frozen_synthetic=True only applies to synthetic resampling ({synthetic}), got "
                f"resampling={resampling!r}."
            )
        # plain ints from here on (np.int64 accepted), so the saved hyper-parameters stay plain
        split_seed = check_int("split_seed", split_seed, minimum=0)
        sampler_seed = check_int("sampler_seed", sampler_seed, minimum=0)
        batch_size = check_int("batch_size", batch_size, minimum=1)
        eval_batch_size = check_int("eval_batch_size", eval_batch_size, minimum=1)
        self.split_plan = SplitPlan(
            split,
            val_fraction=val_fraction,
            test_fraction=test_fraction,
            seed=split_seed,
            time_column=time_column,
            group_column=group_column,
            val_start=val_start,
            test_start=test_start,
            group_rule=group_rule,
            allow_dropped_rows=allow_dropped_rows,
        )
        self.resampling_options = resampler.check_options(resampling_options)
        self.save_hyperparameters(logger=False)
        self.resampler: Resampler = resampler
        self._table: Table | None = None
        self._dropped_columns: dict[str, str] | None = None
        self._input_columns: list[str] | None = None
        self._prepared: PreparedSplits | None = None
        self._training_data: TrainingData | None = None
        self._train_fingerprint: str | None = None
        self._row_ids = False
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
        module = cls.from_table(table, **kwargs)
        # The input's column order (the table puts categorical columns last).
        if feature_names is not None:
            names = list(feature_names)
        elif hasattr(features, "columns"):
            names = list(features.columns)
        else:
            names = [f"x{i}" for i in range(table.features.shape[1])]
        module._input_columns = [str(name) for name in names]
        return module

    @classmethod
    def from_frame(cls, frame: Any, *, target: str, **kwargs: Any) -> ImbalanceDataModule:
        """A data module over a pandas DataFrame with a ``target`` column."""
        module = cls(target=target, **kwargs)
        module._table = table_from_frame(
            frame,
            target=target,
            categorical=kwargs.get("categorical"),
            drop_columns=kwargs.get("drop_columns"),
            positive_label=kwargs.get("positive_label"),
            split_columns=module.split_plan.columns,
        )
        dropped = {target, *module._ignored_columns()}
        module._input_columns = [str(c) for c in frame.columns if str(c) not in dropped]
        return module

    def _ignored_columns(self) -> list[str]:
        """Columns besides the target that are not features: ``drop_columns``, then the
        split's own (time, group)."""
        return [*(self.hparams.drop_columns or ()), *self.split_plan.columns]

    # ----------------------------------------------------------------- table and splits
    @property
    def table(self) -> Table:
        """The loaded, validated table (loaded on first use), without the columns that carry
        nothing (constant, all missing, an index: dropped with a warning); id-like columns not
        listed in ``keep_id_like`` are refused
        (:func:`~imbalance_torch.lightning.tables.feature_roles.resolve_feature_roles`).

        Raises:
            ValueError: id-like feature columns; ``keep_id_like`` naming no feature column.
        """
        if self._table is None:
            hp = self.hparams
            self._table = cached_table(
                hp.data,
                target=hp.target,
                categorical=hp.categorical,
                drop_columns=hp.drop_columns,
                split_columns=self.split_plan.columns,
                positive_label=hp.positive_label,
                rows=hp.rows,
                sep=hp.get("sep", ","),
                decimal=hp.get("decimal", "."),
            )
        if self._dropped_columns is None:
            from imbalance_torch.lightning.tables.feature_roles import resolve_feature_roles

            self._table, self._dropped_columns = resolve_feature_roles(
                self._table, keep_id_like=self.hparams.keep_id_like or ()
            )
        return self._table

    def split_and_preprocess(self) -> PreparedSplits:
        """Load and check the table, split it, and impute/scale with train statistics.

        Idempotent (the result is kept); :meth:`setup` calls it. Lightning's
        ``prepare_data`` hook (downloads, once per node) is not used.
        """
        if self._prepared is None:
            hp = self.hparams
            table = self.table
            self.resampler.check_data(
                categorical=bool(table.categories),
                num_classes=table.num_classes,
                ratio=hp.ratio,
                source=table.source,
            )
            prepared = split_and_preprocess(
                table,
                split_plan=self.split_plan,
                impute_median=hp.impute_median,
                scale=hp.scale,
                min_train_rows=self._min_train_rows,
                input_columns=self._input_order(),
                target=hp.target,
                ignored_columns=self._ignored_columns(),
                dropped_columns=self._dropped_columns,
                kept_id_like=hp.keep_id_like or (),
            )
            self.resampler.check_ratio(prepared.natural_class_counts, hp.ratio)
            self._prepared = _with_csv_dialect(prepared, hp.data, hp.get("sep", ","), hp.get("decimal", "."))
        return self._prepared

    def _input_order(self) -> list[str] | None:
        """Feature columns in the input's order (a file's header, a frame's columns)."""
        if self._input_columns is None:
            from imbalance_torch.lightning.tables.preprocessing import file_columns

            header = file_columns(self.hparams.data, sep=self.hparams.get("sep", ","))
            if header is not None:
                dropped = {self.hparams.target, *self._ignored_columns()}
                self._input_columns = [c for c in header if c not in dropped]
        return self._input_columns

    @property
    def preprocessing(self) -> Preprocessing:
        """The preprocessing fitted on the train split (columns, category codes, imputation,
        scaling, labels); saved in every checkpoint and applied to raw tables by
        :class:`~imbalance_torch.lightning.scoring.Scorer`."""
        return self.split_and_preprocess().preprocessing  # type: ignore[return-value]

    def setup(self, stage: str | None = None) -> None:
        # Lightning calls setup before it restores a checkpoint (load_state_dict): a position
        # left from an earlier fit must not leak into this one.
        self._resume_state = None
        self.split_and_preprocess()

    @property
    def splits(self) -> Splits:
        """Row numbers of the train, validation and test splits."""
        return self.split_and_preprocess().splits

    def split_tensors(self, split: str) -> tuple[Tensor, Tensor]:
        """Preprocessed ``(features, labels)`` of ``split`` at its natural ratio."""
        prepared = self.split_and_preprocess()
        rows = torch.from_numpy(prepared.splits[split])
        return prepared.features[rows], prepared.labels[rows]

    def split_rows(self, split: str) -> np.ndarray:
        """Row numbers (of the loaded table) that form ``split``."""
        return self.splits[split]

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
    def natural_class_counts(self) -> list[int]:
        """Rows per class of the train split."""
        return list(self.split_and_preprocess().natural_class_counts)

    @property
    def sampled_class_counts(self) -> list[int]:
        """Rows per class of every training epoch: the train sampler's ``epoch_counts``
        (builds the training data, fitting a SMOTE variant's neighbour index)."""
        return self.training_data.epoch_counts(self.num_classes)

    @property
    def model_natural_class_counts(self) -> list[int]:
        return self.natural_class_counts

    @property
    def model_sampled_class_counts(self) -> list[int]:
        return self.sampled_class_counts

    def model_arguments(self) -> dict[str, Any]:
        """Keyword arguments that tie a :class:`TabularClassifier` to this data."""
        return {
            "num_features": self.num_features,
            "num_classes": self.num_classes,
            "categorical_cardinalities": self.categorical_cardinalities,
            "natural_class_counts": self.model_natural_class_counts,
            "sampled_class_counts": self.model_sampled_class_counts,
        }

    # --------------------------------------------------------------------- train split
    @property
    def training_data(self) -> TrainingData:
        """The train split as served per epoch (built on first use)."""
        if self._training_data is None:
            features, labels = self.split_tensors("train")
            self._training_data = TrainingData(
                features,
                labels,
                resampler=self.resampler,
                settings={**self.hparams, "resampling_options": self.resampling_options},
                categorical_features=self.table.categorical_columns,
            )
        return self._training_data

    def train_dataset(self) -> Any:
        """The training dataset: a ``SMOTEDataset`` for synthetic strategies, else rows."""
        return self.training_data.dataset

    def serve_row_ids(self) -> None:
        """Make training batches ``(features, labels, row ids)`` (:class:`RowIdsDataset`): the
        model asks for it when its loss keeps per-row state."""
        self._row_ids = True

    def train_sampler(self, *, num_replicas: int = 1, rank: int = 0) -> Any:
        """The training sampler (yields index tensors of ``batch_size``) for one DDP rank."""
        return self.training_data.sampler(num_replicas=num_replicas, rank=rank)

    def synthetic_crossing_share(self, *, k: int = 5, max_rows: int = 5000) -> float | None:
        """See :meth:`TrainingData.crossing_share` (None without synthetic rows)."""
        if not self.resampler.synthetic:
            return None
        return self.training_data.crossing_share(k=k, max_rows=max_rows)

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
        trainer = self.trainer
        return eval_loader(
            *self.split_tensors(split),
            batch_size=self.hparams.eval_batch_size,
            num_replicas=trainer.world_size if trainer is not None else 1,
            rank=trainer.global_rank if trainer is not None else 0,
        )

    def train_dataloader(self) -> DataLoader:
        trainer = self.trainer
        num_replicas = trainer.world_size if trainer is not None else 1
        rank = trainer.global_rank if trainer is not None else 0
        if trainer is not None and num_replicas > 1:
            check_same_on_every_rank(trainer.strategy, self.data_state(), rank)
        sampler = self.train_sampler(num_replicas=num_replicas, rank=rank)
        progress = self._training_progress if trainer is not None else None
        dataset = RowIdsDataset(self.train_dataset()) if self._row_ids else self.train_dataset()
        loader = ResumableLoader(dataset, sampler=sampler, batch_size=None, progress=progress)
        if self._resume_state is not None:
            # Lightning restores loader states itself only mid-epoch, and creates the first
            # iterator before set_epoch: NOTE [exact resume]. Its loop progress must agree
            # with the loader's position: NOTE [one position].
            align_loop_progress(trainer, self._resume_state)
            loader.load_state_dict(self._resume_state)
            self._resume_state = None
        self._train_loader = loader
        return loader

    def val_dataloader(self) -> DataLoader:
        return self.dataloader("val")

    def test_dataloader(self) -> DataLoader:
        return self.dataloader("test")

    def _training_progress(self) -> tuple[int, bool]:
        """``(batches trained on in the current epoch, epoch complete)`` from the trainer."""
        trainer = self.trainer
        done = int(trainer.fit_loop.epoch_loop.batch_progress.current.processed)
        return done, done >= trainer.num_training_batches

    # ------------------------------------------------------------------ checkpoint state
    def epoch_settings(self) -> dict[str, Any]:
        """The settings that shape every training epoch (the strategy table's
        :attr:`Resampler.settings`, with the resampling options merged over the entry's
        defaults, plus the resampling name, frozen flag and seed)."""
        names = [n for n in (*_COMMON_EPOCH_SETTINGS, *self.resampler.settings) if n != "resampling_options"]
        # the options one by one (k_neighbors=5 (now 3) in a resume's message), defaults merged
        return {**{name: self.hparams[name] for name in names}, **self.resampling_options}

    def _min_train_rows(self, natural: list[int]) -> dict[int, int]:
        if not self.resampler.synthetic:
            return {}
        return self.resampler.min_train_rows(natural, self.resampler.neighbors(self.resampling_options))

    def data_state(self) -> dict[str, Any]:
        """What defines every training epoch; a resumed fit and every DDP rank must match it
        (see :func:`~imbalance_torch.lightning.datamodule.resume.training_data_state`)."""
        features, labels = self.split_tensors("train")
        if self._train_fingerprint is None:
            from imbalance_torch.neighbors import data_fingerprint

            self._train_fingerprint = data_fingerprint(features, labels)
        return training_data_state(
            self.train_dataset(),
            train_rows=int(labels.shape[0]),
            train_fingerprint=self._train_fingerprint,
            settings=self.epoch_settings(),
            epoch_counts=self.sampled_class_counts,
        )

    def state_dict(self) -> dict[str, Any]:
        """Saved in every checkpoint (Lightning keys it by this class's name): :meth:`data_state`,
        the train loader's epoch and position (:meth:`ResumableLoader.state_dict`), and the
        fitted :attr:`preprocessing` as plain values (``preprocessing``), which scoring reads
        (:func:`~imbalance_torch.lightning.model.checkpoints.load_classifier`)."""
        if self._prepared is None:
            return {}
        state = data_module_state(self.data_state(), self._train_loader)
        state["preprocessing"] = self.preprocessing.state_dict()
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """When a fit resumes from a checkpoint, check that it trains on the same data, and
        restore the train loader's epoch and position (applied when it is built).

        Validation, test and prediction from a checkpoint may use other data, so only
        ``fit`` is checked.

        Raises:
            ValueError: the checkpoint was made by another version of this state, or with
                other training data or resampling settings, so its remaining epochs could not
                be reproduced.
        """
        trainer = self.trainer
        if not state_dict or trainer is None or trainer.state.fn != "fit":
            return
        self._resume_state = resumed_loader_state(state_dict, self.data_state())


def _with_csv_dialect(prepared: PreparedSplits, data: Any, sep: str, decimal: str) -> PreparedSplits:
    """``prepared`` with the CSV dialect of ``data`` kept in its preprocessing, so scoring
    reads a file as training read it (the default dialect is not stored)."""
    from dataclasses import replace

    if (sep, decimal) == (",", ".") or not str(data).lower().endswith(".csv"):
        return prepared
    dialect = {"sep": check_dialect(sep, decimal)[0], "decimal": decimal}
    return replace(prepared, preprocessing=replace(prepared.preprocessing, csv_dialect=dialect))
