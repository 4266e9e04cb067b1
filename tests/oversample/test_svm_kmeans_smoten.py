"""SVM-SMOTE, KMeans-SMOTE and SMOTE-N: oracle tests against imbalanced-learn 0.14's fitted
internals, replays of its random draws through our generation, exact counts, sampling
strategies, index round trips and the error messages."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from imblearn.metrics.pairwise import ValueDifferenceMetric
from imblearn.over_sampling import SMOTEN as ImbSMOTEN
from imblearn.over_sampling import SVMSMOTE as ImbSVMSMOTE
from imblearn.over_sampling import KMeansSMOTE as ImbKMeansSMOTE
from scipy.stats import mode
from sklearn.cluster import KMeans
from sklearn.neighbors import NearestNeighbors

import imbalance_torch
from imbalance_torch import SMOTEDataset
from imbalance_torch.neighbors import IndexFileError
from imbalance_torch.oversample import SMOTEN, SVMSMOTE, KMeansSMOTE, interpolate
from imbalance_torch.oversample._family import within_class_neighbors
from imbalance_torch.oversample._kmeans_smote import cluster_sparsity
from imbalance_torch.oversample._smoten import ValueDifference, neighbor_modes, smallest_columns
from imbalance_torch.oversample._weighted_pool import WeightedClassPool, WeightedPoolOversampler
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


@given(seed=st.integers(0, 2**31), k=st.integers(1, 12), values=st.integers(1, 6))
@settings(max_examples=40, deadline=None)
def test_smallest_columns_is_a_stable_sort_prefix(seed, k, values):
    g = torch.Generator().manual_seed(seed)
    distance = torch.randint(0, values, (7, 13), generator=g).double()  # many ties
    distance[torch.arange(7), torch.arange(7)] = float("inf")
    expected = distance.sort(dim=1, stable=True).indices[:, :k]
    assert torch.equal(smallest_columns(distance, k), expected)


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


# -- SVM-SMOTE -------------------------------------------------------------------------------


def _overlapping(seed, sizes=(300, 50, 40), d=3, spread=1.5):
    rng = np.random.default_rng(seed)
    X = np.vstack([rng.normal(loc=spread * c, size=(n, d)) for c, n in enumerate(sizes)])
    y = np.concatenate([np.full(n, c) for c, n in enumerate(sizes)])
    order = rng.permutation(len(y))
    return X[order], y[order]


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("m_neighbors", [6, 10])
def test_svmsmote_support_vectors_and_their_split_match_imblearn(seed, m_neighbors):
    X, y = _overlapping(seed)
    imb = ImbSVMSMOTE(m_neighbors=m_neighbors, random_state=seed)
    imb.fit_resample(X, y)
    targets = oversampling_targets(y, "auto")
    ours = SVMSMOTE(m_neighbors=m_neighbors).fit(torch.tensor(X), torch.tensor(y), targets)
    svc = imb.svm_estimator_
    for label in (1, 2):
        support = svc.support_[y[svc.support_] == label]
        assert ours.support_indices_[label].tolist() == support.tolist()
        noise = imb._in_danger_noise(imb.nn_m_, X[support], label, y, kind="noise")
        kept = support[~noise]
        danger = imb._in_danger_noise(imb.nn_m_, X[kept], label, y, kind="danger")
        assert ours.noise_indices_[label].tolist() == support[noise].tolist()
        assert ours.danger_indices_[label].tolist() == kept[danger].tolist()
        assert ours.safe_indices_[label].tolist() == kept[~danger].tolist()
        assert len(kept[danger]) and len(kept[~danger])  # both kinds occur in this data


@pytest.mark.parametrize("seed", [0, 3])
def test_svmsmote_replay_is_bit_exact(seed):
    X, y = _overlapping(seed)
    k, out_step = 5, 0.5
    expected_X, _ = ImbSVMSMOTE(k_neighbors=k, out_step=out_step, random_state=seed).fit_resample(
        X, y
    )
    targets = oversampling_targets(y, "auto")
    ours = SVMSMOTE(k_neighbors=k, out_step=out_step).fit(torch.tensor(X), torch.tensor(y), targets)
    fit_state = np.random.RandomState(seed)  # one per fit: the danger share per class
    out = []
    for label, n_new in targets.items():
        if n_new == 0:
            continue
        n_danger = int(fit_state.beta(10, 10) * (n_new + 1))
        position = ours.class_positions(torch.tensor([label]))
        start, count = int(ours.pool_start_[position]), int(ours.pool_count_[position])
        n_d = len(ours.danger_indices_[label])
        parts = [
            (start, n_d, n_danger, 1.0),
            (start + n_d, count - n_d, n_new - n_danger, -out_step),
        ]
        for first, size, n_rows, step in parts:
            state = np.random.RandomState(seed)  # imblearn: a fresh one per _make_samples call
            draws = state.randint(low=0, high=size * k, size=n_rows)
            gaps = step * state.uniform(size=n_rows)
            entry = first + torch.tensor(draws // k)
            assert bool((ours.extrapolate_[entry] == (step < 0)).all())
            neighbor = ours.neighbors_[entry, torch.tensor(draws % k)]
            out.append(
                interpolate(ours.X_, ours.base_rows_[entry], neighbor, torch.tensor(gaps)).numpy()
            )
    np.testing.assert_array_equal(np.vstack([X] + out), expected_X)


def test_svmsmote_draws_half_danger_half_safe_and_steps_away_from_safe_rows():
    X, y = _overlapping(2)
    Xt, yt = torch.tensor(X), torch.tensor(y)
    sm = SVMSMOTE(k_neighbors=4, out_step=0.3).fit(Xt, yt, {1: 4000})
    draw = sm.draw(torch.ones(4000, dtype=torch.long), torch.arange(4000), seed=1, epoch=0)
    away = sm.extrapolate_[draw.pool]
    assert abs(float(away.double().mean()) - 0.5) < 0.04
    safe = set(sm.safe_indices_[1].tolist())
    assert all((b in safe) == a for b, a in zip(draw.base.tolist(), away.tolist()))
    assert bool(((draw.gap[away] <= 0) & (draw.gap[away] > -0.3)).all())
    assert bool(((draw.gap[~away] >= 0) & (draw.gap[~away] < 1)).all())
    assert bool((yt[draw.neighbor] == 1).all())
    rows = sm.rows(draw)
    expected = Xt[draw.base] + draw.gap[:, None] * (Xt[draw.neighbor] - Xt[draw.base])
    torch.testing.assert_close(rows, expected, rtol=0, atol=1e-12)
    # every danger and safe vector is used, with equal chances within its kind
    counts = torch.bincount(draw.pool, minlength=len(sm.base_rows_))
    assert bool((counts > 0).all())


def test_svmsmote_with_one_kind_only_adds_exactly_the_rows_asked_for():
    X, y = _overlapping(0, spread=6.0)  # far apart: no danger support vector
    sm = SVMSMOTE(m_neighbors=5).fit(torch.tensor(X), torch.tensor(y), {1: 250, 2: 260})
    assert all(len(v) == 0 for v in sm.danger_indices_.values())
    assert bool(sm.extrapolate_.all())
    ds = SMOTEDataset(torch.tensor(X), torch.tensor(y), oversampler=SVMSMOTE(m_neighbors=5), seed=0)
    assert torch.bincount(ds[torch.arange(len(ds))][1]).tolist() == [300, 300, 300]
    _, theirs = ImbSVMSMOTE(m_neighbors=5, random_state=0).fit_resample(X, y)
    assert np.bincount(theirs)[1:].max() < 300  # imbalanced-learn adds one kind's share only


def test_svmsmote_errors():
    X, y = _overlapping(0)
    Xt, yt = torch.tensor(X), torch.tensor(y)
    with pytest.raises(ValueError, match=r"out_step must be in \[0, 1\] .*; got out_step=1.5"):
        SVMSMOTE(out_step=1.5).fit(Xt, yt, {1: 10})
    with pytest.raises(TypeError, match="out_step must be a float in \\[0, 1\\]; got True"):
        SVMSMOTE(out_step=True).fit(Xt, yt, {1: 10})
    with pytest.raises(
        TypeError, match="svm_estimator must be None or an unfitted scikit-learn SVM"
    ):
        SVMSMOTE(svm_estimator="svc").fit(Xt, yt, {1: 10})
    from sklearn.linear_model import LogisticRegression

    with pytest.raises(TypeError, match="has no support_ attribute once fitted"):
        SVMSMOTE(svm_estimator=LogisticRegression()).fit(Xt, yt, {1: 10})
    with pytest.raises(
        ValueError, match=r"m_neighbors=400 needs at least 401 training rows; there are 390"
    ):
        SVMSMOTE(m_neighbors=400).fit(Xt, yt, {1: 10})
    with pytest.raises(
        ValueError, match=r"k_neighbors=40 needs at least 41 rows of class 2, which has 40"
    ):
        SVMSMOTE(k_neighbors=40).fit(Xt, yt, {2: 10})
    # A linear SVM on separable classes keeps no support vector of class 2 in the ovo pairs?
    # Force it: an estimator whose support_ holds class-0 rows only.
    with pytest.raises(
        ValueError, match=r"SVMSMOTE found no support vector of class 1 among the 3 support vectors"
    ):
        SVMSMOTE(svm_estimator=_FixedSupport(np.flatnonzero(y == 0)[:3])).fit(Xt, yt, {1: 10})
    noise = np.flatnonzero(y == 1)[:1]
    far = X.copy()
    far[noise] = X[np.flatnonzero(y == 0)[0]] + 1e-3  # deep inside class 0
    with pytest.raises(
        ValueError, match=r"all 1 support vectors of class 1 are noise .*m_neighbors=3"
    ):
        SVMSMOTE(m_neighbors=3, svm_estimator=_FixedSupport(noise)).fit(
            torch.tensor(far), yt, {1: 10}
        )


class _FixedSupport:
    """A stand-in SVM whose support vectors are given."""

    def __init__(self, support=None):
        self.support = support

    def get_params(self, deep=True):
        return {"support": self.support}

    def set_params(self, **params):
        self.support = params["support"]
        return self

    def fit(self, X, y):
        self.support_ = np.asarray(self.support)
        return self


# -- KMeans-SMOTE ----------------------------------------------------------------------------


def _clustered(seed):
    """Four majority blobs, three minority blobs of their own (unevenly dense) and a few
    minority rows scattered among the majority."""
    rng = np.random.default_rng(seed)
    parts, labels = [], []
    for _ in range(4):
        parts.append(rng.normal(scale=8.0, size=2) + rng.normal(size=(80, 2)))
        labels += [0] * 80
    for n_minor, scale in ((30, 0.3), (20, 0.7), (12, 1.2)):
        parts.append(rng.normal(scale=8.0, size=2) + rng.normal(scale=scale, size=(n_minor, 2)))
        labels += [1] * n_minor
    parts.append(parts[0][:4] + rng.normal(scale=0.2, size=(4, 2)))
    labels += [1] * 4
    X, y = np.vstack(parts), np.array(labels)
    order = rng.permutation(len(y))
    return X[order], y[order]


def _imblearn_clusters(imb, X, y):
    """Run imbalanced-learn, recording the class rows, neighbour table and row count of each
    cluster it samples from (its ``_make_samples`` calls)."""
    calls = []
    original = imb._make_samples

    def spy(X_class, y_dtype, label, nn_data, nns, n_samples, step_size=1.0):
        calls.append((X_class, nns, n_samples))
        return original(X_class, y_dtype, label, nn_data, nns, n_samples, step_size)

    imb._make_samples = spy
    expected_X, _ = imb.fit_resample(X, y)
    return expected_X, calls


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("threshold", ["auto", 0.1])
def test_kmeans_smote_cluster_filter_weights_and_replay(seed, threshold):
    X, y = _clustered(seed)
    k = 2
    make_kmeans = lambda: KMeans(n_clusters=6, n_init=1, random_state=seed)  # noqa: E731
    imb = ImbKMeansSMOTE(
        k_neighbors=k,
        kmeans_estimator=make_kmeans(),
        cluster_balance_threshold=threshold,
        random_state=seed,
    )
    expected_X, calls = _imblearn_clusters(imb, X, y)
    targets = oversampling_targets(y, "auto")
    ours = KMeansSMOTE(
        k_neighbors=k, kmeans_estimator=make_kmeans(), cluster_balance_threshold=threshold
    )
    ours.fit(torch.tensor(X), torch.tensor(y), targets)
    np.testing.assert_array_equal(ours.cluster_labels_.numpy(), imb.kmeans_estimator_.labels_)
    weights = ours.cluster_weights_[1]
    assert len(weights) == len(calls) >= 2  # the same kept clusters, in the same order
    n_new, start, out = targets[1], 0, []
    for (cluster, weight), (X_class, nns, n_rows) in zip(weights.items(), calls):
        rows = torch.tensor(np.flatnonzero((y == 1) & (imb.kmeans_estimator_.labels_ == cluster)))
        np.testing.assert_array_equal(X[rows.numpy()], X_class)
        assert n_rows == int(np.ceil(n_new * weight))  # imblearn's per-cluster rounding
        sparsity = cluster_sparsity(torch.tensor(X_class))
        assert sparsity == pytest.approx(imb._find_cluster_sparsity(X_class), rel=1e-9)
        entries = slice(start, start + len(rows))
        assert torch.equal(ours.base_rows_[entries], rows)
        np.testing.assert_allclose(
            ours.pool_weight_[entries].numpy(), weight / len(rows), rtol=1e-12
        )
        np.testing.assert_array_equal(ours.neighbors_[entries].numpy(), rows.numpy()[nns])
        state = np.random.RandomState(seed)  # a fresh one per cluster
        draws = state.randint(low=0, high=nns.size, size=n_rows)
        gaps = state.uniform(size=n_rows)
        entry = start + torch.tensor(draws // k)
        neighbor = ours.neighbors_[entry, torch.tensor(draws % k)]
        out.append(
            interpolate(ours.X_, ours.base_rows_[entry], neighbor, torch.tensor(gaps)).numpy()
        )
        start += len(rows)
    # sparsities -> weights
    sparsities = np.array([imb._find_cluster_sparsity(c[0]) for c in calls])
    np.testing.assert_allclose(list(weights.values()), sparsities / sparsities.sum(), rtol=1e-9)
    np.testing.assert_array_equal(np.vstack([X] + out), expected_X)
    assert len(expected_X) - len(X) > n_new  # imblearn overshoots; we add exactly n_new


def test_kmeans_smote_draws_clusters_by_weight_and_neighbours_within_them():
    X, y = _clustered(2)
    Xt, yt = torch.tensor(X), torch.tensor(y)
    sm = KMeansSMOTE(kmeans_estimator=KMeans(n_clusters=6, n_init=1, random_state=0)).fit(
        Xt, yt, {1: 5000}
    )
    draw = sm.draw(torch.ones(5000, dtype=torch.long), torch.arange(5000), seed=3, epoch=1)
    clusters = sm.cluster_labels_
    assert bool((clusters[draw.base] == clusters[draw.neighbor]).all())
    assert bool((yt[draw.base] == 1).all() and (yt[draw.neighbor] == 1).all())
    share = torch.bincount(clusters[draw.base], minlength=6).double() / 5000
    for cluster, weight in sm.cluster_weights_[1].items():
        assert abs(float(share[cluster]) - weight) < 0.025
    assert float(share.sum()) == pytest.approx(1.0)


def test_kmeans_smote_multiclass_and_single_cluster():
    X, y = _overlapping(1, sizes=(200, 60, 45))
    Xt, yt = torch.tensor(X), torch.tensor(y)
    ds = SMOTEDataset(Xt, yt, oversampler=KMeansSMOTE(kmeans_estimator=1), seed=0)
    assert torch.bincount(ds[torch.arange(len(ds))][1]).tolist() == [200, 200, 200]
    assert set(ds.oversampler.cluster_weights_[1]) == {0}  # one cluster: every threshold passes


def _identical_blobs():
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(size=(60, 2)), np.full((5, 2), 10.0), np.full((6, 2), -10.0)])
    y = np.array([0] * 60 + [1] * 11)
    return torch.tensor(X), torch.tensor(y)


def test_kmeans_smote_clusters_of_identical_rows_share_the_weight():
    X, y = _identical_blobs()
    kmeans = KMeans(n_clusters=3, n_init=1, random_state=0)
    sm = KMeansSMOTE(kmeans_estimator=kmeans).fit(X, y, {1: 49})
    assert sorted(sm.cluster_weights_[1].values()) == [0.5, 0.5]
    rows = sm.generate(torch.ones(49, dtype=torch.long), torch.arange(49), seed=0, epoch=0)
    assert bool(((rows == 10.0) | (rows == -10.0)).all())
    with pytest.raises(
        ValueError,
        match=r"the sparsities of the kept clusters of class 1 are \[inf, inf\] with "
        r"density_exponent=-1.0 .*use a positive exponent",
    ):
        KMeansSMOTE(kmeans_estimator=kmeans, density_exponent=-1.0).fit(X, y, {1: 49})


@given(seed=st.integers(0, 2**31), epoch=st.integers(0, 10**6), which=st.sampled_from([0, 1]))
@settings(max_examples=25, deadline=None)
def test_weighted_pool_draws_stay_in_their_class(fitted_weighted, seed, epoch, which):
    sm = fitted_weighted[which]
    labels = torch.tensor([1, 2, 2, 1] * 50)
    draw = sm.draw(labels, torch.arange(200), seed=seed, epoch=epoch)
    y = sm.y_
    assert bool((y[draw.base] == labels).all() and (y[draw.neighbor] == labels).all())
    position = sm.class_positions(labels)
    start = sm.pool_start_[position]
    assert bool(((draw.pool >= start) & (draw.pool < start + sm.pool_count_[position])).all())
    away = sm.extrapolate_[draw.pool]
    step = -0.5 if which == 0 else 0.0
    assert bool(((draw.gap[away] <= 0) & (draw.gap[away] > step)).all())
    assert bool(((draw.gap[~away] >= 0) & (draw.gap[~away] < 1)).all())
    assert torch.equal(sm.rows(draw), sm.generate(labels, torch.arange(200), seed, epoch))


@pytest.fixture(scope="module")
def fitted_weighted():
    """A fitted SVMSMOTE and KMeansSMOTE on three classes."""
    X, y = _overlapping(4)
    Xt, yt = torch.tensor(X), torch.tensor(y)
    targets = oversampling_targets(y, "auto")
    kmeans = KMeans(n_clusters=3, n_init=1, random_state=0)
    return [
        SVMSMOTE(k_neighbors=3).fit(Xt, yt, targets),
        KMeansSMOTE(kmeans_estimator=kmeans, cluster_balance_threshold=0.1).fit(Xt, yt, targets),
    ]


def test_kmeans_smote_errors():
    X, y = _clustered(0)
    Xt, yt = torch.tensor(X), torch.tensor(y)
    kmeans = KMeans(n_clusters=6, n_init=1, random_state=0)
    with pytest.raises(
        ValueError,
        match=r"KMeansSMOTE found no cluster for class 1: a cluster needs a share of class 1 rows of at least cluster_balance_threshold=0.9; the largest among the 2 clusters is 0\.1849 \(cluster 0, 54 rows of class 1\)\. Lower cluster_balance_threshold to 0\.1849 or use more clusters",
    ):
        two = KMeans(n_clusters=2, n_init=1, random_state=0)  # shares 0.185 and 0.128
        KMeansSMOTE(kmeans_estimator=two, cluster_balance_threshold=0.9).fit(Xt, yt, {1: 100})
    with pytest.raises(
        ValueError, match=r"none of the 6 clusters holds k_neighbors \+ 1 = 41 rows of class 1"
    ):
        KMeansSMOTE(k_neighbors=40, kmeans_estimator=kmeans).fit(Xt, yt, {1: 100})
    with pytest.raises(
        ValueError, match=r"k_neighbors=70 needs at least 71 rows of class 1, which has 66"
    ):
        KMeansSMOTE(k_neighbors=70).fit(Xt, yt, {1: 100})
    with pytest.raises(TypeError, match="kmeans_estimator must be None, a number of clusters"):
        KMeansSMOTE(kmeans_estimator="kmeans").fit(Xt, yt, {1: 100})
    with pytest.raises(TypeError, match="kmeans_estimator must be None, .*; got True of type bool"):
        KMeansSMOTE(kmeans_estimator=True).fit(Xt, yt, {1: 100})
    with pytest.raises(
        ValueError, match="kmeans_estimator must be an int >= 1; got kmeans_estimator=0"
    ):
        KMeansSMOTE(kmeans_estimator=0).fit(Xt, yt, {1: 100})
    with pytest.raises(
        TypeError, match="cluster_balance_threshold must be \"auto\" or a number; got 'high'"
    ):
        KMeansSMOTE(cluster_balance_threshold="high").fit(Xt, yt, {1: 100})
    with pytest.raises(
        ValueError,
        match='density_exponent must be "auto" or a finite number; got density_exponent=inf',
    ):
        KMeansSMOTE(density_exponent=float("inf")).fit(Xt, yt, {1: 100})


# -- all three -----------------------------------------------------------------------------


def test_new_oversamplers_are_exported():
    from imbalance_torch import oversample

    for name in ("SMOTEN", "SVMSMOTE", "KMeansSMOTE"):
        assert getattr(imbalance_torch, name) is getattr(oversample, name)
        assert name in imbalance_torch.__all__ and name in oversample.__all__


def _makers():
    return [
        lambda: SMOTEN(k_neighbors=3),
        lambda: SVMSMOTE(k_neighbors=3, m_neighbors=6),
        lambda: KMeansSMOTE(
            kmeans_estimator=KMeans(n_clusters=3, n_init=1, random_state=0),
            cluster_balance_threshold=0.1,
        ),
    ]


def _data_for(make):
    if isinstance(make(), SMOTEN):
        X, y = _categorical(6)
    else:
        X, y = _overlapping(6, sizes=(150, 45, 30))
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


@pytest.mark.parametrize("make", _makers()[1:])
def test_weighted_index_content_checks(tmp_path, make):
    import zipfile

    X, y = _data_for(make)
    ds = SMOTEDataset(X, y, oversampler=make(), seed=3)
    path = tmp_path / "index.npz"
    ds.save_index(path)
    with zipfile.ZipFile(path) as archive:
        assert {"pool_weight.npy", "extrapolate.npy"} <= set(archive.namelist())
    from imbalance_torch.oversample._index_checks import check_index_arrays, index_rules

    sm = ds.oversampler
    arrays = {name: t.numpy().copy() for name, t in sm._state_arrays().items()}
    labels = sm.classes_.tolist()
    rules = index_rules(sm)
    check_index_arrays(path, rules, arrays, y, labels)  # as written: accepted
    edits = {
        "pool_weight holds -0.5": ("pool_weight", lambda a: a.__setitem__(0, -0.5)),
        "weights add up to": ("pool_weight", lambda a: a.__setitem__(0, a[0] * 2)),
        "extrapolate holds 2": ("extrapolate", lambda a: a.__setitem__(0, 2)),
        "lists a base row twice": ("base_rows", lambda a: a.__setitem__(1, a[0])),
    }
    for message, (name, edit) in edits.items():
        changed = {key: value.copy() for key, value in arrays.items()}
        edit(changed[name])
        with pytest.raises(IndexFileError, match=message):
            check_index_arrays(path, rules, changed, y, labels)


class _EveryRowOnce(WeightedPoolOversampler):
    """A user's weighted oversampler: each class row, weight by position, 2 neighbours."""

    _params = ("k_neighbors",)
    k_neighbors = 2

    def _fit_weighted(self, X, y, label):
        rows, neighbors = within_class_neighbors(X, y, label, 2)
        weights = torch.arange(1, len(rows) + 1, dtype=torch.float64)
        return WeightedClassPool(rows, neighbors, weights / weights.sum())


