"""The two kinds of strategy part, :class:`Resampler` and :class:`Loss`, and their options.

NOTE [part options]: a part's settings are the constructor arguments of the class it builds
(the oversampler, the cleaning method, the loss), given as one mapping per part
(``data.resampling_options``, ``model.loss_options``) over the defaults its table entry holds.
Keys are checked against the parameters of the classes that own them (``inspect.signature``),
so any argument of those classes can be set from a strategy file or the command line, and a
misspelt one is refused with the known ones. A value may itself be a class, written as
LightningCLI writes one (``{class_path: TomekLinks, init_args: {...}}``; a bare name is looked
up in :mod:`imbalance_torch`), so ``filter:`` of a SMOTE variant takes a cleaning method.
The table reads no torch at import (``--list`` stays fast): classes are named by dotted path
and imported when a part is built.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:  # torch loads when a part is built, not when the table is read (--list)
    from torch import Tensor, nn

__all__ = [
    "ColumnKind",
    "EpochKind",
    "Loss",
    "Resampler",
    "build_option_values",
    "check_options",
    "merged_options",
    "resolve",
    "sampling_strategy",
]

EpochKind = Literal["natural", "oversample", "undersample"]
#: Which feature columns an oversampler handles: ``any`` (categorical columns get SMOTE-NC's
#: rules), ``numeric`` (it interpolates every column, so categorical codes would stop being
#: codes) or ``categorical`` (every column must be a declared categorical column: SMOTE-N).
ColumnKind = Literal["any", "numeric", "categorical"]

ClassRef = str | type | Callable[..., Any]


def resolve(reference: ClassRef) -> Any:
    """The class (or function) ``reference`` names: itself, a dotted path
    (``torch.nn.CrossEntropyLoss``), or a bare public name of :mod:`imbalance_torch`.

    Raises:
        ValueError: a name that imports nothing.
    """
    if not isinstance(reference, str):
        return reference
    module_name, _, attribute = reference.rpartition(".")
    try:
        module = importlib.import_module(module_name or "imbalance_torch")
        return getattr(module, attribute)
    except (ImportError, AttributeError):
        raise ValueError(
            f"class_path {reference!r} names no class; give a public name of imbalance_torch "
            "(e.g. TomekLinks) or a dotted path (e.g. imbalance_torch.TomekLinks)."
        ) from None


def _parameters(owner: ClassRef) -> list[str]:
    target = resolve(owner)
    function = target.__init__ if inspect.isclass(target) else target
    return [
        name
        for name, parameter in inspect.signature(function).parameters.items()
        if name != "self"
        and parameter.kind not in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD)
    ]


def check_options(
    argument: str,
    options: Any,
    owners: Sequence[ClassRef],
    *,
    fixed: Sequence[str] = (),
    part: str = "",
) -> dict[str, Any]:
    """``options`` as a plain dict, every key a parameter of one of ``owners``.

    Args:
        argument: the argument's name in messages (``resampling_options``).
        options: a mapping of constructor arguments, or None (no options).
        owners: the classes (or functions) whose parameters the keys may name.
        fixed: parameters the part sets itself (refused: its name fixes them).
        part: the part's name in messages (``resampling='smote'``).

    Raises:
        TypeError: not a mapping, or a key that is not a string.
        ValueError: a key that no owner takes, or one the part fixes.
    """
    if options is None:
        return {}
    if not isinstance(options, Mapping):
        raise TypeError(
            f"{argument} must be a mapping of constructor arguments (e.g. {{k_neighbors: 3}}), "
            f"got {options!r} of type {type(options).__name__}."
        )
    known = sorted({name for owner in owners for name in _parameters(owner)} - set(fixed))
    for key in options:
        if not isinstance(key, str):
            raise TypeError(f"{argument} keys must be argument names, got {key!r}.")
        if key in fixed:
            raise ValueError(
                f"{argument}: {part} sets {key!r} itself (its name fixes it); choose the "
                "strategy that sets the value you want, or leave the key out."
            )
        if key not in known:
            owner_names = ", ".join(getattr(resolve(o), "__name__", str(o)) for o in owners)
            raise ValueError(
                f"{argument}: {key!r} is not an argument of {owner_names} ({part}); known: "
                f"{', '.join(known) or 'none'}."
            )
    return dict(options)


def merged_options(defaults: Mapping[str, Any], options: Mapping[str, Any]) -> dict[str, Any]:
    """The entry's defaults with ``options`` over them (checked by :func:`check_options`)."""
    return {**defaults, **options}


