"""sampling_strategy -> counts, against imbalanced-learn's check_sampling_strategy."""

import math
from fractions import Fraction

import numpy as np
import pytest
from imblearn.utils import check_sampling_strategy

from imbalance_torch.targets import exact_ratio, oversampling_targets, undersampling_targets
from imbalance_torch.targets._strategy import _over_count, _under_count


def _distributions():
    rng = np.random.default_rng(0)
    dists = [
        [100, 10],
        [100, 25],
        [10, 100],
        [50, 50],  # tie
        [7, 3],
        [100, 10, 10],  # tied minorities
        [40, 40, 5],  # tied majorities
        [5, 5, 5, 5],
        [1, 2, 3, 4, 5],
        [300, 1],
        [2, 1000],
        [13, 17, 19, 23],
        [60, 20, 20, 60],
    ]
    while len(dists) < 34:
        k = int(rng.integers(2, 7))
        dists.append(rng.integers(1, 200, size=k).tolist())
    out = []
    for i, counts in enumerate(dists):
        labels = np.arange(len(counts)) * (3 if i % 3 == 0 else 1) + (2 if i % 4 == 0 else 0)
        y = np.repeat(labels, counts)
        out.append(np.random.default_rng(i).permutation(y))
    return out


DISTRIBUTIONS = _distributions()
STRINGS_OVER = ["auto", "minority", "not minority", "not majority", "all"]
STRINGS_UNDER = ["auto", "majority", "not minority", "not majority", "all"]


def _oracle(strategy, y, kind):
    try:
        return dict(check_sampling_strategy(strategy, y, kind)), None
    except ValueError as error:
        return None, error


def _ours(function, y, strategy):
    try:
        return function(y, strategy), None
    except ValueError as error:
        return None, error


def _float_differs(strategy, y, kind):
    """Whether imbalanced-learn's binary floating-point ratio arithmetic gives another count
    than the exact decimal one (its issue 1215; ours is exact: NOTE [exact ratios])."""
    if not isinstance(strategy, float):
        return False
    _, counts = np.unique(y, return_counts=True)
    exact = exact_ratio(strategy)
    if kind == "over-sampling":
        theirs = [max(int(counts.max() * strategy - n), 0) for n in counts]
        return theirs != [max(math.floor(exact * counts.max()) - n, 0) for n in counts]
    return int(counts.min() / strategy) != math.floor(counts.min() / exact)


def _compare(function, y, strategy, kind):
    if _float_differs(strategy, y, kind):
        pytest.skip("imbalanced-learn's float truncation differs here; see test_exact_ratio_*")
    expected, expected_error = _oracle(strategy, y, kind)
    got, error = _ours(function, y, strategy)
    if expected_error is not None:
        assert error is not None, f"imbalanced-learn raised {expected_error!r}, we returned {got}"
    else:
        assert error is None, f"we raised {error!r}, imbalanced-learn returned {expected}"
        assert got == {int(k): int(v) for k, v in expected.items()}
        assert list(got) == sorted(got)


@pytest.mark.parametrize("index", range(len(DISTRIBUTIONS)))
@pytest.mark.parametrize("strategy", STRINGS_OVER + [0.1, 0.26, 0.29, 0.5, 0.8, 1.0])
def test_oversampling_matches_imblearn(index, strategy):
    _compare(oversampling_targets, DISTRIBUTIONS[index], strategy, "over-sampling")


@pytest.mark.parametrize("index", range(len(DISTRIBUTIONS)))
@pytest.mark.parametrize("strategy", STRINGS_UNDER + [0.1, 0.26, 0.5, 1.0])
def test_undersampling_matches_imblearn(index, strategy):
    _compare(undersampling_targets, DISTRIBUTIONS[index], strategy, "under-sampling")


