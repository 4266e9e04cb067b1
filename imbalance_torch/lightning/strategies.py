"""The strategy table: every resampler and loss of the Lightning layer, declared once.

A comparison *strategy* is a YAML file in ``configs/strategies`` that combines one resampler
(``data.resampling``) with one loss (``model.loss``) and their settings. Everything that
depends on those names derives from the two tables below, :data:`RESAMPLERS` and
:data:`LOSSES`:

* the CLI choices (:data:`ResamplingName`, :data:`LossName`, checked by LightningCLI when it
  reads a YAML file) and the checks of strategy files (``comparison.load_strategy_config``);
* how :class:`~imbalance_torch.lightning.ImbalanceDataModule` builds the training dataset
  and sampler (:meth:`Resampler.build_oversampler`, :meth:`Resampler.sampler_arguments`);
* which settings a resumed fit must keep (:attr:`Resampler.settings`, :attr:`Loss.settings`);
* the class prior a loss calibrates the raw model to (:attr:`Loss.prior`), which the
  prior-shift correction maps back to the natural ratio;
* the display order of comparison reports (the order of the tables, see
  :func:`strategy_sort_key`).

Adding an oversampler or a loss is one entry here; adding a strategy that combines existing
parts is one YAML file.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import torch
from torch import Tensor, nn

from imbalance_torch.lightning.metrics import effective_prior

__all__ = [
    "LOSSES",
    "RESAMPLERS",
    "Loss",
    "LossName",
    "Resampler",
    "ResamplingName",
    "check_loss",
    "check_resampling",
    "strategy_sort_key",
]

EpochKind = Literal["natural", "oversample", "undersample"]


@dataclass(frozen=True)
class Resampler:
    """How one ``resampling`` name shapes the training epochs.

    Attributes:
        name: the ``resampling`` value.
        epoch: ``natural`` (every train row once, shuffled), ``oversample`` (rows added up to
            ``ratio``: duplicates, or synthetic rows when ``oversampler`` is set) or
            ``undersample`` (a fresh subset of the majority each epoch, down to ``ratio``).
        oversampler: builds the unfitted oversampler of a synthetic strategy from the data
            module's settings (``k_neighbors``, ``m_neighbors``) and the categorical column
            indices; ``None`` for strategies that make no synthetic rows.
        settings: data-module settings, besides ``resampling``, ``frozen_synthetic`` and
            ``sampler_seed``, that shape every epoch (a resumed fit must keep them).
        needs_categorical: refuses data without declared categorical columns.
    """

    name: str
    epoch: EpochKind
    oversampler: Callable[[Mapping[str, Any], list[int]], Any] | None = None
    settings: tuple[str, ...] = ()
    needs_categorical: bool = False

    @property
    def synthetic(self) -> bool:
        """Whether this strategy generates synthetic rows (a ``SMOTEDataset``)."""
        return self.oversampler is not None

    @property
    def resamples(self) -> bool:
        """Whether the epochs differ from the natural train split (``ratio`` applies)."""
        return self.epoch != "natural"

    def build_oversampler(self, settings: Mapping[str, Any], categorical_features: Sequence[int]) -> Any:
        """The unfitted oversampler (``None`` for non-synthetic strategies)."""
        if self.oversampler is None:
            return None
        return self.oversampler(settings, list(categorical_features))

    def check_data(self, *, categorical: bool, num_classes: int, ratio: float, source: str) -> None:
        """Refuse data this strategy cannot resample at ``ratio``.

        Raises:
            ValueError: no categorical columns for a strategy that needs them, or a ratio
                other than 1.0 on data that is not binary.
        """
        if self.needs_categorical and not categorical:
            raise ValueError(
                f"resampling={self.name!r} needs categorical columns, but {source} has none "
                "declared; list them in categorical (--data.categorical) or use 'smote'."
            )
        if ratio != 1.0 and num_classes != 2:
            raise ValueError(
                f"ratio={ratio} is a minority/majority ratio for binary data, but {source} has "
                f"{num_classes} classes; use ratio: 1.0 (balance all)."
            )

    def check_ratio(self, natural: Sequence[int], ratio: float) -> None:
        """Refuse a ``ratio`` at or below the train split's own (nothing to resample).

        Raises:
            ValueError: naming both ratios and the counts.
        """
        if not self.resamples or len(natural) != 2:
            return
        majority = max(range(2), key=lambda c: natural[c])
        minority, largest = natural[1 - majority], natural[majority]
        current = minority / largest
        if ratio <= current:
            raise ValueError(
                f"ratio={ratio} is not above the train split's own minority/majority ratio "
                f"{current:.4g} ({minority}/{largest}), so resampling={self.name!r} has "
                f"nothing to do; choose a ratio above {current:.4g}."
            )

    def min_train_rows(self, natural: Sequence[int], k_neighbors: int) -> dict[int, int]:
        """Train rows each over-sampled class needs for the neighbour search (synthetic
        strategies: ``k_neighbors + 1``; none otherwise)."""
        if not self.synthetic:
            return {}
        majority = max(range(len(natural)), key=lambda c: natural[c])
        return {c: k_neighbors + 1 for c in range(len(natural)) if c != majority}

    def sampler_arguments(self, ratio: float) -> dict[str, Any] | None:
        """``BalancedSampler`` arguments for ``ratio``; ``None`` means a plain shuffle.

        On a ``SMOTEDataset`` the sampler serves the dataset's own targets (built with
        ``sampling_strategy`` from :func:`sampling_strategy`), so nothing is passed.
        """
        if self.epoch == "natural":
            return None
        strategy = sampling_strategy(ratio)
        if self.epoch == "undersample":
            return {"oversampling": None, "undersampling": strategy}
        if self.synthetic:
            return {}
        return {"oversampling": strategy}


def sampling_strategy(ratio: float) -> float | str:
    """imbalanced-learn's ``sampling_strategy`` for a minority/majority ``ratio`` (1.0 balances
    every class, also for multi-class data)."""
    return "auto" if ratio == 1.0 else float(ratio)


def _categorical(categorical_features: list[int]) -> dict[str, Any]:
    # Every SMOTE variant takes categorical_features (SMOTE-NC's rules); omitted when there
    # are none, so the plain numeric constructors are unchanged.
    return {"categorical_features": categorical_features} if categorical_features else {}


def _smote(settings: Mapping[str, Any], categorical: list[int]) -> Any:
    from imbalance_torch import SMOTE

    return SMOTE(k_neighbors=settings["k_neighbors"], **_categorical(categorical))


def _borderline(kind: str) -> Callable[[Mapping[str, Any], list[int]], Any]:
    def build(settings: Mapping[str, Any], categorical: list[int]) -> Any:
        from imbalance_torch import BorderlineSMOTE

        return BorderlineSMOTE(
            kind=kind,
            k_neighbors=settings["k_neighbors"],
            m_neighbors=settings["m_neighbors"],
            **_categorical(categorical),
        )

    return build


def _adasyn(settings: Mapping[str, Any], categorical: list[int]) -> Any:
    from imbalance_torch import ADASYN

    return ADASYN(n_neighbors=settings["k_neighbors"], **_categorical(categorical))


def _smote_nc(settings: Mapping[str, Any], categorical: list[int]) -> Any:
    from imbalance_torch import SMOTENC

    return SMOTENC(categorical_features=categorical, k_neighbors=settings["k_neighbors"])


RESAMPLERS: dict[str, Resampler] = {
    r.name: r
    for r in (
        Resampler("none", "natural"),
        Resampler("random_over", "oversample", settings=("ratio",)),
        Resampler("random_under", "undersample", settings=("ratio",)),
        Resampler("smote", "oversample", _smote, ("ratio", "k_neighbors")),
        Resampler("borderline1", "oversample", _borderline("borderline-1"), ("ratio", "k_neighbors", "m_neighbors")),
        Resampler("borderline2", "oversample", _borderline("borderline-2"), ("ratio", "k_neighbors", "m_neighbors")),
        Resampler("adasyn", "oversample", _adasyn, ("ratio", "k_neighbors")),
        Resampler("smote_nc", "oversample", _smote_nc, ("ratio", "k_neighbors"), needs_categorical=True),
    )
}
"""``resampling`` name -> :class:`Resampler`, in display order."""


@dataclass(frozen=True)
class Loss:
    """How one ``loss`` name trains the model and what it does to the class prior.

    Attributes:
        name: the ``loss`` value.
        build: ``(hyper-parameters, sampled class counts) -> criterion`` (a module whose
            tensors are buffers).
        prior: ``(hyper-parameters, sampled class counts) -> (C,)`` class prior the raw
            softmax output is calibrated to (see
            :func:`~imbalance_torch.lightning.metrics.effective_prior`); the prior-shift
            correction maps it back to the natural ratio.
        settings: model settings, besides ``loss``, that shape training (a resumed fit must
            keep them).
        needs_class_counts: needs the training class counts (``natural_class_counts``).
    """

    name: str
    build: Callable[[Mapping[str, Any], Tensor], nn.Module]
    prior: Callable[[Mapping[str, Any], Tensor], Tensor]
    settings: tuple[str, ...] = ()
    needs_class_counts: bool = False


def _sampled_prior(hparams: Mapping[str, Any], sampled: Tensor) -> Tensor:
    return effective_prior(sampled)


def _class_weight(hparams: Mapping[str, Any], sampled: Tensor) -> Tensor:
    from imbalance_torch.losses import class_weights

    return class_weights(counts=sampled.long(), scheme=hparams["class_weight_scheme"])


def _focal(hparams: Mapping[str, Any], sampled: Tensor) -> nn.Module:
    from imbalance_torch.losses import FocalLoss

    alpha = hparams["focal_alpha"]
    weight = None if alpha is None else torch.tensor([1.0 - alpha, alpha])
    return FocalLoss(gamma=hparams["focal_gamma"], alpha=weight, task="multiclass")


def _logit_adjusted(hparams: Mapping[str, Any], sampled: Tensor) -> nn.Module:
    from imbalance_torch.losses import LogitAdjustedLoss

    return LogitAdjustedLoss(prior=sampled / sampled.sum(), tau=hparams["logit_adjust_tau"])


LOSSES: dict[str, Loss] = {
    loss.name: loss
    for loss in (
        Loss("cross_entropy", lambda hp, sampled: nn.CrossEntropyLoss(), _sampled_prior),
        Loss(
            "class_weighted",
            lambda hp, sampled: nn.CrossEntropyLoss(weight=_class_weight(hp, sampled).float()),
            lambda hp, sampled: effective_prior(sampled, class_weight=_class_weight(hp, sampled)),
            settings=("class_weight_scheme",),
            needs_class_counts=True,
        ),
        # No closed form for focal loss: treated like cross-entropy, so its "corrected"
        # calibration is an approximation (see effective_prior).
        Loss("focal", _focal, _sampled_prior, settings=("focal_gamma", "focal_alpha")),
        Loss(
            "logit_adjusted",
            _logit_adjusted,
            lambda hp, sampled: effective_prior(sampled, logit_adjust_tau=hp["logit_adjust_tau"]),
            settings=("logit_adjust_tau",),
            needs_class_counts=True,
        ),
    )
}
"""``loss`` name -> :class:`Loss`, in display order."""

# LightningCLI reads these from the constructors' type hints to check YAML values.
ResamplingName = Literal[tuple(RESAMPLERS)]  # type: ignore[valid-type]
LossName = Literal[tuple(LOSSES)]  # type: ignore[valid-type]


def _check_name(argument: str, value: Any, table: Mapping[str, Any], what: str) -> None:
    if not isinstance(value, str):
        raise TypeError(
            f"{argument} must be a string naming a {what}, got {value!r} of type "
            f"{type(value).__name__}; known: {', '.join(table)}."
        )
    if value not in table:
        raise ValueError(f"{argument}={value!r} is not a known {what}; known: {', '.join(table)}.")


def check_resampling(value: Any, argument: str = "resampling") -> Resampler:
    """The :class:`Resampler` called ``value``.

    Raises:
        TypeError: not a string.
        ValueError: an unknown name (the message lists the known ones).
    """
    _check_name(argument, value, RESAMPLERS, "strategy")
    return RESAMPLERS[value]


def check_loss(value: Any, argument: str = "loss") -> Loss:
    """The :class:`Loss` called ``value``.

    Raises:
        TypeError: not a string.
        ValueError: an unknown name (the message lists the known ones).
    """
    _check_name(argument, value, LOSSES, "loss")
    return LOSSES[value]


def strategy_sort_key(resampling: str, loss: str, frozen: bool, name: str) -> tuple[Any, ...]:
    """Where a strategy sorts in reports: the baseline first, then single-part strategies
    (losses, then resamplers, in table order; a frozen variant after its fresh one), then
    combinations; unknown parts last; ties by name."""
    resamplers, losses = list(RESAMPLERS), list(LOSSES)
    r = resamplers.index(resampling) if resampling in RESAMPLERS else len(resamplers)
    lo = losses.index(loss) if loss in LOSSES else len(losses)
    parts = int(r != 0) + int(lo != 0)
    return (parts, r, bool(frozen), lo, name)
