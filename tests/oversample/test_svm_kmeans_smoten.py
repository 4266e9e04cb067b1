"""SVM-SMOTE, KMeans-SMOTE and SMOTE-N: oracle tests against imbalanced-learn 0.14's fitted
internals, replays of its random draws through our generation, exact counts, sampling
strategies, index round trips and the error messages."""

import numpy as np
import pytest
import torch
from imblearn.metrics.pairwise import ValueDifferenceMetric
from imblearn.over_sampling import SMOTEN as ImbSMOTEN
from scipy.stats import mode
from sklearn.neighbors import NearestNeighbors

import imbalance_torch
from imbalance_torch import SMOTEDataset
from imbalance_torch.oversample import SMOTEN
from imbalance_torch.oversample._smoten import ValueDifference, neighbor_modes
from imbalance_torch.targets import oversampling_targets

# -- SMOTE-N -----------------------------------------------------------------------------------


def _categorical(seed, sizes=(150, 45, 30), columns=(4, 5, 6, 7, 5)):
    """Codes 0..n-1 per column (what an OrdinalEncoder gives), each class with its own mix."""
    rng = np.random.default_rng(seed)
    parts, labels = [], []
    for label, size in enumerate(sizes):
        cols = [rng.choice(n, size=size, p=rng.dirichlet(np.ones(n))) for n in columns]
        parts.append(np.stack(cols, 1))
        labels.append(np.full(size, label))
    X, y = np.vstack(parts), np.concatenate(labels)
    for column, n in enumerate(columns):  # every code present, so codes == ordinal encoding
        X[:n, column] = np.arange(n)
    order = rng.permutation(len(y))
    return X[order].astype(np.int64), y[order]


@pytest.mark.parametrize("seed", [0, 1])
def test_smoten_vdm_distances_match_imblearn(seed):
    X, y = _categorical(seed)
    ours = ValueDifference(torch.tensor(X), torch.tensor(y))
    theirs = ValueDifferenceMetric().fit(X.astype(np.int32), y)
    rows = np.flatnonzero(y == 1)
    expected = theirs.pairwise(X[rows].astype(np.int32), X.astype(np.int32))
    got = ours.pairwise(torch.tensor(X[rows]), torch.tensor(X)).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)
    for probability, expected_p in zip(ours.probabilities, theirs.proba_per_class_):
        np.testing.assert_allclose(probability.numpy(), expected_p, rtol=1e-15)


def test_smoten_votes_match_scipy_mode_with_ties():
    rng = np.random.default_rng(3)
    codes = rng.integers(0, 3, size=(200, 4))
    base = rng.integers(0, 200, size=500)
    neighbors = rng.integers(0, 200, size=(500, 5))
    got = neighbor_modes(torch.tensor(codes), torch.tensor(base), torch.tensor(neighbors)).numpy()
    group = codes[np.concatenate([base[:, None], neighbors], 1)]  # (500, 6, 4): many ties
    expected = np.squeeze(mode(group, axis=1, keepdims=True).mode, axis=1)
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("seed", [0, 2])
def test_smoten_neighbours_votes_and_replay(seed):
    X, y = _categorical(seed)
    k = 5
    expected_X, _ = ImbSMOTEN(k_neighbors=k, random_state=seed).fit_resample(X, y)
    targets = oversampling_targets(y, "auto")
    ours = SMOTEN(k_neighbors=k).fit(torch.tensor(X), torch.tensor(y), targets)
    vdm = ValueDifferenceMetric().fit(X.astype(np.int32), y)
    out, compared = [], []
    for label, n_new in targets.items():
        if n_new == 0:
            continue
        rows = np.flatnonzero(y == label)
        distance = vdm.pairwise(X[rows].astype(np.int32))
        theirs = NearestNeighbors(n_neighbors=k + 1, metric="precomputed").fit(distance)
        theirs = theirs.kneighbors(distance, return_distance=False)
        # Rows whose k nearest (itself aside) are not decided by a tie: the same set.
        ranked = np.sort(distance + np.diag(np.full(len(rows), np.inf)), 1)
        decided = (ranked[:, 0] > 0) & (ranked[:, k - 1] < ranked[:, k])
        start = int(ours.pool_start_[ours.class_positions(torch.tensor([label]))])
        table = ours.neighbors_[start : start + len(rows)].numpy()
        for i in np.flatnonzero(decided):
            assert set(table[i]) | {rows[i]} == set(rows[theirs[i]])
        assert decided.mean() > 0.6
        # Replay: imbalanced-learn's base draws (a fresh RandomState per class) through our rows.
        draws = np.random.RandomState(seed).choice(np.arange(len(rows)), size=n_new, replace=True)
        out.append(ours.modes_[start + torch.tensor(draws)].numpy())
        compared.append(decided[draws])
    new = expected_X[len(X) :]
    got, compared = np.vstack(out), np.concatenate(compared)
    np.testing.assert_array_equal(got[compared], new[compared])
    assert compared.mean() > 0.6


