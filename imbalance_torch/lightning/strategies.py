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
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:  # torch loads when a part is built, not when the table is read (--list)
    from torch import Tensor, nn

__all__ = [
    "CONFIG_DIR",
    "LOSSES",
    "RESAMPLERS",
    "Loss",
    "LossName",
    "Resampler",
    "ResamplingName",
    "check_loss",
    "check_resampling",
    "strategy_parts",
    "strategy_sort_key",
]

CONFIG_DIR = Path(__file__).resolve().parents[1] / "configs"
"""The configs shipped in the package (``configs/`` in a checkout links here): ``trainer.yaml``,
``data.yaml``, ``model.yaml`` and one YAML per comparison arm under ``strategies/``."""

EpochKind = Literal["natural", "oversample", "undersample"]
#: Which feature columns an oversampler handles: ``any`` (categorical columns get SMOTE-NC's
#: rules), ``numeric`` (it interpolates every column, so categorical codes would stop being
#: codes) or ``categorical`` (every column must be a declared categorical column: SMOTE-N).
ColumnKind = Literal["any", "numeric", "categorical"]


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
        needs_categorical: refuses data without declared categorical columns (the comparison
            skips the strategy on such data).
        columns: the feature columns the oversampler handles (:data:`ColumnKind`), checked by
            :meth:`check_columns`.
        cleaner: builds the unfitted cleaning method (:mod:`imbalance_torch.undersample`) from
            the data module's settings; the training sampler fits it once on the real train
            rows and never serves the rows it drops (``BalancedSampler(cleaning=...)``).
            ``None`` for strategies that serve every real row. Its fixed arguments are part
            of the strategy's name; settings it reads belong in ``settings``.
        in_default: run by a comparison that names no strategies. The methods added after
            the first release (SVM/KMeans-SMOTE, SMOTE-N, cleaning and the filtered SMOTEs)
            are opt-in: their fits are heavy (SVM-SMOTE's SVC took 39 s per run on the
            built-in data) and would double the default run; name them in ``--strategies``.
        same_as: the default resampler that behaves identically wherever this one runs, or
            None. A comparison that names no strategies leaves this one out with
            ``same_as_reason`` (it would run one arm twice); it runs when named. Such an
            entry is not ``in_default``.
        same_as_reason: why the two behave identically, for the comparison's skipped list.
    """

    name: str
    epoch: EpochKind
    oversampler: Callable[[Mapping[str, Any], list[int]], Any] | None = None
    settings: tuple[str, ...] = ()
    needs_categorical: bool = False
    columns: ColumnKind = "any"
    cleaner: Callable[[Mapping[str, Any]], Any] | None = None
    in_default: bool = True
    same_as: str | None = None
    same_as_reason: str = ""

    @property
    def synthetic(self) -> bool:
        """Whether this strategy generates synthetic rows (a ``SMOTEDataset``)."""
        return self.oversampler is not None

    @property
    def resamples(self) -> bool:
        """Whether the epochs differ from the natural train split (``ratio`` applies)."""
        return self.epoch != "natural"

    def build_oversampler(
        self, settings: Mapping[str, Any], categorical_features: Sequence[int]
    ) -> Any:
        """The unfitted oversampler (``None`` for non-synthetic strategies)."""
        if self.oversampler is None:
            return None
        return self.oversampler(settings, list(categorical_features))

    def build_cleaner(self, settings: Mapping[str, Any]) -> Any:
        """The unfitted cleaning method (``None`` for strategies that serve every real row)."""
        return None if self.cleaner is None else self.cleaner(settings)

    def check_columns(self, categorical_features: Sequence[int], num_features: int) -> None:
        """Refuse feature columns the oversampler cannot handle (see :data:`ColumnKind`).

        Raises:
            ValueError: categorical columns for a ``numeric`` oversampler, or numeric columns
                for a ``categorical`` one; the message names the columns and the fix.
        """
        categorical = sorted(set(categorical_features))
        if self.columns == "numeric" and categorical:
            raise ValueError(
                f"resampling={self.name!r} interpolates every column, so the categorical "
                f"columns {categorical} (of {num_features}) would get values that are not "
                "category codes; use 'smote' or 'borderline1' (they keep categorical columns "
                "valid, SMOTE-NC's rule), or leave those columns out (drop_columns)."
            )
        numeric = [c for c in range(num_features) if c not in set(categorical)]
        if self.columns == "categorical" and numeric:
            raise ValueError(
                f"resampling={self.name!r} needs every column to be categorical, but "
                f"{len(numeric)} of the {num_features} columns are numeric (columns "
                f"{numeric[:10]}{' ...' if len(numeric) > 10 else ''}); declare them all in "
                "categorical (--data.categorical) or use 'smote_nc' for mixed data."
            )

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

    def ratio_problem(self, natural: Sequence[int], ratio: float) -> str | None:
        """Why ``ratio`` leaves nothing to resample on a binary train split with ``natural``
        rows per class (it is at or below the split's own minority/majority ratio), or None
        when this strategy has work to do (or does not resample)."""
        if not self.resamples or len(natural) != 2:
            return None
        majority = max(range(2), key=lambda c: natural[c])
        minority, largest = natural[1 - majority], natural[majority]
        current = minority / largest
        if ratio > current:
            return None
        return (
            f"ratio={ratio} is not above the train split's own minority/majority ratio "
            f"{current:.4g} ({minority}/{largest}), so resampling={self.name!r} has "
            f"nothing to do; choose a ratio above {current:.4g}"
        )

    def check_ratio(self, natural: Sequence[int], ratio: float) -> None:
        """Refuse a ``ratio`` at or below the train split's own (nothing to resample).

        Raises:
            ValueError: naming both ratios and the counts.
        """
        problem = self.ratio_problem(natural, ratio)
        if problem is not None:
            raise ValueError(problem + ".")

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
        ``sampling_strategy`` from :func:`sampling_strategy`), so nothing is passed. A
        natural epoch with a ``cleaner`` is every kept row once (no rows added); the
        ``cleaning`` itself is built per data module (:meth:`build_cleaner`).
        """
        if self.epoch == "natural":
            return None if self.cleaner is None else {"oversampling": None}
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


def _svm_smote(settings: Mapping[str, Any], categorical: list[int]) -> Any:
    from imbalance_torch import SVMSMOTE

    return SVMSMOTE(k_neighbors=settings["k_neighbors"], m_neighbors=settings["m_neighbors"])


def _kmeans_smote(settings: Mapping[str, Any], categorical: list[int]) -> Any:
    from imbalance_torch import KMeansSMOTE

    # imbalanced-learn's "auto" threshold is 0.5 on binary data: a kept cluster must be half
    # minority, which no cluster of strongly imbalanced data is (fraud_like: 0.5 % at most), so
    # the fit would fail. Here every cluster with k_neighbors + 1 minority rows is kept and
    # weighted by its sparsity (configs/strategies/kmeans_smote.yaml says so).
    return KMeansSMOTE(k_neighbors=settings["k_neighbors"], cluster_balance_threshold=0.0)


def _smoten(settings: Mapping[str, Any], categorical: list[int]) -> Any:
    from imbalance_torch import SMOTEN

    return SMOTEN(k_neighbors=settings["k_neighbors"])


# NOTE [cleaning strategies]: a cleaner's own arguments are fixed per strategy name (so a
# resumed fit that keeps the name keeps them). The real train rows are cleaned in the classes
# other than the minority (imbalanced-learn's "auto"), also in the SMOTE combinations:
# imbalanced-learn's SMOTETomek / SMOTEENN clean every class, but after balancing, when a real
# minority row's neighbours are mostly synthetic rows, so they keep nearly all real minority
# rows; cleaning "all" classes before any synthetic row exists dropped every real minority row
# of the train split of fraud_like at 20,000 rows (23 of 23 with ENN, kind_sel "mode"). The
# combinations then filter each epoch's synthetic rows with the same rule against the real
# rows (NOTE [per-epoch filtering] in oversample/_filters.py); SMOTE-ENN's filter uses
# kind_sel="mode", since with "all" a synthetic row must agree with every one of its real
# neighbours, and the fit is refused on 20,000 fraud-like rows for accepting fewer than 10 %
# of the draws (README: SMOTE-Tomek, SMOTE-ENN and safe=).
def _tomek_links(classes: str) -> Callable[[Mapping[str, Any]], Any]:
    def build(settings: Mapping[str, Any]) -> Any:
        from imbalance_torch import TomekLinks

        return TomekLinks(sampling_strategy=classes)

    return build


def _edited(classes: str, kind_sel: str) -> Callable[[Mapping[str, Any]], Any]:
    def build(settings: Mapping[str, Any]) -> Any:
        from imbalance_torch import EditedNearestNeighbours

        return EditedNearestNeighbours(sampling_strategy=classes, kind_sel=kind_sel)

    return build


def _near_miss(settings: Mapping[str, Any]) -> Any:
    from imbalance_torch import NearMiss

    return NearMiss(sampling_strategy=sampling_strategy(settings["ratio"]), version=1)


def _filtered_smote(
    cleaner: Callable[[Mapping[str, Any]], Any],
) -> Callable[[Mapping[str, Any], list[int]], Any]:
    def build(settings: Mapping[str, Any], categorical: list[int]) -> Any:
        from imbalance_torch import SMOTE

        return SMOTE(
            k_neighbors=settings["k_neighbors"],
            filter=cleaner(settings),
            **_categorical(categorical),
        )

    return build


RESAMPLERS: dict[str, Resampler] = {
    r.name: r
    for r in (
        Resampler("none", "natural"),
        Resampler("random_over", "oversample", settings=("ratio",)),
        Resampler("random_under", "undersample", settings=("ratio",)),
        Resampler("smote", "oversample", _smote, ("ratio", "k_neighbors")),
        Resampler(
            "borderline1",
            "oversample",
            _borderline("borderline-1"),
            ("ratio", "k_neighbors", "m_neighbors"),
        ),
        Resampler(
            "borderline2",
            "oversample",
            _borderline("borderline-2"),
            ("ratio", "k_neighbors", "m_neighbors"),
        ),
        Resampler("adasyn", "oversample", _adasyn, ("ratio", "k_neighbors")),
        # SMOTE takes the declared categorical columns with SMOTE-NC's rules (the distance
        # term and the neighbour vote), so on data where smote_nc runs it draws the rows
        # smote draws (tests/lightning/test_default_arms.py): opt-in, by name.
        Resampler(
            "smote_nc",
            "oversample",
            _smote_nc,
            ("ratio", "k_neighbors"),
            needs_categorical=True,
            in_default=False,
            same_as="smote",
            same_as_reason="smote applies SMOTE-NC's rules to the declared categorical columns",
        ),
        Resampler(
            "svm_smote",
            "oversample",
            _svm_smote,
            ("ratio", "k_neighbors", "m_neighbors"),
            columns="numeric",
            in_default=False,
        ),
        Resampler(
            "kmeans_smote",
            "oversample",
            _kmeans_smote,
            ("ratio", "k_neighbors"),
            columns="numeric",
            in_default=False,
        ),
        Resampler(
            "smoten",
            "oversample",
            _smoten,
            ("ratio", "k_neighbors"),
            needs_categorical=True,
            columns="categorical",
            in_default=False,
        ),
        Resampler("tomek", "natural", cleaner=_tomek_links("auto"), in_default=False),
        Resampler("enn", "natural", cleaner=_edited("auto", "all"), in_default=False),
        Resampler(
            "nearmiss", "undersample", settings=("ratio",), cleaner=_near_miss, in_default=False
        ),
        Resampler(
            "smote_tomek",
            "oversample",
            _filtered_smote(_tomek_links("auto")),
            ("ratio", "k_neighbors"),
            cleaner=_tomek_links("auto"),
            in_default=False,
        ),
        Resampler(
            "smote_enn",
            "oversample",
            _filtered_smote(_edited("auto", "mode")),
            ("ratio", "k_neighbors"),
            cleaner=_edited("auto", "all"),
            in_default=False,
        ),
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
            :func:`~imbalance_torch.lightning.model.metrics.effective_prior`); the prior-shift
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
    from imbalance_torch.lightning.model.metrics import effective_prior

    return effective_prior(sampled)


def _cross_entropy(hparams: Mapping[str, Any], sampled: Tensor) -> nn.Module:
    from torch import nn

    return nn.CrossEntropyLoss()


def _class_weighted(hparams: Mapping[str, Any], sampled: Tensor) -> nn.Module:
    from torch import nn

    return nn.CrossEntropyLoss(weight=_class_weight(hparams, sampled).float())


def _class_weighted_prior(hparams: Mapping[str, Any], sampled: Tensor) -> Tensor:
    from imbalance_torch.lightning.model.metrics import effective_prior

    return effective_prior(sampled, class_weight=_class_weight(hparams, sampled))


def _logit_adjusted_prior(hparams: Mapping[str, Any], sampled: Tensor) -> Tensor:
    from imbalance_torch.lightning.model.metrics import effective_prior

    return effective_prior(sampled, logit_adjust_tau=hparams["logit_adjust_tau"])


def _class_weight(hparams: Mapping[str, Any], sampled: Tensor) -> Tensor:
    from imbalance_torch.losses import class_weights

    return class_weights(counts=sampled.long(), scheme=hparams["class_weight_scheme"])


def _focal(hparams: Mapping[str, Any], sampled: Tensor) -> nn.Module:
    import torch

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
        Loss("cross_entropy", _cross_entropy, _sampled_prior),
        Loss(
            "class_weighted",
            _class_weighted,
            _class_weighted_prior,
            settings=("class_weight_scheme",),
            needs_class_counts=True,
        ),
        # No closed form for focal loss: treated like cross-entropy, so its "corrected"
        # calibration is an approximation (see effective_prior).
        Loss("focal", _focal, _sampled_prior, settings=("focal_gamma", "focal_alpha")),
        Loss(
            "logit_adjusted",
            _logit_adjusted,
            _logit_adjusted_prior,
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


def strategy_parts(
    config: dict[str, Any], defaults: dict[str, Any] | None = None
) -> tuple[str, str, bool]:
    """``(resampling, loss, frozen_synthetic)`` of a strategy config over ``defaults``."""
    defaults = defaults or {}
    data = {**(defaults.get("data") or {}), **(config.get("data") or {})}
    model = {**(defaults.get("model") or {}), **(config.get("model") or {})}
    return (
        data.get("resampling", "none"),
        model.get("loss", "cross_entropy"),
        bool(data.get("frozen_synthetic", False)),
    )


def strategy_sort_key(resampling: str, loss: str, frozen: bool, name: str) -> tuple[Any, ...]:
    """Where a strategy sorts in reports: the baseline first, then single-part strategies
    (losses, then resamplers, in table order; a frozen variant after its fresh one), then
    combinations; unknown parts last; ties by name."""
    resamplers, losses = list(RESAMPLERS), list(LOSSES)
    r = resamplers.index(resampling) if resampling in RESAMPLERS else len(resamplers)
    lo = losses.index(loss) if loss in LOSSES else len(losses)
    parts = int(r != 0) + int(lo != 0)
    return (parts, r, bool(frozen), lo, name)
