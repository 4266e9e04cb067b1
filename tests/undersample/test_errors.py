"""Every argument error of the cleaning methods: what was wrong, the value seen, what to do."""

import pytest
import torch
from sklearn.neighbors import NearestNeighbors

from imbalance_torch.undersample import (
    AllKNN,
    EditedNearestNeighbours,
    NearMiss,
    NeighbourhoodCleaningRule,
    OneSidedSelection,
    RepeatedEditedNearestNeighbours,
    TomekLinks,
)

ALL = [TomekLinks, EditedNearestNeighbours, RepeatedEditedNearestNeighbours, AllKNN, NeighbourhoodCleaningRule, OneSidedSelection]


@pytest.fixture
def data():
    g = torch.Generator().manual_seed(0)
    X = torch.randn(50, 2, generator=g, dtype=torch.float64)
    y = (torch.arange(50) < 10).long()
    return X, y


@pytest.mark.parametrize("method", ALL)
@pytest.mark.parametrize(
    ("strategy", "error", "match"),
    [
        ({0: 5}, ValueError, r"names the classes to clean, as a string or a list of labels; got \{0: 5\}"),
        (0.5, ValueError, r"names the classes to clean.*got 0.5.*use NearMiss for a target count"),
        (lambda y: {0: 5}, ValueError, r"names the classes to clean"),
        ("minority", ValueError, r"sampling_strategy='minority' is not a class selection.*pass its label in a list"),
        ("bogus", ValueError, r"sampling_strategy='bogus' is not a class selection of a cleaning method; use one of \['auto'"),
        ([0, 7], ValueError, r"lists class\(es\) \[7\], which have no rows in y \(classes present: \[0, 1\]\)"),
        (["0"], TypeError, r"sampling_strategy lists '0'; class labels are ints"),
        (object(), TypeError, r"sampling_strategy must be a string or a list of class labels; got object"),
    ],
)
def test_bad_cleaning_strategy(method, strategy, error, match, data):
    with pytest.raises(error, match=match):
        method(sampling_strategy=strategy).fit(*data)


@pytest.mark.parametrize("method", [*ALL, NearMiss])
def test_single_class(method, data):
    X, _ = data
    with pytest.raises(ValueError, match=r"y holds a single class \(\[0\]\); cleaning needs rows of at least two classes"):
        method().fit(X, torch.zeros(50, dtype=torch.long))


@pytest.mark.parametrize("method", [EditedNearestNeighbours, RepeatedEditedNearestNeighbours, AllKNN, NeighbourhoodCleaningRule])
def test_n_neighbors_too_large_for_the_data(method, data):
    with pytest.raises(ValueError, match=r"n_neighbors=50 needs at least 50 other rows per row, which has 49; lower n_neighbors to 49"):
        method(n_neighbors=50).fit(*data)


@pytest.mark.parametrize("method", [EditedNearestNeighbours, RepeatedEditedNearestNeighbours, AllKNN, NeighbourhoodCleaningRule, NearMiss, OneSidedSelection])
@pytest.mark.parametrize(("value", "error", "match"), [
    (0, ValueError, r"n_neighbors must be an int >= 1; got n_neighbors=0"),
    (True, TypeError, r"n_neighbors must be an int >= 1; got True of type bool"),
    ("3", TypeError, r"n_neighbors must be an int >= 1; got '3' of type str"),
    (NearestNeighbors(n_neighbors=3), TypeError, r"n_neighbors must be an int here; got a NearestNeighbors object"),
])
def test_bad_n_neighbors(method, value, error, match, data):
    with pytest.raises(error, match=match):
        method(n_neighbors=value).fit(*data)


@pytest.mark.parametrize("method", [EditedNearestNeighbours, RepeatedEditedNearestNeighbours, AllKNN])
def test_unknown_kind_sel(method, data):
    with pytest.raises(ValueError, match=r"kind_sel must be 'all' .* or 'mode' .*; got kind_sel='any'"):
        method(kind_sel="any").fit(*data)


