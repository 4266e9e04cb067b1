"""Statistics for strategy comparisons: paired tests over seeds, ranks over datasets.

Two views, each with the test suited to it:

* **One dataset, a handful of seeds.** Runs are paired by seed index (same split, same
  initial weights), so each arm is compared with a reference arm through its per-seed
  differences ``d_s = arm_s - reference_s``. See ``NOTE [paired test over seeds]``.
* **Many datasets.** Strategies are ranked on each dataset and the mean ranks compared with
  the Friedman test and the Nemenyi critical difference (Demšar, 2006).

The tests themselves are scipy's (``scipy.stats``); this module only chooses them, pairs
the numbers and words the outcome. Holm's adjustment (:func:`holm`) is written here: scipy
has Benjamini-Hochberg (``scipy.stats.false_discovery_control``) but not Holm, and a
comparison's verdict needs the family-wise control Holm gives (``NOTE [multiple
comparisons]``).

NOTE [paired test over seeds]
    The decision uses the two-sided paired t-test (``scipy.stats.ttest_rel``) with the
    matching t interval for the mean difference: with ``n`` pairs the interval is
    ``mean(d) ± t_{(1+c)/2, n-1} · sd(d)/sqrt(n)``, and it excludes 0 exactly when
    ``p < 1 - c``, so the interval and the reading never disagree. The Wilcoxon
    signed-rank test (``scipy.stats.wilcoxon``) is reported beside it as a check that needs
    no normality, but it cannot decide with few seeds: its smallest two-sided exact p-value
    is ``2 / 2**n`` (0.25 at 3 seeds, 0.0625 at 5), so below 6 pairs it can never reach
    0.05. With one pair there is no spread and no test at all; the reading says so. When
    every difference is exactly 0 the t statistic is 0/0: the reading says "same on every
    seed" instead of reporting scipy's NaN. Each p-value is per comparison; the verdict of a
    comparison that belongs to a family of comparisons uses its Holm-adjusted p-value
    (``NOTE [multiple comparisons]``).

NOTE [multiple comparisons]
    A comparison of k arms makes many tests at once, and at the 5 % level some reading of
    twelve arms is "better" or "worse" by chance alone. Two families, each adjusted with
    Holm's step-down method (:func:`holm`; it controls the chance of any false reading in
    the family at the test level under any dependence between the tests):

    * **Against the reference** (``none``, fixed before the results): the k - 1 comparisons
      with it are one family. This is the primary reading and the one the advice rests on
      (which arm to train). The raw p-value is reported beside the adjusted one.
    * **Against the best arm**, chosen *after* seeing the results: the best arm's mean is the
      largest of k noisy means, so every other arm looks worse than it more often than the
      test level says. Adjusting only the k - 1 comparisons with it does not undo that
      selection; adjusting over every pairwise comparison of the k arms does, since the
      comparisons with whichever arm turns out best are among them. Measured on simulated
      equal arms (``benchmarks/holm_best_arm.py``: normal scores, 4,000 repetitions): with 12
      arms and 3 seeds at least one arm read "worse than the best" in 59.0 % of the
      repetitions with raw p-values, 9.2 % after Holm over the 11 comparisons with the best,
      1.5 % after Holm over all 66 pairs (5 seeds: 64.6 %, 12.3 %, 1.9 %; 4 arms and 3
      seeds: 17.6 %, 6.8 %, 3.5 %). So the best-arm family is every pair.

    The t interval stays the per-comparison 95 % interval (Holm has no matching interval):
    under an adjustment an interval that excludes 0 can go with a "within noise" reading.

References:
    Student (1908), "The probable error of a mean", Biometrika 6(1).
    Wilcoxon, F. (1945), "Individual comparisons by ranking methods", Biometrics Bulletin 1(6).
    Demšar, J. (2006), "Statistical comparisons of classifiers over multiple data sets",
    JMLR 7:1-30 (Friedman test, Iman-Davenport correction, Nemenyi test, CD diagrams).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np
from scipy import stats

from imbalance_torch.lightning.compare.ranks import (
    FriedmanResult,
    friedman_test,
    mean_ranks,
    nemenyi_cliques,
    nemenyi_critical_difference,
)

__all__ = [
    "FriedmanResult",
    "PairedComparison",
    "compare_with_best",
    "compare_with_reference",
    "format_p",
    "friedman_test",
    "holm",
    "mean_ranks",
    "nemenyi_cliques",
    "nemenyi_critical_difference",
    "paired_by_seed",
    "paired_comparison",
    "sample_std",
]

PAIRED_TEST = "two-sided paired t-test (scipy.stats.ttest_rel), t interval; Wilcoxon signed-rank"


def sample_std(values: Any) -> float:
    """The sample standard deviation (``ddof=1``) of ``values``, NaN for fewer than two: the
    one spread function of a comparison (the summary's ``std`` per arm and the paired
    differences' standard error alike)."""
    array = np.asarray(values, dtype=float)
    return float(array.std(ddof=1)) if array.size > 1 else math.nan


def format_p(p_value: float | None, *, bare: bool = False) -> str:
    """``p=0.41``, ``p=0.012``, ``p<0.001`` (two significant digits), ``p=n/a`` for NaN or
    None; with ``bare=True`` without the ``p``/``p=`` (``0.41``, ``<0.001``, ``n/a``)."""
    if p_value is None or not math.isfinite(p_value):
        text = "p=n/a"
    elif p_value < 0.001:
        text = "p<0.001"
    else:
        text = f"p={p_value:.2g}"
    return text.removeprefix("p").removeprefix("=") if bare else text


def _check_confidence(confidence: float) -> None:
    if isinstance(confidence, bool) or not isinstance(confidence, (int, float)):
        raise TypeError(f"confidence must be a float in (0, 1), got {type(confidence).__name__}.")
    if not 0.0 < confidence < 1.0:
        raise ValueError(
            f"confidence={confidence} must lie strictly between 0 and 1; use 0.95 for a 95 % "
            "interval and a test at the 5 % level."
        )


@dataclass(frozen=True)
class PairedComparison:
    """One arm against a reference arm, paired by seed (or by dataset).

    Attributes:
        arm: the arm compared.
        reference: the arm it is compared with.
        unit: what pairs the runs ("seed" or "dataset"), used in the reading.
        pairs: the pairing keys present for both arms, sorted.
        differences: ``arm - reference`` per pair, in the order of ``pairs``.
        mean: mean difference (NaN without pairs).
        ci_low, ci_high: the t interval for the mean difference at ``confidence``
            (NaN with fewer than 2 pairs).
        t_statistic, p_value: paired t-test, two-sided (NaN with fewer than 2 pairs or when
            every difference is 0).
        wilcoxon_p_value: Wilcoxon signed-rank test, two-sided, zero differences dropped
            (NaN with fewer than 2 pairs or no non-zero difference).
        confidence: level of the interval; the test is at ``1 - confidence``.
        higher_is_better: whether a positive difference favours ``arm``.
        adjusted_p_value: the t-test p-value adjusted for the family this comparison
            belongs to (NaN when it is not adjusted, or has no test).
        adjustment: ``"none"`` (the verdict uses ``p_value``) or ``"holm"`` (the verdict
            uses ``adjusted_p_value``; NOTE [multiple comparisons]).
        family: the family of comparisons adjusted together, in words (empty when
            ``adjustment`` is ``"none"``).
        family_size: the number of tests in that family (1 when not adjusted).
    """

    arm: str
    reference: str
    unit: str
    pairs: tuple[Hashable, ...]
    differences: tuple[float, ...]
    mean: float
    ci_low: float
    ci_high: float
    t_statistic: float
    p_value: float
    wilcoxon_p_value: float
    confidence: float = 0.95
    higher_is_better: bool = True
    adjusted_p_value: float = math.nan
    adjustment: str = "none"
    family: str = ""
    family_size: int = 1

    @property
    def n(self) -> int:
        """Number of pairs."""
        return len(self.differences)

    @property
    def decision_p_value(self) -> float:
        """The p-value the verdict uses: ``adjusted_p_value`` under an adjustment, else
        ``p_value``."""
        return self.p_value if self.adjustment == "none" else self.adjusted_p_value

    @property
    def verdict(self) -> str:
        """``better``, ``worse``, ``within noise``, ``same`` or ``untested``."""
        if self.n < 2:
            return "untested"
        if all(d == 0.0 for d in self.differences):
            return "same"
        p_value = self.decision_p_value
        if not (math.isfinite(p_value) and p_value < 1.0 - self.confidence):
            return "within noise"
        return "better" if (self.mean > 0) == self.higher_is_better else "worse"

    @property
    def p_text(self) -> str:
        """``p=0.012``, or under an adjustment ``p=0.004, Holm p=0.012``."""
        if self.adjustment == "none":
            return format_p(self.p_value)
        return f"{format_p(self.p_value)}, {self.adjustment.capitalize()} {format_p(self.adjusted_p_value)}"

    @property
    def reading(self) -> str:
        """The verdict in words, e.g. ``better than none (p=0.012)`` or, adjusted,
        ``within noise of none (p=0.03, Holm p=0.3)``."""
        verdict = self.verdict
        if self.n == 0:
            return f"no {self.unit} in common with {self.reference}"
        if verdict == "untested":
            return f"one {self.unit} only: no test possible"
        if verdict == "same":
            return f"same as {self.reference} on all {self.n} {self.unit}s"
        if verdict == "within noise":
            return f"within noise of {self.reference} ({self.p_text})"
        return f"{verdict} than {self.reference} ({self.p_text})"

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON: the fields plus ``n``, ``verdict``, ``reading``, ``p_text``
        and ``test``."""
        data = asdict(self)
        data["pairs"] = list(self.pairs)
        data["differences"] = list(self.differences)
        data.update(n=self.n, verdict=self.verdict, reading=self.reading, p_text=self.p_text,
                    test=PAIRED_TEST)
        return data


def paired_comparison(
    values: Mapping[Hashable, float],
    reference_values: Mapping[Hashable, float],
    *,
    arm: str,
    reference: str,
    unit: str = "seed",
    confidence: float = 0.95,
    higher_is_better: bool = True,
) -> PairedComparison:
    """Compare ``values`` with ``reference_values`` over the keys both hold.

    See ``NOTE [paired test over seeds]`` for the choice of test. Non-finite values drop
    their pair.

    Args:
        values: the arm's score per pairing key (seed index, dataset name).
        reference_values: the reference arm's score per key.
        arm: the arm's name.
        reference: the reference arm's name.
        unit: what a key is, for the reading ("seed", "dataset").
        confidence: interval level; the test is at level ``1 - confidence``.
        higher_is_better: ``False`` for losses (Brier, ECE): a negative difference wins.

    Returns:
        The :class:`PairedComparison`.

    Raises:
        ValueError: ``confidence`` outside ``(0, 1)``.
        TypeError: ``confidence`` not a number.

    Example:
        >>> result = paired_comparison({0: 0.6, 1: 0.7, 2: 0.75}, {0: 0.5, 1: 0.6, 2: 0.7},
        ...                            arm="smote", reference="none")
        >>> round(result.mean, 4), result.reading
        (0.0833, 'better than none (p=0.038)')
    """
    _check_confidence(confidence)

    def usable(value: Any) -> bool:
        return value is not None and math.isfinite(float(value))

    pairs = tuple(sorted(
        (k for k in values if k in reference_values
         and usable(values[k]) and usable(reference_values[k])),
        key=lambda key: (str(type(key)), key),
    ))
    arm_scores = np.array([float(values[k]) for k in pairs])
    reference_scores = np.array([float(reference_values[k]) for k in pairs])
    differences = arm_scores - reference_scores
    n = differences.size
    mean = float(differences.mean()) if n else math.nan
    ci_low = ci_high = t_statistic = p_value = wilcoxon_p = math.nan
    if n >= 2:
        standard_error = sample_std(differences) / math.sqrt(n)
        half_width = float(stats.t.ppf(0.5 + confidence / 2.0, n - 1)) * standard_error
        ci_low, ci_high = mean - half_width, mean + half_width
        with warnings.catch_warnings():  # scipy warns on (near-)constant differences
            warnings.simplefilter("ignore", RuntimeWarning)
            if np.any(differences != 0.0):
                test = stats.ttest_rel(arm_scores, reference_scores)
                t_statistic, p_value = float(test.statistic), float(test.pvalue)
                wilcoxon_p = float(stats.wilcoxon(arm_scores, reference_scores).pvalue)
    return PairedComparison(
        arm=arm,
        reference=reference,
        unit=unit,
        pairs=pairs,
        differences=tuple(float(d) for d in differences),
        mean=mean,
        ci_low=ci_low,
        ci_high=ci_high,
        t_statistic=t_statistic,
        p_value=p_value,
        wilcoxon_p_value=wilcoxon_p,
        confidence=float(confidence),
        higher_is_better=higher_is_better,
    )


def paired_by_seed(
    rows: Sequence[Mapping[str, Any]],
    arm: str,
    reference: str,
    *,
    metric: str = "test_auprc",
    confidence: float = 0.95,
    higher_is_better: bool = True,
) -> PairedComparison:
    """:func:`paired_comparison` of two arms' ``metric`` over result rows, paired by ``seed``.

    Args:
        rows: result rows with ``arm``, ``seed`` and ``metric`` keys (one per run).
        arm: the arm compared.
        reference: the reference arm.
        metric: the row key compared (default ``test_auprc``).
        confidence: interval level.
        higher_is_better: direction of ``metric``.

    Raises:
        ValueError: two rows for the same arm and seed (the pairing would be ambiguous).
    """

    def per_seed(name: str) -> dict[int, float]:
        found: dict[int, float] = {}
        for row in rows:
            if row["arm"] != name:
                continue
            seed = int(row["seed"])
            if seed in found:
                raise ValueError(
                    f"arm {name!r} has two result rows for seed {seed}; each (arm, seed) run "
                    "must appear once for seeds to pair. Drop the repeated run from the rows."
                )
            value = row.get(metric)
            found[seed] = math.nan if value is None else float(value)
        return found

    return paired_comparison(
        per_seed(arm),
        per_seed(reference),
        arm=arm,
        reference=reference,
        unit="seed",
        confidence=confidence,
        higher_is_better=higher_is_better,
    )



def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjusted p-values, in the order given.

    With the ``m`` finite p-values sorted, ``p_(1) <= ... <= p_(m)``, the adjusted value of
    ``p_(i)`` is ``min(1, max_{j <= i} (m - j + 1) p_(j))``; a hypothesis is rejected at level
    ``alpha`` exactly when its adjusted p-value is below ``alpha``. NaN marks a comparison
    without a test: it stays NaN and does not count in ``m``.

    Args:
        p_values: one p-value per comparison of the family.

    Returns:
        The adjusted p-values, one per input.

    Raises:
        TypeError: ``p_values`` holds something that is not a number (or a bool).
        ValueError: a value outside ``[0, 1]`` (or infinite).

    Example:
        >>> [round(p, 3) for p in holm([0.01, 0.04, 0.03, 0.005])]
        [0.03, 0.06, 0.06, 0.02]

    References:
        Holm, S. (1979), "A simple sequentially rejective multiple test procedure",
        Scandinavian Journal of Statistics 6(2):65-70.
    """
    values = []
    for index, value in enumerate(p_values):
        if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
            raise TypeError(
                f"p_values[{index}]={value!r} of type {type(value).__name__} is not a number; "
                "pass one float p-value per comparison (NaN for a comparison without a test)."
            )
        value = float(value)
        if not math.isnan(value) and not 0.0 <= value <= 1.0:
            raise ValueError(
                f"p_values[{index}]={value} is not a p-value; p-values lie in [0, 1] (NaN marks "
                "a comparison without a test)."
            )
        values.append(value)
    array = np.array(values, dtype=float)
    tested = np.flatnonzero(~np.isnan(array))
    order = tested[np.argsort(array[tested], kind="stable")]
    m = order.size
    scaled = (m - np.arange(m)) * array[order]
    adjusted = np.full(array.shape, math.nan)
    adjusted[order] = np.minimum(1.0, np.maximum.accumulate(scaled))
    return adjusted.tolist()


def _holm_family(comparisons: Sequence[PairedComparison], family: str) -> list[PairedComparison]:
    """The comparisons with their Holm-adjusted p-values over exactly this family."""
    adjusted = holm([c.p_value for c in comparisons])
    size = sum(math.isfinite(c.p_value) for c in comparisons)
    return [
        replace(c, adjusted_p_value=a, adjustment="holm", family=family, family_size=size)
        for c, a in zip(comparisons, adjusted)
    ]


def compare_with_reference(
    rows: Sequence[Mapping[str, Any]],
    arms: Sequence[str],
    reference: str,
    *,
    metric: str = "test_auprc",
    confidence: float = 0.95,
    higher_is_better: bool = True,
) -> dict[str, PairedComparison]:
    """Each arm against ``reference`` (chosen before the results, e.g. ``none``), paired by
    seed, Holm-adjusted over these comparisons (NOTE [multiple comparisons]).

    Args:
        rows: result rows with ``arm``, ``seed`` and ``metric`` keys.
        arms: the arms; ``reference`` among them is skipped.
        reference: the reference arm.
        metric: the row key compared.
        confidence: interval level; the family is tested at ``1 - confidence``.
        higher_is_better: direction of ``metric``.

    Returns:
        Arm -> its :class:`PairedComparison` with ``reference``, in the order of ``arms``.
    """
    others = [arm for arm in arms if arm != reference]
    comparisons = [
        paired_by_seed(rows, arm, reference, metric=metric, confidence=confidence,
                       higher_is_better=higher_is_better)
        for arm in others
    ]
    tested = sum(math.isfinite(c.p_value) for c in comparisons)
    family = f"the {tested} comparison{'s' if tested != 1 else ''} with {reference}"
    return dict(zip(others, _holm_family(comparisons, family)))


def compare_with_best(
    rows: Sequence[Mapping[str, Any]],
    arms: Sequence[str],
    best: str,
    *,
    metric: str = "test_auprc",
    confidence: float = 0.95,
    higher_is_better: bool = True,
) -> dict[str, PairedComparison]:
    """Each arm against ``best``, the arm chosen after the results, paired by seed and
    Holm-adjusted over every pairwise comparison of ``arms`` (NOTE [multiple comparisons]:
    the choice of the best arm is part of the family).

    Args:
        rows: result rows with ``arm``, ``seed`` and ``metric`` keys.
        arms: every arm of the comparison (the pairs are formed among them).
        best: the best arm; the others are compared with it.
        metric: the row key compared.
        confidence: interval level; the family is tested at ``1 - confidence``.
        higher_is_better: direction of ``metric``.

    Returns:
        Arm -> its :class:`PairedComparison` with ``best``, in the order of ``arms``.
    """
    names = list(dict.fromkeys(arms))
    pairs = [(a, b) for i, a in enumerate(names) for b in names[i + 1 :]]
    # oriented "arm minus best" where best is in the pair (the two-sided p is the same)
    oriented = [(b, a) if a == best else (a, b) for a, b in pairs]
    comparisons = [
        paired_by_seed(rows, arm, reference, metric=metric, confidence=confidence,
                       higher_is_better=higher_is_better)
        for arm, reference in oriented
    ]
    tested = sum(math.isfinite(c.p_value) for c in comparisons)
    scope = f"all {tested}" if tested == len(pairs) and tested > 1 else f"the {tested} tested"
    scope = "the 1" if tested == len(pairs) == 1 else scope
    family = (f"{scope} pairwise comparison{'s' if tested != 1 else ''} of the {len(names)} "
              "arms (the best arm is chosen after the results)")
    adjusted = _holm_family(comparisons, family)
    return {c.arm: c for c in adjusted if c.reference == best}