@pytest.mark.parametrize("index", range(len(DISTRIBUTIONS)))
def test_dict_and_callable_match_imblearn(index):
    y = DISTRIBUTIONS[index]
    labels, counts = np.unique(y, return_counts=True)
    over = {int(labels[0]): int(counts.max() + 3), int(labels[-1]): int(counts[-1])}
    under = {int(labels[-1]): int(counts[-1] // 2)}
    _compare(oversampling_targets, y, over, "over-sampling")
    _compare(oversampling_targets, y, lambda target: over, "over-sampling")
    _compare(undersampling_targets, y, under, "under-sampling")
    _compare(undersampling_targets, y, lambda target: under, "under-sampling")


def test_float_truncation():
    y = np.array([0] * 100 + [1] * 0 + [1] * 1)
    # 0.29 * 100 is 28.999999999999996 in floating point; the decimal 0.29 of 100 is 29 rows
    # in all, 28 to add (imbalanced-learn truncates to 28 rows: NOTE [exact ratios]).
    assert oversampling_targets(y, 0.29) == {1: 28}
    y = np.array([0] * 100 + [1] * 25)
    assert oversampling_targets(y, 0.26) == {1: 1}
    assert oversampling_targets(y, 0.5) == {1: 25}


def test_ties_go_to_the_smallest_label():
    y = np.array([0] * 40 + [1] * 40 + [2] * 5)
    assert oversampling_targets(y, "auto") == {1: 0, 2: 35}
    assert undersampling_targets(y, "majority") == {0: 5}


@pytest.mark.parametrize(
    "y, strategy, match",
    [
        ([0] * 10, "auto", "at least 2 classes"),
        ([0] * 100 + [1] * 25, 0.25, r"sampling_strategy=0.25 would add no rows .* class 1"),
        ([0] * 100 + [1] * 25, 1.5, r"float outside \(0, 1\]"),
        ([0] * 100 + [1] * 25, 0.0, r"float outside \(0, 1\]"),
        ([0] * 10 + [1] * 5 + [2] * 3, 0.5, "needs exactly 2 classes"),
        ([0] * 10 + [1] * 5, "majority", "cannot be used to over-sample"),
        ([0] * 10 + [1] * 5, "most", "not a known string"),
        ([0] * 10 + [1] * 5, {7: 20}, r"class\(es\) \[7\] that are not in y"),
        ([0] * 10 + [1] * 5, {1: -1}, "negative number of rows"),
        ([0] * 10 + [1] * 5, {1: 3}, "over-sampling cannot remove rows"),
    ],
)
def test_oversampling_errors(y, strategy, match):
    with pytest.raises(ValueError, match=match):
        oversampling_targets(y, strategy)


@pytest.mark.parametrize(
    "y, strategy, match",
    [
        ([0] * 100 + [1] * 25, 0.1, "under-sampling cannot add rows"),
        ([0] * 10 + [1] * 5, "minority", "cannot be used to under-sample"),
        ([0] * 10 + [1] * 5, {0: 11}, "under-sampling cannot add rows"),
    ],
)
def test_undersampling_errors(y, strategy, match):
    with pytest.raises(ValueError, match=match):
        undersampling_targets(y, strategy)


@pytest.mark.parametrize("strategy", [True, [1, 2], None, {1.5: 3}, {1: 2.5}])
def test_type_errors(strategy):
    with pytest.raises(TypeError, match="sampling_strategy|class keys|row counts"):
        oversampling_targets([0] * 10 + [1] * 5, strategy)


# -- exact ratio arithmetic (issue 9 d; imbalanced-learn issue 1215) -------------------------


def test_exact_ratio_over_028_case_is_accepted():
    """0.29 x 100 majority rows is 29 rows, not 28.999... truncated to 28."""
    y = [0] * 100 + [1] * 28
    assert oversampling_targets(y, 0.29) == {1: 1}
    # imbalanced-learn refuses this one: it computes int(0.29 * 100 - 28) = 0
    with pytest.raises(ValueError):
        check_sampling_strategy(0.29, np.array(y), "over-sampling")


def test_exact_ratio_over_adds_19_not_18():
    assert oversampling_targets([0] * 100 + [1] * 10, 0.29) == {1: 19}


INTENDED = [(0.07, Fraction(7, 100)), (0.1, Fraction(1, 10)), (0.29, Fraction(29, 100)), (0.57, Fraction(57, 100)),
            (1 / 3, Fraction(1, 3)), (2 / 3, Fraction(2, 3)), (0.58, Fraction(58, 100)), (0.9, Fraction(9, 10)), (1.0, Fraction(1))]


@pytest.mark.parametrize("n_majority", [100, 900, 1000, 12345, 10**6 + 7])
@pytest.mark.parametrize("ratio,intended", INTENDED)
def test_exact_ratio_over_is_floor_of_intended_fraction(n_majority, ratio, intended):
    y = np.repeat([0, 1], [n_majority, 1])
    assert oversampling_targets(y, ratio)[1] + 1 == math.floor(intended * n_majority)
    assert exact_ratio(ratio) == intended


@pytest.mark.parametrize("n_minority", [7, 29, 57, 10**5 + 3])
@pytest.mark.parametrize("ratio,intended", INTENDED[:-1])
def test_exact_ratio_under_is_floor_of_intended_fraction(n_minority, ratio, intended):
    y = np.repeat([0, 1], [10**7, n_minority])
    assert undersampling_targets(y, ratio)[0] == math.floor(n_minority / intended)


# Counts of a billion rows and more (where float arithmetic would first go wrong) are checked
# on the count arithmetic the targets use, not on label arrays of that length: an int64 array
# of 10**9 labels is 8 GB, more than a laptop running this suite can spare (NOTE [test memory]).
@pytest.mark.parametrize("n", [10**9 + 7, 2**53 + 1, 10**18 + 9])
@pytest.mark.parametrize("ratio,intended", INTENDED)
def test_exact_ratio_counts_stay_exact_at_huge_counts(n, ratio, intended):
    assert _over_count(ratio, n) == math.floor(intended * n) == (intended.numerator * n) // intended.denominator
    if intended < 1:
        assert _under_count(ratio, n) == (n * intended.denominator) // intended.numerator


def test_exact_ratio_under_029():
    # 29 / 0.29 is 100 exactly
    assert undersampling_targets([0] * 500 + [1] * 29, 0.29) == {0: 100}


def test_exact_ratio_message_gives_computed_count_and_a_ratio_that_works():
    y = [0] * 100 + [1] * 29
    with pytest.raises(ValueError, match=r"target of 29 rows.*at least 0\.3 \(30 rows\)") as info:
        oversampling_targets(y, 0.29)
    suggested = float(str(info.value).split("at least ")[1].split(" ")[0])
    assert oversampling_targets(y, suggested)[1] > 0
    y = [0] * 10 + [1] * 5
    with pytest.raises(ValueError, match=r"keep 12 rows of class 0.*at least 0\.5 \(keeps 10 rows\)") as info:
        undersampling_targets(y, 0.4)
    suggested = float(str(info.value).split("at least ")[1].split(" ")[0])
    assert undersampling_targets(y, suggested)[0] <= 10


@pytest.mark.parametrize("n_majority,n_minority", [(100, 28), (997, 331), (3, 1), (10**6, 33333)])
def test_exact_ratio_suggestion_always_works(n_majority, n_minority):
    y = np.repeat([0, 1], [n_majority, n_minority])
    ratio = float(Fraction(n_minority, n_majority))
    try:
        oversampling_targets(y, ratio)
    except ValueError as error:
        suggested = float(str(error).split("at least ")[1].split(" ")[0])
        assert oversampling_targets(y, suggested)[1] >= 1


def test_exact_ratio_reads_the_fraction_the_float_stands_for():
    assert exact_ratio(0.29) == Fraction(29, 100)
    assert exact_ratio(1 / 3) == Fraction(1, 3)
    assert exact_ratio(0.1) == Fraction(1, 10)
    assert exact_ratio(1.0) == 1
    # 1/3 of 900 is 300 (a decimal reading of 0.3333333333333333 would give 299)
    assert oversampling_targets([0] * 900 + [1] * 10, 1 / 3) == {1: 290}
    # a float with no short fraction is still read within its own rounding interval
    odd = 0.123456789012345
    assert float(exact_ratio(odd)) == odd