def build_option_values(options: Mapping[str, Any]) -> dict[str, Any]:
    """``options`` with every ``{class_path: ..., init_args: {...}}`` value built (once, here,
    so a strategy file can give an oversampler its ``filter``)."""
    built = {}
    for key, value in options.items():
        if isinstance(value, Mapping) and "class_path" in value:
            extra = sorted(set(value) - {"class_path", "init_args"})
            if extra:
                raise ValueError(
                    f"{key}: a class value takes class_path and init_args only, got {extra}."
                )
            init_args = value.get("init_args") or {}
            target = resolve(value["class_path"])
            check_options(f"{key}.init_args", init_args, [target], part=str(value["class_path"]))
            built[key] = target(**build_option_values(init_args))
        else:
            built[key] = value
    return built


def sampling_strategy(ratio: float) -> float | str:
    """imbalanced-learn's ``sampling_strategy`` for a minority/majority ``ratio`` (1.0 balances
    every class, also for multi-class data)."""
    return "auto" if ratio == 1.0 else float(ratio)


@dataclass(frozen=True)
class Resampler:
    """How one ``resampling`` name shapes the training epochs.

    Attributes:
        name: the ``resampling`` value.
        epoch: ``natural`` (every train row once, shuffled), ``oversample`` (rows added up to
            ``ratio``: duplicates, or synthetic rows when ``method`` is set) or
            ``undersample`` (a fresh subset of the majority each epoch, down to ``ratio``).
        description: one line for ``compare --list`` and the README's table.
        method: the oversampler class (a public name of :mod:`imbalance_torch` or a dotted
            path), or None for strategies that make no synthetic rows.
        options: defaults of the oversampler's settings (``resampling_options`` go over them,
            NOTE [part options]).
        fixed: ``(ratio) -> constructor arguments`` the name fixes (Borderline's ``kind``,
            the per-epoch ``filter`` of SMOTE-Tomek); not settable.
        neighbors_option: the option that sets the interpolation's neighbour count (the train
            split needs that many + 1 rows of each over-sampled class).
        needs_categorical: refuses data without declared categorical columns (the comparison
            skips the strategy on such data).
        columns: the feature columns the oversampler handles (:data:`ColumnKind`).
        cleaner: builds the unfitted cleaning method (:mod:`imbalance_torch.undersample`)
            from the ratio; the training sampler fits it once on the real train rows and
            never serves the rows it drops (``BalancedSampler(cleaning=...)``). Its arguments
            are part of the strategy's name.
        in_default: run by a comparison that names no strategies (the heavy methods added
            after the first release are opt-in).
        same_as: the default resampler that behaves identically wherever this one runs, or
            None (such an entry is not ``in_default``); ``same_as_reason`` says why.
    """

    name: str
    epoch: EpochKind
    description: str
    method: ClassRef | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    fixed: Callable[[float], dict[str, Any]] | None = None
    neighbors_option: str = "k_neighbors"
    needs_categorical: bool = False
    columns: ColumnKind = "any"
    cleaner: Callable[[float], Any] | None = None
    in_default: bool = True
    same_as: str | None = None
    same_as_reason: str = ""

    @property
    def synthetic(self) -> bool:
        """Whether this strategy generates synthetic rows (a ``SMOTEDataset``)."""
        return self.method is not None

    @property
    def resamples(self) -> bool:
        """Whether the epochs differ from the natural train split (``ratio`` applies)."""
        return self.epoch != "natural"

    @property
    def settings(self) -> tuple[str, ...]:
        """Data-module settings, besides ``resampling``, ``frozen_synthetic`` and
        ``sampler_seed``, that shape every epoch (a resumed fit must keep them)."""
        return (("ratio",) if self.resamples else ()) + (
            ("resampling_options",) if self.synthetic else ()
        )

    def check_options(self, options: Any, argument: str = "resampling_options") -> dict[str, Any]:
        """``options`` checked against the oversampler's parameters, over the defaults.

        Raises:
            TypeError: not a mapping.
            ValueError: options for a strategy that makes no synthetic rows, or a key the
                oversampler does not take (the message lists the ones it does).
        """
        if self.method is None:
            if options:
                raise ValueError(
                    f"{argument}={dict(options)!r}: resampling={self.name!r} builds no "
                    "oversampler, so it takes no options; leave them out."
                )
            return {}
        fixed = tuple(self.fixed(1.0)) if self.fixed is not None else ()
        given = check_options(
            argument, options, [self.method], fixed=("categorical_features", *fixed),
            part=f"resampling={self.name!r}",
        )
        return merged_options(self.options, given)

    def neighbors(self, options: Mapping[str, Any]) -> int:
        """The interpolation's neighbour count under ``options`` (the merged options)."""
        return int(options[self.neighbors_option])

    def build_oversampler(
        self, options: Mapping[str, Any], categorical_features: Sequence[int], ratio: float = 1.0
    ) -> Any:
        """The unfitted oversampler (``None`` for non-synthetic strategies); ``options`` are
        the merged options (:meth:`check_options`)."""
        if self.method is None:
            return None
        arguments = build_option_values(options)
        if self.fixed is not None:
            arguments.update(self.fixed(ratio))
        method = resolve(self.method)
        if categorical_features and "categorical_features" in _parameters(method):
            # The SMOTE variants that take categorical_features apply SMOTE-NC's rules to them;
            # omitted when there are none, so the plain numeric constructors are unchanged.
            # SMOTE-N treats every column as categorical and takes no such argument.
            arguments["categorical_features"] = list(categorical_features)
        return method(**arguments)

    def build_cleaner(self, ratio: float) -> Any:
        """The unfitted cleaning method (``None`` for strategies that serve every real row)."""
        return None if self.cleaner is None else self.cleaner(ratio)

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