def test_a_user_weighted_pool_saves_and_loads(tmp_path):
    X, y = _data_for(_makers()[1])
    targets = oversampling_targets(y.numpy(), "auto")
    fitted = _EveryRowOnce().fit(X, y, targets)
    fitted.save(tmp_path / "user.npz")
    loaded = _EveryRowOnce().load(tmp_path / "user.npz", X, y, targets)
    labels, slots = torch.tensor([1, 2] * 30), torch.arange(60)
    assert torch.equal(loaded.generate(labels, slots, 1, 2), fitted.generate(labels, slots, 1, 2))


def test_kmeans_index_refuses_extrapolation_flags(tmp_path):
    from imbalance_torch.oversample._index_checks import check_index_arrays, index_rules

    X, y = _data_for(_makers()[2])
    sm = _makers()[2]().fit(X, y, oversampling_targets(y.numpy(), "auto"))
    arrays = {name: t.numpy().copy() for name, t in sm._state_arrays().items()}
    arrays["extrapolate"][0] = 1
    with pytest.raises(
        IndexFileError,
        match="extrapolate holds 1; it is 0 or 1 per entry and always 0 for this method",
    ):
        check_index_arrays(tmp_path / "x.npz", index_rules(sm), arrays, y, sm.classes_.tolist())