def test_renn_max_iter(data):
    with pytest.raises(ValueError, match=r"max_iter must be an int >= 1; got max_iter=0"):
        RepeatedEditedNearestNeighbours(max_iter=0).fit(*data)
    with pytest.raises(TypeError, match=r"max_iter must be an int >= 1; got 2.5"):
        RepeatedEditedNearestNeighbours(max_iter=2.5).fit(*data)


def test_allknn_allow_minority(data):
    with pytest.raises(TypeError, match=r"allow_minority must be a bool; got 'yes'"):
        AllKNN(allow_minority="yes").fit(*data)


def test_ncr_arguments(data):
    with pytest.raises(ValueError, match=r"threshold_cleaning must be a finite number > 0 .*got 0"):
        NeighbourhoodCleaningRule(threshold_cleaning=0).fit(*data)
    with pytest.raises(ValueError, match=r"threshold_cleaning must be a finite number > 0 .*got inf"):
        NeighbourhoodCleaningRule(threshold_cleaning=float("inf")).fit(*data)
    with pytest.raises(TypeError, match=r"threshold_cleaning must be a number > 0; got 'half'"):
        NeighbourhoodCleaningRule(threshold_cleaning="half").fit(*data)
    with pytest.raises(TypeError, match=r"edited_nearest_neighbours must be an EditedNearestNeighbours or None; got TomekLinks"):
        NeighbourhoodCleaningRule(edited_nearest_neighbours=TomekLinks()).fit(*data)


def test_one_sided_selection_arguments(data):
    with pytest.raises(ValueError, match=r"n_seeds_S=41 seed rows .* but class 0 has 40; lower n_seeds_S to 40"):
        OneSidedSelection(n_seeds_S=41).fit(*data)
    with pytest.raises(ValueError, match=r"n_neighbors=12 needs at least 12 rows in the vote's set, which has 11; lower n_neighbors to 11 \(the 10 rows of minority class 1 plus n_seeds_S=1\)"):
        OneSidedSelection(n_neighbors=12).fit(*data)
    with pytest.raises(ValueError, match=r"seed must be in \[0, 2\*\*63\); got seed=-1"):
        OneSidedSelection(seed=-1).fit(*data)
    with pytest.raises(TypeError, match=r"n_seeds_S must be an int >= 1; got 1.0"):
        OneSidedSelection(n_seeds_S=1.0).fit(*data)


def test_nearmiss_arguments(data):
    for version in (0, 4, "1", True):
        with pytest.raises(ValueError, match=r"version must be 1, 2 or 3 \(NearMiss-1, -2, -3\); got version="):
            NearMiss(version=version).fit(*data)
    with pytest.raises(ValueError, match=r"n_neighbors=11 needs at least 11 rows of minority class 1, which has 10; lower n_neighbors to 10"):
        NearMiss(n_neighbors=11).fit(*data)
    X, _ = data
    y = torch.tensor([2] * 3 + [1] * 7 + [0] * 40)  # class 2 is the minority
    with pytest.raises(ValueError, match=r"n_neighbors_ver3=8 needs at least 8 rows of class 1, which has 7; lower n_neighbors_ver3 to 7 or leave class 1 out of sampling_strategy"):
        NearMiss(version=3, n_neighbors=2, n_neighbors_ver3=8, sampling_strategy={1: 3}).fit(X, y)
    with pytest.raises(ValueError, match=r"sampling_strategy asks to keep 45 rows of class 0, which has 40"):
        NearMiss(sampling_strategy={0: 45}).fit(*data)


def test_features_and_labels_are_checked(data):
    X, y = data
    with pytest.raises(ValueError, match=r"X and y have different lengths: X has 50 rows, y has 49"):
        EditedNearestNeighbours().fit(X, y[:-1])
    with pytest.raises(ValueError, match=r"X must be 2-D"):
        TomekLinks().fit(X[:, 0], y)