def test_smoten_generation_draws_base_rows_of_the_class():
    X, y = _categorical(4)
    Xt, yt = torch.tensor(X, dtype=torch.float32), torch.tensor(y)
    sm = SMOTEN(k_neighbors=3).fit(Xt, yt, {1: 105, 2: 120})
    labels = torch.tensor([1] * 50 + [2] * 50)
    draw = sm.draw(labels, torch.arange(100), seed=5, epoch=2)
    rows = sm.rows(draw)
    assert rows.dtype == torch.float32 and (yt[draw.base] == labels).all()
    assert (draw.neighbor == -1).all() and (draw.gap == 0).all()
    assert torch.equal(rows, sm.modes_[draw.pool])
    assert torch.equal(rows, sm.generate(labels, torch.arange(100), seed=5, epoch=2))


def test_smoten_errors():
    X, y = _categorical(0)
    Xt, yt = torch.tensor(X, dtype=torch.float64), torch.tensor(y)
    bad = Xt.clone()
    bad[3, 2] = 0.5
    with pytest.raises(
        ValueError,
        match=r"SMOTEN needs every column to hold a category code .* column 2 holds 0.5 in row 3",
    ):
        SMOTEN().fit(bad, yt, {1: 10})
    bad[3, 2] = -1
    with pytest.raises(ValueError, match=r"column 2 holds -1.0 in row 3"):
        SMOTEN().fit(bad, yt, {1: 10})
    with pytest.raises(
        ValueError,
        match=r"k_neighbors=30 needs at least 31 rows of class 2, which has 30; lower k_neighbors to 29",
    ):
        SMOTEN(k_neighbors=30).fit(Xt, yt, {2: 10})
    with pytest.raises(TypeError, match="k_neighbors must be an int >= 1; got True"):
        SMOTEN(k_neighbors=True).fit(Xt, yt, {2: 10})


# -- all three -----------------------------------------------------------------------------


def test_new_oversamplers_are_exported():
    from imbalance_torch import oversample

    for name in ("SMOTEN",):
        assert getattr(imbalance_torch, name) is getattr(oversample, name)
        assert name in imbalance_torch.__all__ and name in oversample.__all__


def _makers():
    return [lambda: SMOTEN(k_neighbors=3)]


def _data_for(make):
    X, y = _categorical(6)
    return torch.tensor(X, dtype=torch.float64), torch.tensor(y)


@pytest.mark.parametrize("make", _makers())
@pytest.mark.parametrize(
    "strategy", ["auto", "minority", "not minority", "all", {1: 100, 2: 90}, lambda y: {2: 60}]
)
def test_exact_counts_for_every_sampling_strategy(make, strategy):
    X, y = _data_for(make)
    ds = SMOTEDataset(X, y, oversampler=make(), sampling_strategy=strategy, seed=1)
    targets = oversampling_targets(y.numpy(), strategy)
    labels = ds[torch.arange(len(ds))][1]
    for label, n_new in targets.items():
        assert int((labels == label).sum()) == int((y == label).sum()) + n_new


@pytest.mark.parametrize("make", _makers())
def test_index_round_trip_gives_identical_rows(tmp_path, make):
    X, y = _data_for(make)
    ds = SMOTEDataset(X, y, oversampler=make(), seed=3)
    ds.save_index(tmp_path / "index.npz")
    loaded = SMOTEDataset(X, y, oversampler=make(), seed=3, index_path=tmp_path / "index.npz")
    rows = torch.arange(ds.num_real, len(ds))
    assert torch.equal(ds[rows][0], loaded[rows][0])
    ds.set_epoch(1)
    loaded.set_epoch(1)
    assert torch.equal(ds[rows][0], loaded[rows][0])