@pytest.mark.parametrize("make", _makers())
def test_index_with_no_class_to_over_sample_round_trips(tmp_path, make):
    X, y = _data_for(make)
    y = torch.arange(len(y)) % 3  # balanced: nothing to add
    SMOTEDataset(X, y, oversampler=make()).save_index(tmp_path / "empty.npz")
    loaded = SMOTEDataset(X, y, oversampler=make(), index_path=tmp_path / "empty.npz")
    assert loaded.num_synthetic == 0


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("make", _makers())
def test_cuda_fit_gives_the_cpu_rows(make):
    X, y = _data_for(make)
    targets = oversampling_targets(y.numpy(), "auto")
    cpu = make().fit(X, y, targets)
    cuda = make().fit(X.cuda(), y.cuda(), targets)
    labels = torch.tensor([c for c, n in sorted(targets.items()) for _ in range(n)])
    slots = torch.cat([torch.arange(n) for _, n in sorted(targets.items())])
    expected = cpu.generate(labels, slots, seed=4, epoch=2)
    got = cuda.generate(labels.cuda(), slots.cuda(), seed=4, epoch=2).cpu()
    torch.testing.assert_close(got, expected, rtol=0, atol=1e-12)


def _fit_new_methods():
    out = {}
    for number, make in enumerate(_makers()):
        X, y = _data_for(make)
        fitted = make().fit(X, y, oversampling_targets(y.numpy(), "auto"))
        out[number] = {key: value.clone() for key, value in fitted._state_arrays().items()}
    return out


def _gloo_worker(rank, folder):
    import os

    import torch.distributed as dist

    torch.set_num_threads(1)
    dist.init_process_group(
        "gloo", init_method=f"file://{folder}/rendezvous", rank=rank, world_size=2
    )
    try:
        torch.save(_fit_new_methods(), os.path.join(folder, f"rank{rank}.pt"))
    finally:
        dist.destroy_process_group()


@pytest.mark.slow
def test_two_gloo_ranks_fit_the_one_process_index(tmp_path):
    import torch.multiprocessing as mp

    mp.spawn(_gloo_worker, args=(str(tmp_path),), nprocs=2, join=True)
    expected = _fit_new_methods()
    for rank in range(2):
        got = torch.load(tmp_path / f"rank{rank}.pt", weights_only=False)
        for number, arrays in expected.items():
            assert sorted(got[number]) == sorted(arrays)
            for key in arrays:
                assert torch.equal(got[number][key], arrays[key]), f"rank {rank}, {number}: {key}"
