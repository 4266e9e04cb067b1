"""Ranks over datasets: mean ranks, the Friedman test (with the Iman-Davenport form) and the
Nemenyi critical difference with its cliques, the many-datasets view of
:mod:`~imbalance_torch.lightning.compare.statistics` (which re-exports these names).

References:
    Demšar, J. (2006), "Statistical comparisons of classifiers over multiple data sets",
    JMLR 7:1-30 (Friedman test, Iman-Davenport correction, Nemenyi test, CD diagrams).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from scipy import stats

__all__ = [
    "FriedmanResult",
    "friedman_test",
    "mean_ranks",
    "nemenyi_cliques",
    "nemenyi_critical_difference",
]


def mean_ranks(scores: np.ndarray, *, higher_is_better: bool = True) -> np.ndarray:
    """Each column's mean rank over the rows (1 = best; ties get the average rank).

    Args:
        scores: ``(datasets, arms)`` score of each arm on each dataset, no NaN.
        higher_is_better: ``False`` when the lowest score is best.

    Shape:
        ``scores``: ``(N, k)``; returns ``(k,)``.

    Example:
        >>> mean_ranks(np.array([[0.9, 0.8, 0.8], [0.7, 0.9, 0.6]])).tolist()
        [1.5, 1.75, 2.75]
    """
    array = np.asarray(scores, dtype=float)
    if array.ndim != 2 or array.size == 0:
        raise ValueError(
            f"scores must be a non-empty (datasets, arms) matrix, got shape {array.shape}."
        )
    if not np.all(np.isfinite(array)):
        raise ValueError("scores holds NaN or inf; keep only datasets where every arm ran.")
    ranks = stats.rankdata(-array if higher_is_better else array, axis=1)
    return ranks.mean(axis=0)


@dataclass(frozen=True)
class FriedmanResult:
    """Friedman test over ``n_datasets`` datasets and ``n_arms`` arms.

    Attributes:
        statistic, p_value: Friedman chi-square (``scipy.stats.friedmanchisquare``).
        iman_davenport, iman_davenport_p_value: the F form Demšar (2006) recommends, less
            conservative than the chi-square: ``F = (N-1) chi2 / (N (k-1) - chi2)`` with
            ``(k-1, (k-1)(N-1))`` degrees of freedom (NaN when the ranks are identical on
            every dataset).
        n_datasets, n_arms: ``N`` and ``k``.
    """

    statistic: float
    p_value: float
    iman_davenport: float
    iman_davenport_p_value: float
    n_datasets: int
    n_arms: int


def friedman_test(scores: np.ndarray) -> FriedmanResult:
    """Friedman test that all arms rank alike over the datasets.

    Args:
        scores: ``(datasets, arms)`` matrix, at least 2 datasets and 3 arms.

    Raises:
        ValueError: fewer than 3 arms or 2 datasets (the test is undefined there).

    References:
        Friedman, M. (1937), JASA 32(200); Iman, R. L. and Davenport, J. M. (1980),
        Communications in Statistics 9(6); Demšar (2006), section 3.2.2.
    """
    array = np.asarray(scores, dtype=float)
    if array.ndim != 2 or array.shape[0] < 2 or array.shape[1] < 3:
        raise ValueError(
            f"the Friedman test needs at least 2 datasets and 3 arms, got a "
            f"{'x'.join(map(str, array.shape))} (datasets x arms) matrix; with 2 arms use "
            "paired_comparison over datasets instead."
        )
    n, k = array.shape
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        result = stats.friedmanchisquare(*array.T)
    chi2 = float(result.statistic)
    denominator = n * (k - 1) - chi2
    if denominator > 0 and math.isfinite(chi2):
        f_value = (n - 1) * chi2 / denominator
        f_p = float(stats.f.sf(f_value, k - 1, (k - 1) * (n - 1)))
    else:
        f_value = f_p = math.nan
    return FriedmanResult(chi2, float(result.pvalue), f_value, f_p, n, k)


def nemenyi_critical_difference(
    n_arms: int, n_datasets: int, *, alpha: float = 0.05
) -> tuple[float, float]:
    """Nemenyi critical difference of mean ranks: ``(q_alpha, CD)``.

    .. math:: CD = q_\\alpha \\sqrt{k (k+1) / (6 N)}, \\quad
              q_\\alpha = q_{1-\\alpha}(k, \\infty) / \\sqrt{2}

    with ``q`` the studentized range quantile (``scipy.stats.studentized_range``). Two arms
    differ significantly when their mean ranks differ by at least ``CD``.

    Args:
        n_arms: ``k``, at least 2.
        n_datasets: ``N``, at least 1.
        alpha: significance level.

    Example:
        >>> [round(v, 3) for v in nemenyi_critical_difference(4, 10)]  # Demšar, table 5(a)
        [2.569, 1.483]

    References:
        Nemenyi, P. (1963), PhD thesis, Princeton; Demšar (2006), section 3.2.2, table 5.
    """
    for name, value, least in (("n_arms", n_arms, 2), ("n_datasets", n_datasets, 1)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"{name} must be an int, got {type(value).__name__}.")
        if value < least:
            raise ValueError(f"{name}={value} is too small; the Nemenyi test needs >= {least}.")
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha={alpha!r} must be a number strictly between 0 and 1, e.g. 0.05.")
    q_alpha = float(stats.studentized_range.ppf(1.0 - alpha, n_arms, np.inf)) / math.sqrt(2.0)
    return q_alpha, q_alpha * math.sqrt(n_arms * (n_arms + 1) / (6.0 * n_datasets))


def nemenyi_cliques(ranks: Mapping[str, float], critical_difference: float) -> list[list[str]]:
    """Maximal groups of arms whose mean ranks all lie within less than ``critical_difference``.

    These are the bars of a critical-difference diagram: arms joined by a bar are not
    significantly different. Groups of one arm are left out.

    Args:
        ranks: mean rank per arm.
        critical_difference: the Nemenyi CD.

    Returns:
        Groups, each sorted by rank (best first), ordered by their best member.

    Example:
        >>> nemenyi_cliques({"a": 1.2, "b": 2.0, "c": 3.5}, 1.0)
        [['a', 'b']]
    """
    order = sorted(ranks, key=lambda arm: ranks[arm])
    groups: list[list[str]] = []
    for start in range(len(order)):
        end = start
        while end + 1 < len(order) and (
            ranks[order[end + 1]] - ranks[order[start]] < critical_difference
        ):
            end += 1
        group = order[start : end + 1]
        if len(group) > 1 and not (groups and set(group) <= set(groups[-1])):
            groups.append(group)
    return groups
