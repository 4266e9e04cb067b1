"""Oracle tests: every cleaning method removes the same rows as imbalanced-learn 0.14 on data
without distance ties (continuous random features), binary and multi-class."""

import warnings

import imblearn.under_sampling as imb
import numpy as np
import pytest
import torch

from imbalance_torch.undersample import (
    AllKNN,
    EditedNearestNeighbours,
    NearMiss,
    NeighbourhoodCleaningRule,
    OneSidedSelection,
    RepeatedEditedNearestNeighbours,
    TomekLinks,
)


def _data(name):
    """Overlapping Gaussian classes with distinct class sizes, rows in random order."""
    rng = np.random.default_rng({"binary": 0, "three": 1, "four": 2}[name])
    sizes, d = {"binary": ([240, 60], 2), "three": ([300, 150, 50], 4), "four": ([200, 120, 70, 35], 6)}[name]
    X = np.vstack([rng.normal(loc=0.8 * c, size=(n, d)) for c, n in enumerate(sizes)])
    y = np.concatenate([np.full(n, c) for c, n in enumerate(sizes)])
    order = rng.permutation(len(y))
    return X[order], y[order]


DATASETS = ["binary", "three", "four"]


def _theirs(sampler, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        sampler.fit_resample(X, y)
    return np.sort(sampler.sample_indices_)


def _ours(cleaner, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        cleaner.fit(torch.from_numpy(X), torch.from_numpy(y))
    kept = cleaner.sample_indices_.numpy()
    assert np.all(np.diff(kept) > 0), "sample_indices_ is sorted and unique"
    return kept


CASES = [
    ("TomekLinks", {}),
    ("TomekLinks", {"sampling_strategy": "all"}),
    ("TomekLinks", {"sampling_strategy": "majority"}),
    ("TomekLinks", {"sampling_strategy": [1]}),
    ("EditedNearestNeighbours", {}),
    ("EditedNearestNeighbours", {"kind_sel": "mode"}),
    ("EditedNearestNeighbours", {"n_neighbors": 5, "sampling_strategy": "all"}),
    ("EditedNearestNeighbours", {"n_neighbors": 1, "kind_sel": "mode", "sampling_strategy": "not majority"}),
    ("RepeatedEditedNearestNeighbours", {}),
    ("RepeatedEditedNearestNeighbours", {"kind_sel": "mode"}),
    ("RepeatedEditedNearestNeighbours", {"n_neighbors": 5, "max_iter": 2}),
    ("RepeatedEditedNearestNeighbours", {"n_neighbors": 2, "kind_sel": "mode", "sampling_strategy": "majority"}),
    ("AllKNN", {}),
    ("AllKNN", {"kind_sel": "mode"}),
    ("AllKNN", {"n_neighbors": 5, "allow_minority": True}),
    ("AllKNN", {"n_neighbors": 4, "sampling_strategy": "all", "allow_minority": True}),
    ("NeighbourhoodCleaningRule", {}),
    ("NeighbourhoodCleaningRule", {"n_neighbors": 5}),
    ("NeighbourhoodCleaningRule", {"threshold_cleaning": 0.1, "sampling_strategy": "all"}),
    ("NeighbourhoodCleaningRule", {"threshold_cleaning": 2.0}),
    ("NeighbourhoodCleaningRule", {"edited_nearest_neighbours": "all-4"}),
    ("NearMiss", {"version": 1}),
    ("NearMiss", {"version": 2}),
    ("NearMiss", {"version": 3}),
    ("NearMiss", {"version": 1, "n_neighbors": 5, "sampling_strategy": "all"}),
    ("NearMiss", {"version": 2, "n_neighbors": 1, "sampling_strategy": "majority"}),
    ("NearMiss", {"version": 3, "n_neighbors": 4, "n_neighbors_ver3": 6}),
]

OURS = {
    "TomekLinks": TomekLinks,
    "EditedNearestNeighbours": EditedNearestNeighbours,
    "RepeatedEditedNearestNeighbours": RepeatedEditedNearestNeighbours,
    "AllKNN": AllKNN,
    "NeighbourhoodCleaningRule": NeighbourhoodCleaningRule,
    "NearMiss": NearMiss,
}


def _build(name, kwargs, ours):
    kwargs = dict(kwargs)
    if kwargs.get("edited_nearest_neighbours") == "all-4":
        enn = EditedNearestNeighbours if ours else imb.EditedNearestNeighbours
        kwargs["edited_nearest_neighbours"] = enn(n_neighbors=4, kind_sel="all")
    return (OURS[name] if ours else getattr(imb, name))(**kwargs)


@pytest.mark.parametrize("dataset", DATASETS)
@pytest.mark.parametrize(("name", "kwargs"), CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_removed_rows_equal_imbalanced_learn(name, kwargs, dataset):
    X, y = _data(dataset)
    ours = _ours(_build(name, kwargs, True), X, y)
    theirs = _theirs(_build(name, kwargs, False), X, y)
    assert len(ours) < len(y) or len(theirs) == len(y)
    np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("dataset", DATASETS)
def test_renn_stops_after_the_same_pass(dataset):
    X, y = _data(dataset)
    for kind_sel in ("all", "mode"):
        ours = RepeatedEditedNearestNeighbours(kind_sel=kind_sel)
        _ours(ours, X, y)
        theirs = imb.RepeatedEditedNearestNeighbours(kind_sel=kind_sel)
        _theirs(theirs, X, y)
        assert ours.n_iter_ == theirs.n_iter_


@pytest.mark.parametrize("dataset", DATASETS)
def test_ncr_classes_to_clean(dataset):
    X, y = _data(dataset)
    for threshold in (0.1, 0.5, 3.0):
        ours = NeighbourhoodCleaningRule(threshold_cleaning=threshold, sampling_strategy="all")
        theirs = imb.NeighbourhoodCleaningRule(threshold_cleaning=threshold, sampling_strategy="all")
        _ours(ours, X, y)
        _theirs(theirs, X, y)
        assert ours.classes_to_clean_ == sorted(int(c) for c in theirs.classes_to_clean_)


def _imblearn_seed_rows(random_state, y, classes, n_seeds):
    """The seed rows imbalanced-learn's OneSidedSelection draws (one randint per cleaned class,
    in label order, from ``check_random_state(random_state)``)."""
    rng = np.random.RandomState(random_state)
    return {c: np.flatnonzero(y == c)[rng.randint(0, int((y == c).sum()), size=n_seeds)] for c in classes}


OSS_CASES = [{}, {"n_neighbors": 3}, {"n_seeds_S": 4}, {"n_seeds_S": 3, "n_neighbors": 2, "sampling_strategy": "all"}]


@pytest.mark.parametrize("dataset", DATASETS)
@pytest.mark.parametrize("kwargs", OSS_CASES)
@pytest.mark.parametrize("random_state", [0, 1])
def test_one_sided_selection_given_the_same_seed_rows(kwargs, dataset, random_state):
    X, y = _data(dataset)
    theirs = imb.OneSidedSelection(random_state=random_state, **kwargs)
    expected = _theirs(theirs, X, y)
    seeds = _imblearn_seed_rows(random_state, y, sorted(theirs.sampling_strategy_), kwargs.get("n_seeds_S", 1))
    if any(len(np.unique(rows)) < len(rows) for rows in seeds.values()):
        pytest.skip("imbalanced-learn drew a seed row twice (it draws with replacement)")
    ours = OneSidedSelection(**kwargs)
    _ours(ours, X, y)  # resolves sampling_strategy_
    keep = ours._select_with_seeds(torch.from_numpy(X), torch.from_numpy(y), {c: torch.from_numpy(r) for c, r in seeds.items()})
    np.testing.assert_array_equal(keep.nonzero().squeeze(1).numpy(), expected)


@pytest.mark.parametrize("dataset", DATASETS)
def test_one_sided_selection_own_seed_rows(dataset):
    """With its own seed rows: the deterministic parts (minority untouched, every seed row of
    a cleaned class kept unless in a Tomek link, counts of the same order as imbalanced-learn's),
    and a pure function of the seed."""
    X, y = _data(dataset)
    counts = np.bincount(y)
    minority = int(np.argmin(counts))
    first = OneSidedSelection(seed=3, n_seeds_S=2)
    kept = _ours(first, X, y)
    assert (y[kept] == minority).sum() == counts[minority]
    assert sorted(first.seed_rows_) == [c for c in range(len(counts)) if c != minority]
    for label, rows in first.seed_rows_.items():
        assert len(rows) == 2 and len(torch.unique(rows)) == 2 and bool((torch.from_numpy(y)[rows] == label).all())
    np.testing.assert_array_equal(_ours(OneSidedSelection(seed=3, n_seeds_S=2), X, y), kept)
    theirs = _theirs(imb.OneSidedSelection(random_state=0, n_seeds_S=2), X, y)
    assert abs(len(kept) - len(theirs)) < 0.2 * len(y)
    others = [_ours(OneSidedSelection(seed=s, n_seeds_S=2), X, y) for s in range(4, 8)]
    assert any(len(o) != len(kept) or not np.array_equal(o, kept) for o in others)


@pytest.mark.parametrize("version", [1, 2, 3])
def test_nearmiss_float_strategy_binary(version):
    X, y = _data("binary")
    ours = _ours(NearMiss(version=version, sampling_strategy=0.5), X, y)
    theirs = _theirs(imb.NearMiss(version=version, sampling_strategy=0.5), X, y)
    np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("version", [1, 2])
def test_nearmiss_dict_strategy_counts(version):
    X, y = _data("four")
    wanted = {0: 50, 1: 40, 2: 35}
    ours = _ours(NearMiss(version=version, sampling_strategy=wanted), X, y)
    theirs = _theirs(imb.NearMiss(version=version, sampling_strategy=wanted), X, y)
    np.testing.assert_array_equal(ours, theirs)
    assert np.bincount(y[ours]).tolist() == [50, 40, 35, 35]


def test_nearmiss3_warns_when_the_short_list_is_short():
    X, y = _data("binary")
    with pytest.warns(UserWarning, match=r"NearMiss-3 short-listed \d+ rows of class 0 .*fewer than the 60 asked"):
        NearMiss(version=3, n_neighbors_ver3=1).fit(torch.from_numpy(X), torch.from_numpy(y))


def test_fit_resample_returns_the_kept_rows():
    X, y = _data("three")
    cleaner = EditedNearestNeighbours()
    X_kept, y_kept = cleaner.fit_resample(X, y)
    assert torch.equal(X_kept, torch.from_numpy(X)[cleaner.sample_indices_])
    assert torch.equal(y_kept, torch.from_numpy(y)[cleaner.sample_indices_])
    X_imb, _ = imb.EditedNearestNeighbours().fit_resample(X, y)
    assert len(X_kept) == len(X_imb)
