"""The comparison statistics agree with scipy on small numbers that can be checked by hand.

Oracles: ``scipy.stats`` (``ttest_rel``, ``t.interval``, ``wilcoxon``, ``friedmanchisquare``,
``rankdata``) and the published Nemenyi table of Demšar (2006), JMLR 7, table 5(a).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from imbalance_torch.lightning.compare.statistics import (
    format_p,
    friedman_test,
    mean_ranks,
    nemenyi_cliques,
    nemenyi_critical_difference,
    paired_by_seed,
    paired_comparison,
)

# Four seeds; differences 0.03, 0.04, 0.01, 0.06: mean 0.035, sd sqrt(0.0013/3).
ARM = {0: 0.61, 1: 0.70, 2: 0.74, 3: 0.66}
NONE = {0: 0.58, 1: 0.66, 2: 0.73, 3: 0.60}


def _compare(arm=ARM, reference=NONE, **kwargs):
    return paired_comparison(arm, reference, arm="smote", reference="none", **kwargs)


def test_mean_difference_interval_and_p_values_equal_scipy():
    result = _compare()
    arm, none = np.array(list(ARM.values())), np.array(list(NONE.values()))
    assert result.pairs == (0, 1, 2, 3)
    assert result.differences == pytest.approx([0.03, 0.04, 0.01, 0.06])
    assert result.mean == pytest.approx(0.035)
    standard_error = math.sqrt(0.0013 / 3) / 2  # by hand: sd / sqrt(4)
    low, high = stats.t.interval(0.95, 3, loc=0.035, scale=standard_error)
    assert (result.ci_low, result.ci_high) == pytest.approx((low, high))
    assert result.ci_low == pytest.approx(0.035 - 3.1824 * standard_error, abs=1e-6)  # t_.975,3
    expected = stats.ttest_rel(arm, none)
    assert result.t_statistic == pytest.approx(expected.statistic)
    assert result.p_value == pytest.approx(expected.pvalue)
    assert result.wilcoxon_p_value == pytest.approx(stats.wilcoxon(arm, none).pvalue)
    # 4 positive differences: the exact two-sided Wilcoxon p is 2 / 2**4, its smallest value.
    assert result.wilcoxon_p_value == pytest.approx(0.125)
    assert result.verdict == "better"
    assert result.reading == f"better than none ({format_p(expected.pvalue)})"


def test_interval_excludes_zero_exactly_when_the_t_test_rejects():
    rng = np.random.default_rng(7)
    for _ in range(40):
        shift = rng.normal(0.0, 0.02)
        arm = {s: 0.5 + shift + rng.normal(0, 0.02) for s in range(4)}
        result = _compare(arm, dict.fromkeys(range(4), 0.5))
        excludes_zero = result.ci_low > 0 or result.ci_high < 0
        assert excludes_zero == (result.p_value < 0.05)
        assert (result.verdict != "within noise") == excludes_zero


def test_within_noise_reads_as_such_with_its_p_value():
    result = _compare({0: 0.61, 1: 0.64, 2: 0.70}, {0: 0.63, 1: 0.60, 2: 0.69})
    assert result.verdict == "within noise"
    assert result.p_value == pytest.approx(stats.ttest_rel([0.61, 0.64, 0.70], [0.63, 0.60, 0.69]).pvalue)
    assert result.reading == f"within noise of none ({format_p(result.p_value)})"


def test_lower_is_better_turns_the_verdict():
    assert _compare(higher_is_better=False).verdict == "worse"


def test_one_seed_says_no_test_is_possible():
    result = _compare({0: 0.7}, {0: 0.6})
    assert result.n == 1
    assert result.mean == pytest.approx(0.1)
    assert all(math.isnan(v) for v in (result.ci_low, result.ci_high, result.p_value,
                                       result.wilcoxon_p_value))
    assert result.verdict == "untested"
    assert result.reading == "one seed only: no test possible"


def test_no_common_seed():
    result = _compare({0: 0.7}, {1: 0.6})
    assert result.n == 0 and math.isnan(result.mean)
    assert result.reading == "no seed in common with none"


def test_identical_runs_read_as_same_not_nan():
    result = _compare(NONE, NONE)
    assert result.differences == (0.0,) * 4
    assert (result.ci_low, result.ci_high) == (0.0, 0.0)
    assert math.isnan(result.p_value)
    assert result.verdict == "same"
    assert result.reading == "same as none on all 4 seeds"


def test_tied_and_zero_differences_match_scipy_wilcoxon():
    # |differences| tie (0.02 three times) and one difference is 0 (dropped by the test).
    arm = {0: 0.52, 1: 0.52, 2: 0.49, 3: 0.53, 4: 0.52, 5: 0.50}
    reference = dict.fromkeys(range(6), 0.50)
    result = _compare(arm, reference)
    arm_values, reference_values = list(arm.values()), list(reference.values())
    assert result.wilcoxon_p_value == pytest.approx(
        stats.wilcoxon(arm_values, reference_values).pvalue
    )
    assert result.p_value == pytest.approx(stats.ttest_rel(arm_values, reference_values).pvalue)


def test_only_seeds_both_arms_hold_with_finite_values_pair():
    result = _compare({0: 0.6, 1: 0.7, 2: math.nan, 3: 0.8}, {0: 0.5, 1: 0.6, 2: 0.5})
    assert result.pairs == (0, 1)
    assert result.differences == pytest.approx([0.1, 0.1])


def test_paired_by_seed_reads_result_rows():
    rows = [{"arm": arm, "seed": seed, "test_auprc": table[seed]}
            for arm, table in (("smote", ARM), ("none", NONE)) for seed in table]
    rows.reverse()  # order of the rows does not matter, the seed index pairs them
    by_rows = paired_by_seed(rows, "smote", "none")
    assert by_rows == _compare()
    rows.append({"arm": "smote", "seed": 2, "test_auprc": None})  # a skipped run
    with pytest.raises(ValueError, match="arm 'smote' has two result rows for seed 2"):
        paired_by_seed(rows, "smote", "none")


def test_bad_confidence_is_refused():
    with pytest.raises(ValueError, match=r"confidence=1.5 must lie strictly between 0 and 1"):
        _compare(confidence=1.5)
    with pytest.raises(TypeError, match="confidence must be a float in \\(0, 1\\), got bool"):
        _compare(confidence=True)


def test_as_dict_carries_the_reading():
    data = _compare().as_dict()
    assert data["n"] == 4 and data["verdict"] == "better"
    assert data["reading"].startswith("better than none")
    assert "ttest_rel" in data["test"]


@pytest.mark.parametrize(
    ("p_value", "text", "bare"),
    [(0.4123, "p=0.41", "0.41"), (0.01234, "p=0.012", "0.012"), (0.0004, "p<0.001", "<0.001"),
     (math.nan, "p=n/a", "n/a"), (None, "p=n/a", "n/a")],
)
def test_format_p(p_value, text, bare):
    assert format_p(p_value) == text
    assert format_p(p_value, bare=True) == bare


def test_mean_ranks_average_ties_and_equal_rankdata():
    scores = np.array([[0.9, 0.8, 0.8, 0.1], [0.7, 0.9, 0.6, 0.2], [0.5, 0.5, 0.5, 0.5]])
    # by hand: (1, 2.5, 2.5, 4), (2, 1, 3, 4), (2.5, 2.5, 2.5, 2.5)
    assert mean_ranks(scores).tolist() == pytest.approx([5.5 / 3, 6 / 3, 8 / 3, 10.5 / 3])
    assert mean_ranks(scores).tolist() == pytest.approx(
        stats.rankdata(-scores, axis=1).mean(axis=0).tolist()
    )
    assert mean_ranks(1 - scores, higher_is_better=False).tolist() == pytest.approx(
        mean_ranks(scores).tolist()
    )
    with pytest.raises(ValueError, match="keep only datasets where every arm ran"):
        mean_ranks(np.array([[0.5, np.nan, 0.4]]))


def test_friedman_equals_scipy_and_the_textbook_formula():
    scores = np.array([
        [0.71, 0.75, 0.69, 0.80],
        [0.55, 0.60, 0.52, 0.58],
        [0.90, 0.93, 0.91, 0.95],
        [0.40, 0.47, 0.44, 0.46],
        [0.66, 0.70, 0.61, 0.72],
    ])
    result = friedman_test(scores)
    expected = stats.friedmanchisquare(*scores.T)
    assert result.statistic == pytest.approx(expected.statistic)
    assert result.p_value == pytest.approx(expected.pvalue)
    n, k = scores.shape
    ranks = mean_ranks(scores)  # no ties: Demšar (2006), eq. for chi2_F
    chi2 = 12 * n / (k * (k + 1)) * (np.sum(ranks**2) - k * (k + 1) ** 2 / 4)
    assert result.statistic == pytest.approx(chi2)
    f_value = (n - 1) * chi2 / (n * (k - 1) - chi2)
    assert result.iman_davenport == pytest.approx(f_value)
    assert result.iman_davenport_p_value == pytest.approx(stats.f.sf(f_value, k - 1, (k - 1) * (n - 1)))
    assert (result.n_datasets, result.n_arms) == (5, 4)


def test_friedman_needs_three_arms():
    with pytest.raises(ValueError, match="needs at least 2 datasets and 3 arms, got a 5x2"):
        friedman_test(np.ones((5, 2)))


@pytest.mark.parametrize(("k", "q_table"), [(2, 1.960), (3, 2.343), (4, 2.569), (6, 2.850), (10, 3.164)])
def test_nemenyi_q_matches_the_published_table(k, q_table):
    q_alpha, _ = nemenyi_critical_difference(k, 10)
    assert q_alpha == pytest.approx(q_table, abs=1e-3)


def test_nemenyi_critical_difference_k4_n10():
    q_alpha, critical_difference = nemenyi_critical_difference(4, 10, alpha=0.05)
    assert q_alpha == pytest.approx(2.569, abs=1e-3)
    assert critical_difference == pytest.approx(1.483, abs=1e-3)  # 2.569 * sqrt(20 / 60)


def test_nemenyi_bad_arguments():
    with pytest.raises(ValueError, match="n_arms=1 is too small; the Nemenyi test needs >= 2"):
        nemenyi_critical_difference(1, 10)
    with pytest.raises(TypeError, match="n_datasets must be an int, got bool"):
        nemenyi_critical_difference(4, True)
    with pytest.raises(ValueError, match="alpha=1.5 must be a number strictly between 0 and 1"):
        nemenyi_critical_difference(4, 10, alpha=1.5)


def test_nemenyi_cliques_join_ranks_closer_than_the_cd():
    ranks = {"c": 3.0, "a": 1.0, "b": 2.0}
    assert nemenyi_cliques(ranks, 1.0) == []  # a difference equal to the CD is significant
    assert nemenyi_cliques(ranks, 1.01) == [["a", "b"], ["b", "c"]]
    assert nemenyi_cliques(ranks, 2.5) == [["a", "b", "c"]]
    assert nemenyi_cliques({"a": 1.0, "b": 1.5, "c": 1.8, "d": 3.9}, 1.0) == [["a", "b", "c"]]


def test_one_spread_function_is_the_sample_standard_deviation():
    import statistics as stdlib

    from imbalance_torch.lightning.compare.statistics import sample_std

    values = [0.71, 0.74, 0.69, 0.8]
    assert sample_std(values) == pytest.approx(stdlib.stdev(values), rel=1e-12)
    assert sample_std(np.array(values)) == float(np.std(values, ddof=1))
    assert math.isnan(sample_std([0.7])) and math.isnan(sample_std([]))
