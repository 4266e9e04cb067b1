"""``sampling_strategy`` -> per-class row counts, with imbalanced-learn 0.14's semantics.

Over-sampling returns the number of rows **to add** per class (imbalanced-learn's
``sampling_strategy_``); under-sampling returns the number of rows **to keep** per class.
Both are dicts sorted by class label. Ties between equally large (or small) classes go to the
smallest label, as in imbalanced-learn.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Mapping
from fractions import Fraction
from typing import Any

import numpy as np
import torch

from imbalance_torch._validation import describe

__all__ = ["class_counts", "exact_ratio", "oversampling_targets", "undersampling_targets"]

SamplingStrategy = float | str | Mapping[int, int] | Callable[..., Mapping[int, int]]

_OVER_STRINGS = ("auto", "minority", "not minority", "not majority", "all")
_UNDER_STRINGS = ("auto", "majority", "not minority", "not majority", "all")


def class_counts(y: Any) -> dict[int, int]:
    """Rows per class, sorted by label, as plain Python ints."""
    if isinstance(y, torch.Tensor):
        y = y.detach()
        if y.numel() and not y.is_floating_point():
            low, high = (int(v) for v in torch.aminmax(y))
            if low >= 0 and high < 2**20:  # small non-negative labels: count without sorting
                counts = torch.bincount(y, minlength=high + 1).cpu()
                present = counts.nonzero().flatten()
                return {int(label): int(counts[label]) for label in present.tolist()}
        labels, counts = torch.unique(y.cpu(), return_counts=True)
        return {int(label): int(count) for label, count in zip(labels.tolist(), counts.tolist())}
    labels, counts = np.unique(np.asarray(y), return_counts=True)
    return {int(label): int(count) for label, count in zip(labels.tolist(), counts.tolist())}


# NOTE [exact ratios]: a float ratio is read as the simplest fraction that the float stands
# for (the fraction with the smallest denominator among all reals that round to that float:
# 0.29 is 29/100, 1/3 is 1/3, 0.1 is 1/10), and every count derived from it is exact integer
# arithmetic on that fraction. imbalanced-learn computes int(0.29 * 100) in binary floating
# point, which gives 28 (0.29 is stored as 0.28999...); here 0.29 of 100 is 29, and 1/3 of 900
# is 300. Every place a ratio becomes a count calls exact_ratio.
def exact_ratio(value: float) -> Fraction:
    """The float ``value`` as the simplest fraction it stands for (NOTE [exact ratios]).

    Example:
        >>> exact_ratio(0.29), exact_ratio(1 / 3), 100 * exact_ratio(0.29) == 29
        (Fraction(29, 100), Fraction(1, 3), True)
    """
    if isinstance(value, Fraction):
        return value
    if isinstance(value, numbers.Integral):
        return Fraction(int(value))
    value = float(value)
    if not math.isfinite(value) or value <= 0:
        return Fraction(value) if math.isfinite(value) else Fraction(0)
    exact = Fraction(value)
    low = (exact + Fraction(math.nextafter(value, 0.0))) / 2
    high = (exact + Fraction(math.nextafter(value, math.inf))) / 2
    return _simplest_between(low, high)


def _simplest_between(low: Fraction, high: Fraction) -> Fraction:
    """The fraction with the smallest denominator in ``[low, high]`` (``0 < low <= high``),
    by continued fractions (at most ~40 steps for the interval of a float)."""
    whole = math.floor(low)
    if whole == low or whole < math.floor(high):
        return Fraction(whole if whole == low else whole + 1)
    return whole + 1 / _simplest_between(1 / (high - whole), 1 / (low - whole))


def ratio_at_least(bound: Fraction, works: Callable[[float], bool]) -> float:
    """The shortest decimal ``r >= bound`` (at most 1) for which ``works(r)`` holds: a ratio
    an error message can suggest and that really works when typed back."""
    for digits in range(1, 18):
        scale = 10**digits
        candidate = min(Fraction(math.ceil(bound * scale), scale), Fraction(1))
        if works(float(candidate)):
            return float(candidate)
    return 1.0


def _first_max(counts: dict[int, int]) -> int:
    return max(counts, key=counts.__getitem__)


def _first_min(counts: dict[int, int]) -> int:
    return min(counts, key=counts.__getitem__)


def _check_common(counts: dict[int, int], sampling_strategy: Any, kind: str) -> None:
    if len(counts) < 2:
        raise ValueError(
            f"y needs at least 2 classes to {kind}; got {len(counts)} class "
            f"({list(counts)}). Check that the labels passed are the training labels."
        )
    if isinstance(sampling_strategy, bool):
        raise TypeError(
            f"sampling_strategy must be a float, str, dict or callable; got the bool "
            f"{sampling_strategy}."
        )


def _check_float(value: float, counts: dict[int, int]) -> None:
    if not 0 < value <= 1:
        raise ValueError(
            f"sampling_strategy={value} is a float outside (0, 1]; a float is the ratio "
            f"N_minority / N_majority after resampling, e.g. 1.0 for 1:1 or 0.5 for 1:2."
        )
    if len(counts) != 2:
        raise ValueError(
            f"sampling_strategy={value} is a float, which needs exactly 2 classes; y has "
            f"{len(counts)} ({list(counts)[:10]}). For multi-class targets pass a dict "
            f"{{class: rows}} or a string such as 'auto'."
        )


def _check_dict(
    strategy: Mapping[Any, Any], counts: dict[int, int], origin: str
) -> dict[int, int]:
    if not isinstance(strategy, Mapping):
        raise TypeError(
            f"{origin} must return a dict {{class: rows}}; got {type(strategy).__name__}."
        )
    checked: dict[int, int] = {}
    for key, value in strategy.items():
        if isinstance(key, bool) or not isinstance(key, numbers.Integral):
            raise TypeError(f"{origin} has the key {describe(key)}; class keys must be ints.")
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise TypeError(
                f"{origin} maps class {key} to {describe(value)}; row counts must be ints."
            )
        checked[int(key)] = int(value)
    unknown = sorted(set(checked) - set(counts))
    if unknown:
        raise ValueError(
            f"{origin} names class(es) {unknown} that are not in y (classes present: "
            f"{list(counts)[:20]}); remove them or check the labels."
        )
    negative = {k: v for k, v in checked.items() if v < 0}
    if negative:
        raise ValueError(
            f"{origin} asks for a negative number of rows: {negative}; counts must be >= 0."
        )
    return checked


def _named_classes(counts: dict[int, int], name: str, kind: str) -> list[int]:
    """The classes a string ``sampling_strategy`` names, for ``kind`` 'over' or 'under'."""
    majority, minority = _first_max(counts), _first_min(counts)
    if name == "auto":
        name = "not majority" if kind == "over" else "not minority"
    if name == ("majority" if kind == "over" else "minority"):
        raise ValueError(
            f"sampling_strategy={name!r} cannot be used to {kind}-sample (it would "
            + ("add rows to the largest class only, which adds nothing); use 'auto' or 'all', or "
               "under-sample the majority with BalancedSampler(undersampling=...)."
               if kind == "over" else
               "remove rows of the smallest class); use 'auto', 'majority' or a float ratio.")
        )
    selections = {
        "not majority": [c for c in counts if c != majority],
        "not minority": [c for c in counts if c != minority],
        "minority": [minority],
        "majority": [majority],
        "all": list(counts),
    }
    if name not in selections:
        known = _OVER_STRINGS if kind == "over" else _UNDER_STRINGS
        raise ValueError(
            f"sampling_strategy={name!r} is not a known string for {kind}-sampling; use one of "
            f"{list(known)}, a float ratio or a dict."
        )
    return sorted(selections[name])


def _over_count(ratio: float, n_max: int) -> int:
    """Rows of a minority class after over-sampling to ``ratio``: floor(ratio x n_max), exact."""
    return math.floor(exact_ratio(ratio) * n_max)


def _under_count(ratio: float, n_min: int) -> int:
    """Rows a majority class keeps after under-sampling to ``ratio``: floor(n_min / ratio)."""
    return math.floor(n_min / exact_ratio(ratio))


def _requested(y: Any, sampling_strategy: Any, counts: dict[int, int]) -> dict[int, int]:
    """A dict or callable ``sampling_strategy``, checked: ``{class: rows}``."""
    if isinstance(sampling_strategy, Mapping):
        return _check_dict(sampling_strategy, counts, "sampling_strategy")
    if callable(sampling_strategy):
        return _check_dict(sampling_strategy(y), counts, "the sampling_strategy callable")
    raise TypeError(
        f"sampling_strategy must be a float, str, dict or callable; got "
        f"{type(sampling_strategy).__name__} {describe(sampling_strategy)}."
    )


def oversampling_targets(y: Any, sampling_strategy: SamplingStrategy = "auto") -> dict[int, int]:
    """Rows to add per class for an over-sampler, exactly as imbalanced-learn 0.14.

    Args:
        y: 1-D class labels (tensor, array or list).
        sampling_strategy: ``float`` in (0, 1] (binary only: N_min / N_maj after
            over-sampling; the target ``floor(ratio x N_maj)`` is computed exactly on the
            fraction the float stands for, so 0.29 of 100 majority rows is 29 and 1/3 of 900
            is 300: see NOTE [exact ratios];
            imbalanced-learn computes it in binary floating point and gets 28),
            ``'auto'`` (= ``'not majority'``), ``'minority'``, ``'not minority'``,
            ``'not majority'``, ``'all'``, a dict ``{class: desired total rows}``, or a
            callable ``f(y) -> dict``.

    Returns:
        ``{class: rows to add}`` sorted by class. Entries of 0 are kept (imbalanced-learn keeps
        them too); samplers skip them.

    Raises:
        ValueError: fewer than 2 classes, a float outside (0, 1] or on non-binary targets, a
            float that would remove rows, an unknown string or class, a negative count, or a
            dict total below the class's current count.
        TypeError: a bool or an object of another type.

    Example:
        >>> oversampling_targets([0] * 100 + [1] * 10, 0.29)
        {1: 19}
    """
    counts = class_counts(y)
    _check_common(counts, sampling_strategy, "over-sample")
    n_max = max(counts.values())
    if isinstance(sampling_strategy, str):
        chosen = _named_classes(counts, sampling_strategy, "over")
        return {c: n_max - counts[c] for c in chosen}
    if isinstance(sampling_strategy, numbers.Real):
        value = float(sampling_strategy)
        _check_float(value, counts)
        majority = _first_max(counts)
        targets = {c: _over_count(value, n_max) - n for c, n in counts.items() if c != majority}
        short = {c: v for c, v in targets.items() if v <= 0}
        if short:
            (cls,) = short
            n = counts[cls]
            works = ratio_at_least(Fraction(n + 1, n_max), lambda r: _over_count(r, n_max) > n)
            raise ValueError(
                f"sampling_strategy={value} would add no rows to class {cls}: it has {n} rows "
                f"and {value} x {n_max} majority rows gives a target of "
                f"{_over_count(value, n_max)} rows. Over-sampling only adds rows; use a ratio "
                f"of at least {works:g} ({_over_count(works, n_max)} rows)."
            )
        return dict(sorted(targets.items()))
    wanted = _requested(y, sampling_strategy, counts)
    for cls, total in wanted.items():
        if total < counts[cls]:
            raise ValueError(
                f"sampling_strategy asks for {total} rows of class {cls}, which has "
                f"{counts[cls]}; over-sampling cannot remove rows. Ask for at least "
                f"{counts[cls]} or under-sample with BalancedSampler(undersampling=...)."
            )
    return {c: wanted[c] - counts[c] for c in sorted(wanted)}


def undersampling_targets(y: Any, sampling_strategy: SamplingStrategy = "auto") -> dict[int, int]:
    """Rows to keep per class for an under-sampler, as imbalanced-learn 0.14's
    ``RandomUnderSampler``.

    Args:
        y: 1-D class labels.
        sampling_strategy: ``float`` in (0, 1] (binary only: N_min / N_maj after
            under-sampling, so the majority keeps ``floor(N_min / ratio)`` rows, exactly:
            NOTE [exact ratios]),
            ``'auto'`` (= ``'not minority'``), ``'majority'``, ``'not minority'``,
            ``'not majority'``, ``'all'`` (the named classes keep N_min rows), a dict
            ``{class: rows to keep}`` or a callable returning one.

    Returns:
        ``{class: rows to keep}`` sorted by class; classes not listed keep all their rows.

    Raises:
        ValueError: as :func:`oversampling_targets`, and for a count above the class's current
            count (under-sampling cannot add rows).
        TypeError: a bool or an object of another type.

    Example:
        >>> undersampling_targets([0] * 100 + [1] * 10, 0.5)
        {0: 20}
    """
    counts = class_counts(y)
    _check_common(counts, sampling_strategy, "under-sample")
    n_min = min(counts.values())
    if isinstance(sampling_strategy, str):
        chosen = _named_classes(counts, sampling_strategy, "under")
        return {c: n_min for c in chosen}
    if isinstance(sampling_strategy, numbers.Real):
        value = float(sampling_strategy)
        _check_float(value, counts)
        minority = _first_min(counts)
        targets = {c: _under_count(value, n_min) for c in counts if c != minority}
        over = {c: v for c, v in targets.items() if v > counts[c]}
        if over:
            (cls,) = over
            n = counts[cls]
            works = ratio_at_least(Fraction(n_min, n), lambda r: _under_count(r, n_min) <= n)
            raise ValueError(
                f"sampling_strategy={value} would keep {over[cls]} rows of class {cls} "
                f"({n_min} minority rows / {value}), which has {n}; under-sampling cannot add "
                f"rows. Use a ratio of at least {works:g} (keeps {_under_count(works, n_min)} "
                f"rows), or over-sample instead."
            )
        return dict(sorted(targets.items()))
    wanted = _requested(y, sampling_strategy, counts)
    for cls, keep in wanted.items():
        if keep > counts[cls]:
            raise ValueError(
                f"sampling_strategy asks to keep {keep} rows of class {cls}, which has "
                f"{counts[cls]}; under-sampling cannot add rows. Ask for at most "
                f"{counts[cls]}, or over-sample instead."
            )
    return dict(sorted(wanted.items()))
