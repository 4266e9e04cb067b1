"""`TabularClassifier`: an MLP LightningModule whose loss and metrics come from config."""

from __future__ import annotations

from typing import Any

import lightning.pytorch as pl
import torch
from torch import Tensor, nn
from torchmetrics import CatMetric

from imbalance_torch import __version__
from imbalance_torch._validation import check_int
from imbalance_torch.lightning.model.metrics import classification_metrics
from imbalance_torch.lightning.model.thresholds import (
    ThresholdSettings,
    choose_thresholds,
    threshold_report,
)
from imbalance_torch.lightning.strategies import LOSSES, check_loss
from imbalance_torch.lightning.tables.preprocessing import Preprocessing
from imbalance_torch.losses import prior_shift_correction

__all__ = ["TabularClassifier"]




class TabularClassifier(pl.LightningModule):
    """MLP classifier for tabular data with a configurable imbalance loss.

    The network is ``depth`` blocks of ``Linear -> ReLU -> Dropout`` of ``hidden_width`` units,
    then a ``num_classes``-logit head (softmax, also for binary data, so every loss has one
    code path). Categorical columns (integer codes, after the numeric ones) are one-hot
    encoded inside ``forward``.

    Validation and test collect the predicted probabilities (gathered over DDP ranks) and
    compute every metric of :data:`~imbalance_torch.lightning.model.metrics.METRIC_NAMES`. At each
    validation epoch the decision threshold with maximal F1 is stored in the buffer
    ``decision_threshold`` (so a checkpoint carries the threshold of its own epoch) and test
    applies it. ``val_auprc`` is logged for early stopping and checkpointing, and ``val_loss``
    (log loss of the raw model) breaks ties between equal AUPRCs
    (:class:`~imbalance_torch.lightning.BestCheckpoint`).

    Args:
        num_features: input columns (numeric + categorical); linked from the data module by
            the CLI (``ImbalanceDataModule.num_features``).
        num_classes: classes of the head; must match the data.
        hidden_width: units per hidden layer.
        depth: number of hidden layers (0 gives a linear model).
        dropout: dropout probability after each hidden layer.
        loss: a name of :data:`~imbalance_torch.lightning.strategies.LOSSES`:
            ``cross_entropy``; ``class_weighted`` (cross-entropy weighted by a scheme of
            the class counts); ``focal``; ``logit_adjusted`` (Menon et al.).
        loss_options: arguments of the loss, over the defaults of its strategy-table entry,
            checked against the constructor they go to (NOTE [part options] in
            :mod:`imbalance_torch.lightning.strategies.parts`): ``class_weighted`` takes
            ``scheme`` (``balanced``, ``inverse``, ``sqrt_inverse``, ``effective_number``),
            ``beta`` and ``smoothing`` of :func:`~imbalance_torch.losses.class_weights`;
            ``focal`` takes ``gamma`` (2.0) and ``alpha`` (0.75: the weight of the positive
            class 1 of a binary task, the negative class gets ``1 - alpha``; ``None`` for no
            weighting, required for more than two classes); ``logit_adjusted`` takes ``tau``
            (1.0); every loss built on ``torch.nn.CrossEntropyLoss`` takes its
            ``label_smoothing`` and ``ignore_index``.
        learning_rate: AdamW learning rate.
        weight_decay: AdamW weight decay.
        min_precision: precision floor of the ``recall_at_precision`` metric.
        calibration_bins: bins of the expected calibration error.
        categorical_cardinalities: categories of each categorical column (the last
            ``len(categorical_cardinalities)`` input columns); linked from the data module.
        natural_class_counts: rows per class of the training split at its natural ratio;
            linked from the data module. The prior-shift correction maps predictions back to
            this ratio.
        sampled_class_counts: rows per class the model sees per training epoch (after
            resampling); linked from the data module. Class weights and logit adjustment use
            it. Defaults to ``natural_class_counts``.
        alert_share: also choose on validation the threshold that flags this share of rows
            (an alert budget); see :mod:`~imbalance_torch.lightning.model.thresholds`.
        alert_count: also choose the threshold that flags this many validation rows.
        cost_missed: cost of a missed positive, for the threshold of lowest cost (with
            ``cost_false_alarm``).
        cost_false_alarm: cost of a false alarm (a review), for the threshold of lowest cost.
        cost_column: a numeric feature column (e.g. Amount) giving each row's cost when missed,
            instead of ``cost_missed``.

    Binary data: every validation epoch chooses the thresholds of
    :class:`~imbalance_torch.lightning.model.thresholds.ThresholdSettings` (max F1, the
    ``min_precision`` floor, and those asked above) into :attr:`thresholds`, saved in the
    checkpoint; test reports each one's precision and recall (and cost and value caught when
    costs are given). The data module's fitted preprocessing is saved in the checkpoint by the
    data module (:meth:`ImbalanceDataModule.state_dict`).
    """

    def __init__(
        self,
        num_features: int,
        num_classes: int = 2,
        hidden_width: int = 64,
        depth: int = 2,
        dropout: float = 0.1,
        loss: str = "cross_entropy",
        loss_options: dict[str, Any] | None = None,
        learning_rate: float = 3e-3,
        weight_decay: float = 1e-4,
        min_precision: float = 0.9,
        calibration_bins: int = 15,
        categorical_cardinalities: list[int] | None = None,
        natural_class_counts: list[int] | None = None,
        sampled_class_counts: list[int] | None = None,
        alert_share: float | None = None,
        alert_count: int | None = None,
        cost_missed: float | None = None,
        cost_false_alarm: float | None = None,
        cost_column: str | None = None,
    ) -> None:
        super().__init__()
        num_features = check_int("num_features", num_features, minimum=1)
        num_classes = check_int("num_classes", num_classes, minimum=2)
        hidden_width = check_int("hidden_width", hidden_width, minimum=1)
        depth = check_int("depth", depth, minimum=0)
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout!r}.")
        loss_entry = check_loss(loss)
        self.loss_options = loss_entry.check_options(loss_options, num_classes)
        cards = list(categorical_cardinalities or [])
        if len(cards) > num_features or any(c < 1 for c in cards):
            raise ValueError(
                f"categorical_cardinalities={cards} does not fit num_features={num_features}."
            )
        for name, counts in (
            ("natural_class_counts", natural_class_counts),
            ("sampled_class_counts", sampled_class_counts),
        ):
            if counts is not None and len(counts) != num_classes:
                raise ValueError(
                    f"the data has {len(counts)} classes ({name}={counts}), but the model has "
                    f"num_classes={num_classes}; set --model.num_classes {len(counts)}."
                )
            if counts is not None and min(counts) <= 0:
                raise ValueError(f"{name}={counts} must hold positive counts.")
        if loss_entry.needs_class_counts and natural_class_counts is None:
            raise ValueError(
                f"loss={loss!r} needs the training class counts: pass natural_class_counts "
                "(the CLI links them from the data module; in Python use "
                "TabularClassifier(**datamodule.model_arguments(), ...))."
            )
        self.save_hyperparameters()
        self.num_numeric = num_features - len(cards)
        self.cardinalities = cards

        width_in = self.num_numeric + sum(cards)
        layers: list[nn.Module] = []
        for _ in range(depth):
            layers += [nn.Linear(width_in, hidden_width), nn.ReLU(), nn.Dropout(dropout)]
            width_in = hidden_width
        layers.append(nn.Linear(width_in, num_classes))
        self.network = nn.Sequential(*layers)

        natural = torch.tensor(natural_class_counts or [1] * num_classes, dtype=torch.float64)
        sampled = (
            torch.tensor(sampled_class_counts, dtype=torch.float64)
            if sampled_class_counts is not None
            else natural
        )
        # The strategy table builds the loss and says which class prior it trains the raw
        # outputs to; the prior-shift correction maps that prior back to the natural one.
        build_options = dict(self.loss_options)
        if loss_entry.rows_option is not None:  # per-row state: one slot per training row
            build_options[loss_entry.rows_option] = int(natural.sum())
        self.criterion = loss_entry.build(build_options, sampled)
        self._row_ids = loss_entry.rows_option is not None
        self.register_buffer("train_prior", loss_entry.prior(self.loss_options, sampled))
        self.register_buffer("natural_prior", (natural / natural.sum()).float())
        self.register_buffer("decision_threshold", torch.tensor(0.5))
        self._stage_outputs = nn.ModuleDict(
            {
                stage: nn.ModuleDict(
                    {"probs": CatMetric(), "corrected": CatMetric(), "target": CatMetric()}
                )
                for stage in ("val", "test")
            }
        )
        self.threshold_settings = ThresholdSettings(
            min_precision=min_precision,
            alert_share=alert_share,
            alert_count=alert_count,
            cost_missed=cost_missed,
            cost_false_alarm=cost_false_alarm,
            cost_column=cost_column,
        )
        if cost_column is not None:
            for stage in ("val", "test"):
                self._stage_outputs[stage]["missed_cost"] = CatMetric()
        self.thresholds: dict[str, float] = {}
        self.preprocessing: Preprocessing | None = None
        self.test_results: dict[str, float] = {}
        self.test_predictions: dict[str, Tensor] = {}
        self.val_history: list[dict[str, float]] = []
        self._train_loss_sum: Tensor | None = None
        self._train_loss_rows = 0

    def forward(self, x: Tensor) -> Tensor:
        """Return ``(batch, num_classes)`` logits for ``(batch, num_features)`` inputs."""
        if self.cardinalities:
            codes = x[:, self.num_numeric :].long()
            parts = [x[:, : self.num_numeric]]
            # A category unseen in training has code -1 (UNKNOWN_CATEGORY): no category.
            parts += [
                nn.functional.one_hot(codes[:, j].clamp(0, c - 1), c).to(x.dtype)
                * (codes[:, j : j + 1] >= 0).to(x.dtype)
                for j, c in enumerate(self.cardinalities)
            ]
            x = torch.cat(parts, dim=1)
        return self.network(x)

    def setup(self, stage: str) -> None:
        datamodule = getattr(self.trainer, "datamodule", None) if self._trainer else None
        if self._row_ids and stage == "fit":
            serve = getattr(datamodule, "serve_row_ids", None)
            if serve is None:
                raise ValueError(
                    f"loss={self.hparams.loss!r} keeps per-row state and needs each training "
                    "batch's row ids, which only ImbalanceDataModule serves; train with it, or "
                    "choose a loss without row state."
                )
            serve()
        data_classes = getattr(datamodule, "num_classes", None)
        if data_classes is not None and data_classes != self.hparams.num_classes:
            raise ValueError(
                f"the data has {data_classes} classes ({', '.join(datamodule.class_names)}), "
                f"but the model has num_classes={self.hparams.num_classes}; set "
                f"--model.num_classes {data_classes}."
            )
        data_features = getattr(datamodule, "num_features", None)
        if data_features is not None and data_features != self.hparams.num_features:
            raise ValueError(
                f"the data has {data_features} feature columns, but the model has "
                f"num_features={self.hparams.num_features}; build the model with "
                "TabularClassifier(**datamodule.model_arguments(), ...)."
            )
        if isinstance(getattr(datamodule, "preprocessing", None), Preprocessing):
            self.preprocessing = datamodule.preprocessing
        cost_column = self.hparams.get("cost_column")
        if cost_column is not None:
            if self.preprocessing is None:
                raise ValueError(
                    f"cost_column={cost_column!r} needs the data module's preprocessing to read "
                    "that column; train with an ImbalanceDataModule, or give cost_missed."
                )
            self.preprocessing.raw_numeric(torch.zeros(1, self.hparams.num_features), cost_column)

    def training_step(self, batch: tuple[Tensor, Tensor], batch_idx: int) -> Tensor:
        x, y, *ids = batch
        mix = getattr(self.criterion, "mix", None)
        if mix is not None:  # a mixing strategy (Remix, MAMix): probability targets
            world = self.trainer.world_size if self._trainer is not None else 1
            rank = self.trainer.global_rank if self._trainer is not None else 0
            x, y = mix(x, y, epoch=self.current_epoch, batch=batch_idx * world + rank)
        target = y if y.is_floating_point() else y.long()
        if self._row_ids:  # a loss with per-row state (ap): the batch's base row ids
            loss = self.criterion(self(x), target, ids[0])
        else:
            loss = self.criterion(self(x), target)
        # The epoch's mean training loss, summed here and logged once in on_train_epoch_end:
        # self.log at every step cost about 0.3 ms a step (a none run on the built-in data
        # 5.3-5.6 s -> 4.6 s; benchmarks/results/compare_default/logging_change.txt).
        rows = y.shape[0]
        if self._train_loss_sum is None:
            self._train_loss_sum = loss.detach().new_zeros(())
        self._train_loss_sum += loss.detach() * rows
        self._train_loss_rows += rows
        return loss

    def on_train_epoch_start(self) -> None:
        self._train_loss_sum, self._train_loss_rows = None, 0

    def on_train_epoch_end(self) -> None:
        # Under DDP every rank has the same number of batches (the sampler pads the last
        # ones), so either every rank logs here or none does: the sync below is collective.
        if self._train_loss_sum is None or self._train_loss_rows == 0:
            return
        # sync_dist with batch_size=rows: Lightning sums the row-weighted losses and the row
        # counts over the ranks, so the value is the mean over all rows of all ranks.
        self.log(
            "train_loss",
            self._train_loss_sum / self._train_loss_rows,
            on_step=False,
            on_epoch=True,
            batch_size=self._train_loss_rows,
            sync_dist=True,
        )

    def probabilities(self, features: Tensor) -> tuple[Tensor, Tensor]:
        """Class probabilities of preprocessed rows, raw and prior-corrected: the one path
        validation, test and scoring (:class:`~imbalance_torch.lightning.scoring.Scorer`) share.

        Args:
            features: preprocessed rows (the data module's feature tensor).

        Returns:
            ``(raw, corrected)``: the softmax of the logits, and the softmax after the
            prior-shift correction from the prior the loss trains to (``train_prior``) back to
            the natural one (``natural_prior``), both float32.

        Shape:
            - features: ``(N, num_features)``
            - raw, corrected: ``(N, num_classes)``
        """
        logits = self(features).float()
        shifted = prior_shift_correction(
            logits, self.train_prior, self.natural_prior, validate_args=False
        )
        return torch.softmax(logits, dim=1), torch.softmax(shifted, dim=1)

    def _collect(self, stage: str, batch: tuple[Tensor, Tensor]) -> None:
        x, y = batch
        probs, corrected = self.probabilities(x)
        outputs = self._stage_outputs[stage]
        outputs["probs"].update(probs)
        outputs["corrected"].update(corrected)
        outputs["target"].update(y.float())
        if "missed_cost" in outputs:
            outputs["missed_cost"].update(self.preprocessing.raw_numeric(x, self.hparams.cost_column))

    def _column_costs(self, stage: str) -> Any:
        """The ``cost_column`` values of the rows collected (call before :meth:`_gather`)."""
        outputs = self._stage_outputs[stage]
        return outputs["missed_cost"].compute().reshape(-1).cpu().numpy() if "missed_cost" in outputs else None

    def _gather(self, stage: str) -> tuple[Tensor, Tensor, Tensor]:
        outputs = self._stage_outputs[stage]
        probs = outputs["probs"].compute().reshape(-1, self.hparams.num_classes)
        corrected = outputs["corrected"].compute().reshape(-1, self.hparams.num_classes)
        target = outputs["target"].compute().reshape(-1).long()
        for metric in outputs.values():
            metric.reset()
        return probs, corrected, target

    def validation_step(self, batch: tuple[Tensor, Tensor], batch_idx: int) -> None:
        self._collect("val", batch)

    def test_step(self, batch: tuple[Tensor, Tensor], batch_idx: int) -> None:
        self._collect("test", batch)

    def _metrics(self, probs: Tensor, corrected: Tensor, target: Tensor) -> dict[str, float]:
        return classification_metrics(
            probs,
            target,
            threshold=float(self.decision_threshold),
            corrected_probs=corrected,
            min_precision=self.hparams.min_precision,
            calibration_bins=self.hparams.calibration_bins,
        )

    def on_validation_epoch_end(self) -> None:
        column_costs = self._column_costs("val")
        probs, corrected, target = self._gather("val")
        if target.numel() == 0:
            return
        missed_costs = self.threshold_settings.missed_costs(target.numel(), column_costs)
        if self.hparams.num_classes == 2:
            # NOTE [threshold conventions] in thresholds.py; max F1 is the decision threshold.
            self.thresholds = choose_thresholds(
                probs[:, 1], target, self.threshold_settings, missed_costs
            )
            self.decision_threshold.fill_(self.thresholds["max_f1"])
        metrics = self._metrics(probs, corrected, target)
        metrics["threshold"] = float(self.decision_threshold)
        # Log loss of the raw model: the tie-breaker between equal AUPRCs (NOTE [kept model]).
        metrics["loss"] = float(nn.functional.nll_loss(probs.clamp_min(1e-12).log(), target))
        self.val_history.append(
            {"epoch": float(self.current_epoch), "step": float(self.global_step), **metrics}
        )
        self._log_gathered("val", metrics, target.numel())

    def on_test_epoch_end(self) -> None:
        column_costs = self._column_costs("test")
        probs, corrected, target = self._gather("test")
        if target.numel() == 0:
            return
        metrics = self._metrics(probs, corrected, target)
        metrics["threshold"] = float(self.decision_threshold)
        if self.thresholds and self.hparams.num_classes == 2:
            # Each threshold chosen on validation, with what it gives on test.
            metrics.update(threshold_report(
                self.thresholds, probs[:, 1], target,
                missed_costs=self.threshold_settings.missed_costs(target.numel(), column_costs),
                cost_false_alarm=self.threshold_settings.cost_false_alarm,
            ))
        self.test_results = metrics
        self.test_predictions = {
            "probs": probs.cpu(),
            "corrected": corrected.cpu(),
            "target": target.cpu(),
        }
        self._log_gathered("test", metrics, target.numel())

    def _log_gathered(self, stage: str, metrics: dict[str, float], rows: int) -> None:
        """Log metrics computed from predictions gathered over every rank.

        Every rank holds the same values, so the sync is a ``max`` over equal numbers (exact,
        unlike a mean); asking for it tells Lightning the values are synced, instead of one
        "use sync_dist=True" warning per metric under DDP.
        """
        self.log_dict(
            {f"{stage}_{k}": v for k, v in metrics.items()},
            batch_size=rows,
            sync_dist=True,
            reduce_fx="max",
        )

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        # The validation history is not a tensor; keep it so a resumed fit reports it whole.
        checkpoint["val_history"] = [dict(entry) for entry in self.val_history]
        # Plain values (torch.load(weights_only=True) reads them): what scoring needs.
        checkpoint["thresholds"] = dict(self.thresholds)
        checkpoint["imbalance_torch_version"] = __version__  # named when a load fails

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        """Restore the validation history; a resumed fit must keep the loss and the settings
        the strategy table lists for it (:attr:`~imbalance_torch.lightning.strategies.Loss.settings`).

        Raises:
            ValueError: a fit resumed with another loss or loss setting.
        """
        trainer = self._trainer
        if trainer is not None and trainer.state.fn == "fit":
            saved = checkpoint.get("hyper_parameters", {})
            differ = []
            if saved.get("loss", self.hparams.loss) != self.hparams.loss:
                differ.append(f"loss={saved['loss']!r} (now {self.hparams.loss!r})")
            else:  # the options one by one, defaults merged (gamma=2.0 (now 1.0))
                entry = LOSSES[self.hparams.loss]
                before = entry.check_options(saved.get("loss_options"), self.hparams.num_classes)
                differ += [
                    f"{key}={before.get(key)!r} (now {value!r})"
                    for key, value in self.loss_options.items()
                    if before.get(key) != value
                ]
            if differ:
                raise ValueError(
                    "cannot resume this fit: the checkpoint was trained with "
                    + "; ".join(differ)
                    + ". Resume with the loss settings of the run that saved it, or start a "
                    "new fit without ckpt_path."
                )
        self.val_history = [dict(entry) for entry in checkpoint.get("val_history", [])]
        self.thresholds = dict(checkpoint.get("thresholds", {}))

    def configure_optimizers(self) -> torch.optim.Optimizer:
        # A min-max loss (AUC-M) holds dual variables: they are maximised in their own group
        # (maximize=True, no weight decay) and projected after each step (on_train_batch_end).
        dual_parameters = getattr(self.criterion, "dual_parameters", None)
        dual = list(dual_parameters()) if dual_parameters is not None else []
        primal = [p for p in self.parameters() if all(p is not d for d in dual)]
        groups: list[dict[str, Any]] = [{"params": primal}]
        if dual:
            groups.append({"params": dual, "maximize": True, "weight_decay": 0.0})
        return torch.optim.AdamW(
            groups,
            lr=self.hparams.learning_rate,
            weight_decay=self.hparams.weight_decay,
        )

    def on_fit_start(self) -> None:
        # A deferred re-weighting schedule (ldam_drw) switches at a share of the run's
        # optimizer steps, so it falls inside the comparison's step budget.
        # So does a ranking loss's cross-entropy warm-up (set_budget).
        share = getattr(self.criterion, "drw_share", None)
        set_budget = getattr(self.criterion, "set_budget", None)
        if self._trainer is None or (share is None and set_budget is None):
            return  # (estimated_stepping_batches would load the train loader before a resume)
        max_steps = int(self.trainer.max_steps)
        total = max_steps if max_steps > 0 else int(self.trainer.estimated_stepping_batches)
        if share is not None:
            self.criterion.drw_start_step = int(share * total)
        if set_budget is not None:
            set_budget(total)

    def on_train_batch_end(self, outputs: Any, batch: Any, batch_idx: int) -> None:
        project = getattr(self.criterion, "project_dual_", None)
        if project is not None:
            project()