@dataclass(frozen=True)
class Loss:
    """How one ``loss`` name trains the model and what it does to the class prior.

    Attributes:
        name: the ``loss`` value.
        description: one line for ``compare --list`` and the README's table.
        build: ``(options, sampled class counts) -> criterion`` (a module whose tensors are
            buffers); ``options`` are the merged ``loss_options``.
        prior: ``(options, sampled class counts) -> (C,)`` class prior the raw softmax
            output is calibrated to (see :func:`imbalance_torch.losses.effective_prior`); the
            prior-shift correction maps it back to the natural ratio.
        owners: the classes or functions whose parameters ``loss_options`` may set.
        options: defaults of those settings.
        fixed: parameters the entry derives from the data (class weights, the prior).
        needs_class_counts: needs the training class counts (``natural_class_counts``).
        in_default: run by a comparison that names no strategies.
        rows_option: the loss argument that takes the number of training rows, for a loss
            that keeps per-row state indexed by row id (``num_rows``); such a loss is called
            with the batch's row ids, which the data module then serves.
        check: ``(merged options, num_classes) -> None``, refusing values the owners accept
            but this entry cannot use (raises ``ValueError``).
    """

    name: str
    description: str
    build: Callable[[Mapping[str, Any], Tensor], nn.Module]
    prior: Callable[[Mapping[str, Any], Tensor], Tensor]
    owners: tuple[ClassRef, ...] = ()
    options: Mapping[str, Any] = field(default_factory=dict)
    fixed: tuple[str, ...] = ()
    needs_class_counts: bool = False
    in_default: bool = True
    rows_option: str | None = None
    check: Callable[[Mapping[str, Any], int], None] | None = None

    @property
    def settings(self) -> tuple[str, ...]:
        """Model settings, besides ``loss``, that shape training (a resumed fit must keep
        them)."""
        return ("loss_options",) if self.owners else ()

    def check_options(
        self, options: Any, num_classes: int, argument: str = "loss_options"
    ) -> dict[str, Any]:
        """``options`` checked against the owners' parameters, over the defaults.

        Raises:
            TypeError: not a mapping.
            ValueError: a key no owner takes, or a value the entry's own check refuses.
        """
        if not self.owners:
            if options:
                raise ValueError(
                    f"{argument}={dict(options)!r}: loss={self.name!r} takes no options; "
                    "leave them out."
                )
            return {}
        given = check_options(
            argument, options, self.owners, fixed=self.fixed, part=f"loss={self.name!r}"
        )
        merged = merged_options(self.options, given)
        if self.check is not None:
            self.check(merged, num_classes)
        return merged
