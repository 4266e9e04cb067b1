"""Categorical columns in every SMOTE variant (SMOTE-NC's rules): invariants (hypothesis),
imbalanced-learn's SMOTENC as the oracle, brute-force numpy for the class-vs-all searches, and
the messages for bad ``categorical_features``."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from imblearn.over_sampling import SMOTENC as ImbSMOTENC

from imbalance_torch import SMOTEDataset
from imbalance_torch.oversample import (
    ADASYN,
    SMOTE,
    SMOTENC,
    BorderlineSMOTE,
    RandomOverSampler,
    SyntheticDraw,
)
from imbalance_torch.targets import oversampling_targets

METHODS = {
    "smote": lambda cat, k: SMOTE(k_neighbors=k, categorical_features=cat),
    "smotenc": lambda cat, k: SMOTENC(categorical_features=cat, k_neighbors=k),
    "borderline-1": lambda cat, k: BorderlineSMOTE(
        kind="borderline-1", k_neighbors=k, categorical_features=cat
    ),
    "borderline-2": lambda cat, k: BorderlineSMOTE(
        kind="borderline-2", k_neighbors=k, categorical_features=cat
    ),
    "adasyn": lambda cat, k: ADASYN(n_neighbors=k, categorical_features=cat),
}


def _mixed(
    seed, n_major=90, n_minor=30, n_continuous=3, cardinalities=(3, 5), classes=2, shift=0.7
):
    """Overlapping classes; categorical code columns (skewed by class) interleaved at random
    positions. Returns ``(X float64, y int64, categorical column indices)``."""
    rng = np.random.default_rng(seed)
    sizes = [n_major] + [n_minor + 9 * (c - 1) for c in range(1, classes)]
    y = np.concatenate([np.full(size, c) for c, size in enumerate(sizes)])
    continuous = rng.normal(size=(len(y), n_continuous)) + shift * y[:, None]
    codes = np.stack(
        [
            (rng.integers(0, m, len(y)) + (y % 2) * rng.integers(0, 2, len(y))) % m
            for m in cardinalities
        ],
        1,
    )
    position = rng.permutation(n_continuous + len(cardinalities))  # column j goes to position[j]
    X = np.empty((len(y), len(position)))
    X[:, position] = np.hstack([continuous, codes.astype(np.float64)])
    categorical = sorted(position[n_continuous:].tolist())
    shuffle = rng.permutation(len(y))
    return X[shuffle], y[shuffle], categorical


def _columns(X, categorical):
    return [c for c in range(X.shape[1]) if c not in categorical]


# -- invariants ---------------------------------------------------------------------------------
@pytest.mark.parametrize("method", list(METHODS))
@settings(max_examples=15, deadline=None)
@given(
    seed=st.integers(0, 2**31),
    k=st.integers(1, 5),
    n_categorical=st.integers(1, 3),
    as_mask=st.booleans(),
    epoch=st.integers(0, 1000),
)
def test_categorical_values_come_from_the_neighbours_and_numbers_lie_on_the_segment(
    method, seed, k, n_categorical, as_mask, epoch
):
    X, y, categorical = _mixed(seed, cardinalities=(3, 5, 2)[:n_categorical])
    spec = [c in categorical for c in range(X.shape[1])] if as_mask else categorical
    ds = SMOTEDataset(
        torch.tensor(X), torch.tensor(y), oversampler=METHODS[method](spec, k), seed=seed
    )
    ds.set_epoch(epoch)
    index = torch.arange(ds.num_real, len(ds))
    rows, labels = ds[index]
    origin = ds.provenance(index)
    sampler = ds.oversampler
    draw = sampler.draw(origin["label"], origin["slot"], seed, epoch)
    assert torch.equal(draw.base, origin["base_index"]) and torch.equal(
        draw.neighbor, origin["neighbor_index"]
    )
    assert torch.equal(sampler.base_rows_[draw.pool], draw.base)
    table = sampler.neighbors_[draw.pool]  # (b, k): the fitted neighbours of each row's pool entry
    assert (table == draw.neighbor.unsqueeze(1)).any(1).all()
    Xt = torch.tensor(X)
    # every categorical value is a code held by one of the base row's neighbours of its class,
    # and one of the codes held by the most of them (NOTE [vote within the class]); a base
    # row with no neighbour of its class keeps its own codes
    voters = torch.tensor(y)[table] == labels.unsqueeze(1)  # (b, k)
    alone = ~voters.any(1)
    neighbour_codes = Xt[table][:, :, categorical]  # (b, k, c)
    codes = rows[:, categorical]
    assert torch.equal(codes[alone], Xt[draw.base[alone]][:, categorical])
    held = (neighbour_codes == codes.unsqueeze(1)) & voters.unsqueeze(2)
    assert held[~alone].any(1).all()
    same = (neighbour_codes.unsqueeze(2) == neighbour_codes.unsqueeze(1)) & voters[:, None, :, None]
    top = torch.where(voters.unsqueeze(2), same.sum(2), -1).amax(1)
    assert torch.equal(held.sum(1)[~alone], top[~alone])
    # numeric columns lie on the base-neighbour segment
    continuous = _columns(X, categorical)
    gap = origin["gap"]
    assert ((gap >= 0) & (gap < 1)).all()
    start, end = Xt[draw.base][:, continuous], Xt[draw.neighbor][:, continuous]
    torch.testing.assert_close(
        rows[:, continuous], start + gap.unsqueeze(1) * (end - start), rtol=0, atol=1e-12
    )
    low, high = torch.minimum(start, end), torch.maximum(start, end)
    assert ((rows[:, continuous] >= low) & (rows[:, continuous] <= high)).all()
    if method == "borderline-2":
        assert (gap[y[draw.neighbor.numpy()] != 1] < 0.5).all()
    else:
        assert (torch.tensor(y)[draw.neighbor] == labels).all()


@pytest.mark.parametrize("method", list(METHODS))
def test_synthetic_codes_stay_whole_codes_of_the_column(method):
    # Fails on main before categorical_features existed: smote, borderline and adasyn
    # interpolated the codes to non-integers (issue 9 (b)); BorderlineSMOTE and ADASYN did not
    # take categorical_features at all.
    X, y, categorical = _mixed(3, cardinalities=(8, 20), shift=0.5)
    ds = SMOTEDataset(
        torch.tensor(X), torch.tensor(y), oversampler=METHODS[method](categorical, 5), seed=1
    )
    rows, _ = ds[torch.arange(ds.num_real, len(ds))]
    for column in categorical:
        assert set(rows[:, column].tolist()) <= set(X[:, column].tolist())


def test_borderline2_votes_among_its_neighbours_of_the_class():
    # NOTE [vote within the class]: the other-class neighbours Borderline-2 interpolates
    # toward do not vote (they did before: codes no minority row held).
    X, y, categorical = _mixed(4)
    bs = BorderlineSMOTE(kind="borderline-2", categorical_features=categorical).fit(
        torch.tensor(X), torch.tensor(y), {1: 60}
    )
    neighbour_labels = torch.tensor(y)[bs.neighbors_]
    assert (neighbour_labels != 1).any()  # some neighbours are of the other class
    draw = bs.draw(torch.ones(3000, dtype=torch.long), torch.arange(3000), 0, 0)
    voters = neighbour_labels[draw.pool] == 1
    alone = ~voters.any(1)  # no neighbour of class 1: the base row's own codes
    assert alone.any() and not alone.all()
    neighbour_codes = torch.tensor(X)[bs.neighbors_[draw.pool]][:, :, categorical]
    votes = bs.categorical_vote(draw)
    assert torch.equal(votes[alone].double(), torch.tensor(X)[draw.base[alone]][:, categorical])
    same = (neighbour_codes.unsqueeze(2) == neighbour_codes.unsqueeze(1)) & voters[:, None, :, None]
    top = torch.where(voters.unsqueeze(2), same.sum(2), -1).amax(1)
    held = (neighbour_codes == votes.unsqueeze(1).double()) & voters.unsqueeze(2)
    assert torch.equal(held.sum(1)[~alone], top[~alone])


def test_without_categorical_features_every_variant_is_unchanged():
    X, y, _ = _mixed(5)
    Xt, yt = torch.tensor(X), torch.tensor(y)
    for make in (SMOTE, BorderlineSMOTE, ADASYN):
        plain = make().fit(Xt, yt, {1: 60})
        for empty in (None, [], [False] * X.shape[1]):
            other = make(categorical_features=empty).fit(Xt, yt, {1: 60})
            assert torch.equal(plain.neighbors_, other.neighbors_) and torch.equal(
                plain.base_rows_, other.base_rows_
            )
            assert other.median_std_ == {}
            slots = torch.arange(200)
            labels = torch.ones(200, dtype=torch.long)
            assert torch.equal(
                plain.generate(labels, slots, 3, 2), other.generate(labels, slots, 3, 2)
            )


def test_smotenc_is_smote_with_the_columns_required():
    X, y, categorical = _mixed(6)
    Xt, yt = torch.tensor(X), torch.tensor(y)
    a = SMOTENC(categorical_features=categorical).fit(Xt, yt, {1: 60})
    b = SMOTE(categorical_features=categorical).fit(Xt, yt, {1: 60})
    labels, slots = torch.ones(300, dtype=torch.long), torch.arange(300)
    assert torch.equal(a.generate(labels, slots, 0, 0), b.generate(labels, slots, 0, 0))
    assert a.median_std_ == b.median_std_


def test_random_over_sampler_copies_keep_codes_intact():
    X, y, categorical = _mixed(7)
    ros = RandomOverSampler().fit(torch.tensor(X), torch.tensor(y), {1: 60})
    rows = ros.generate(torch.ones(100, dtype=torch.long), torch.arange(100), 0, 0)
    for column in categorical:
        assert set(rows[:, column].tolist()) <= set(X[:, column].tolist())


# -- imbalanced-learn's SMOTENC as the oracle ----------------------------------------------------
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_smote_with_categoricals_matches_imblearn_smotenc(seed):
    X, y, categorical = _mixed(seed, n_major=200, n_minor=45, cardinalities=(3, 4))
    continuous = _columns(X, categorical)
    k = 5
    imb = ImbSMOTENC(categorical_features=categorical, k_neighbors=k, random_state=seed)
    expected_X, _ = imb.fit_resample(X, y)
    targets = oversampling_targets(y, "auto")
    ours = SMOTE(k_neighbors=k, categorical_features=categorical).fit(
        torch.tensor(X), torch.tensor(y), targets
    )
    assert ours.median_std_[1] == pytest.approx(imb.median_std_[1], rel=1e-12)
    # the same neighbour table: imbalanced-learn's index is fitted on the class's encoded rows
    rows = np.flatnonzero(y == 1)
    theirs = imb.nn_k_.kneighbors(n_neighbors=k, return_distance=False)
    np.testing.assert_array_equal(ours.neighbors_.numpy(), rows[theirs])
    # replay its draws: continuous columns bit-exact, categorical votes equal where untied
    n_new = targets[1]
    rs = np.random.RandomState(seed)
    picks = rs.randint(low=0, high=len(rows) * k, size=n_new)
    gaps = rs.uniform(size=n_new)
    pool = torch.tensor(picks // k)
    draw = SyntheticDraw(
        label=torch.ones(n_new, dtype=torch.long),
        base=ours.base_rows_[pool],
        neighbor=ours.neighbors_[pool, torch.tensor(picks % k)],
        gap=torch.tensor(gaps),
        pool=pool,
        keys=torch.tensor(0),
        slots=torch.arange(n_new),
    )
    got = ours.rows(draw).numpy()
    new = expected_X[len(X) :]
    np.testing.assert_array_equal(got[:, continuous], new[:, continuous])
    neighbour_codes = X[ours.neighbors_[pool].numpy()]
    for column in categorical:
        counts = np.stack([(neighbour_codes[:, :, column] == v).sum(1) for v in range(5)], 1)
        untied = (counts == counts.max(1, keepdims=True)).sum(1) == 1
        assert untied.mean() > 0.5
        np.testing.assert_array_equal(got[untied, column], new[untied, column])


def test_median_std_per_class_matches_imblearn_multiclass():
    X, y, categorical = _mixed(8, n_major=200, n_minor=40, classes=3)
    imb = ImbSMOTENC(categorical_features=categorical, random_state=0)
    imb.fit_resample(X, y)
    ours = SMOTE(categorical_features=categorical).fit(
        torch.tensor(X), torch.tensor(y), oversampling_targets(y, "auto")
    )
    assert sorted(ours.median_std_) == sorted(imb.median_std_) == [1, 2]
    for label, value in imb.median_std_.items():
        assert ours.median_std_[label] == pytest.approx(value, rel=1e-12)


# -- class-vs-all searches against brute force ---------------------------------------------------
def _squared_distances(X, categorical, y, label):
    """SMOTE-NC's squared distance between all rows, with class ``label``'s median std."""
    continuous = _columns(X, categorical)
    med = np.median(X[y == label][:, continuous].std(0))
    cont = X[:, continuous]
    codes = X[:, categorical]
    distance = ((cont[:, None, :] - cont[None, :, :]) ** 2).sum(2)
    distance += med**2 * (codes[:, None, :] != codes[None, :, :]).sum(2)
    np.fill_diagonal(distance, np.inf)
    return distance


def _nearest(distance, rows, k, among=None):
    sub = distance[rows] if among is None else distance[np.ix_(rows, among)]
    order = np.argsort(sub, axis=1, kind="stable")[:, :k]
    return order if among is None else among[order]


@pytest.mark.parametrize("m_neighbors", [4, 10])
def test_borderline_danger_sets_and_neighbours_equal_brute_force(m_neighbors):
    X, y, categorical = _mixed(9, n_major=150, n_minor=40, classes=3)
    for label in (1, 2):
        distance = _squared_distances(X, categorical, y, label)
        rows = np.flatnonzero(y == label)
        others = (y[_nearest(distance, rows, m_neighbors)] != label).sum(1)
        danger = rows[(others >= m_neighbors / 2) & (others < m_neighbors)]
        plain = np.argsort(
            ((X[rows][:, None] - X[None]) ** 2).sum(2)
            + np.where(rows[:, None] == np.arange(len(y)), np.inf, 0),
            1,
            kind="stable",
        )[:, :m_neighbors]
        assert not np.array_equal(plain, _nearest(distance, rows, m_neighbors))  # the term matters
        for kind in ("borderline-1", "borderline-2"):
            bs = BorderlineSMOTE(
                kind=kind, m_neighbors=m_neighbors, categorical_features=categorical
            )
            got = bs.danger_rows(torch.tensor(X), torch.tensor(y), label)
            np.testing.assert_array_equal(got.numpy(), danger)
            bs.fit(torch.tensor(X), torch.tensor(y), {label: 30})
            np.testing.assert_array_equal(bs.base_rows_.numpy(), danger)
            among = None if kind == "borderline-2" else rows
            np.testing.assert_array_equal(
                bs.neighbors_.numpy(), _nearest(distance, danger, 5, among)
            )


def test_adasyn_difficulty_and_neighbours_equal_brute_force():
    X, y, categorical = _mixed(10, n_major=150, n_minor=40, classes=3)
    for label in (1, 2):
        distance = _squared_distances(X, categorical, y, label)
        rows = np.flatnonzero(y == label)
        others = (y[_nearest(distance, rows, 5)] != label).sum(1)
        ad = ADASYN(categorical_features=categorical)
        got_rows, ratio = ad.difficulty(torch.tensor(X), torch.tensor(y), label)
        np.testing.assert_array_equal(got_rows.numpy(), rows)
        np.testing.assert_array_equal(ratio.numpy(), others / 5)
        ad.fit(torch.tensor(X), torch.tensor(y), {label: 30})
        np.testing.assert_array_equal(ad.base_rows_.numpy(), np.repeat(rows, others))
        np.testing.assert_array_equal(
            ad.neighbors_.numpy(), np.repeat(_nearest(distance, rows, 5, rows), others, 0)
        )


# -- messages ------------------------------------------------------------------------------------
ALL = {
    "SMOTE": lambda cat: SMOTE(categorical_features=cat),
    "SMOTENC": lambda cat: SMOTENC(categorical_features=cat),
    "BorderlineSMOTE": lambda cat: BorderlineSMOTE(categorical_features=cat),
    "BorderlineSMOTE-2": lambda cat: BorderlineSMOTE(kind="borderline-2", categorical_features=cat),
    "ADASYN": lambda cat: ADASYN(categorical_features=cat),
}


@pytest.mark.parametrize("name", list(ALL))
@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        (
            [7],
            ValueError,
            r"categorical_features \[7\] are out of range for X with 5 columns; indices must be in \[0, 4\]",
        ),
        ([-1, 2], ValueError, r"categorical_features \[-1\] are out of range"),
        (
            [True, False],
            ValueError,
            "categorical_features is a boolean mask of length 2 but X has 5 columns; give one flag per column",
        ),
        (
            [0, 1, 2, 3, 4],
            ValueError,
            r"categorical_features covers all 5 columns; \w+ with categorical columns .* needs at least one continuous column",
        ),
        (
            [3],
            ValueError,
            r"categorical columns \[3\] must hold integer category codes; column 3 holds 0\.5 in row 0\. Encode categories as codes",
        ),
        (
            3,
            TypeError,
            "categorical_features must be a list of column indices or a boolean mask; got 3",
        ),
        (
            "4",
            TypeError,
            "categorical_features must be a list of column indices or a boolean mask; got '4'",
        ),
        (
            [4.0],
            TypeError,
            "categorical_features holds 4.0 of type float; expected int column indices",
        ),
        (
            [True, 4],
            TypeError,
            r"categorical_features holds True of type bool; expected int column indices \(or one bool per column, not a mix\)",
        ),
    ],
)
def test_bad_categorical_features_are_refused(name, value, error, message):
    g = torch.Generator().manual_seed(0)
    X = torch.randn(60, 5, generator=g, dtype=torch.float64)
    X[:, 4] = torch.randint(0, 3, (60,), generator=g).double()
    X[:, 3] = 0.5
    y = (torch.arange(60) % 4 == 0).long()
    with pytest.raises(error, match=message):
        SMOTEDataset(X, y, oversampler=ALL[name](value))


def test_smotenc_needs_categorical_columns():
    X = torch.randn(60, 3, dtype=torch.float64)
    y = (torch.arange(60) % 4 == 0).long()
    with pytest.raises(
        ValueError,
        match="categorical_features is empty; with no categorical column use SMOTE instead of SMOTENC",
    ):
        SMOTENC(categorical_features=[]).fit(X, y, {1: 10})
    with pytest.raises(
        ValueError,
        match="categorical_features selects no column; with no categorical column use SMOTE instead of SMOTENC",
    ):
        SMOTENC(categorical_features=[False, False, False]).fit(X, y, {1: 10})
    with pytest.raises(
        TypeError,
        match="categorical_features must be a list of column indices or a boolean mask; got None",
    ):
        SMOTENC(categorical_features=None).fit(X, y, {1: 10})


def test_random_over_sampler_does_not_take_categorical_features():
    with pytest.raises(TypeError, match="categorical_features"):
        RandomOverSampler(categorical_features=[1])  # type: ignore[call-arg]


def test_signatures_and_repr():
    assert repr(SMOTE()) == "SMOTE(k_neighbors=5, categorical_features=None)"
    assert repr(BorderlineSMOTE(categorical_features=[2])) == (
        "BorderlineSMOTE(kind='borderline-1', k_neighbors=5, m_neighbors=10, categorical_features=[2])"
    )
    assert repr(ADASYN(n_neighbors=3)) == "ADASYN(n_neighbors=3, categorical_features=None)"
    assert (
        repr(SMOTENC(categorical_features=[1]))
        == "SMOTENC(categorical_features=[1], k_neighbors=5)"
    )


@pytest.mark.parametrize("method", ["smote", "adasyn", "borderline-2"])
def test_votes_are_the_same_in_small_chunks(method, monkeypatch):
    from imbalance_torch.oversample import _categorical

    X, y, categorical = _mixed(11, cardinalities=(3, 4, 2))
    Xt, yt = torch.tensor(X), torch.tensor(y)
    labels, slots = torch.ones(500, dtype=torch.long), torch.arange(500)
    whole = METHODS[method](categorical, 4).fit(Xt, yt, {1: 60})
    monkeypatch.setattr(_categorical, "_VOTE_CHUNK", 7)
    chunked = METHODS[method](categorical, 4).fit(Xt, yt, {1: 60})
    assert len(chunked.votes_.count) == len(torch.unique(chunked.base_rows_)) < 7 * 100
    assert torch.equal(whole.generate(labels, slots, 5, 1), chunked.generate(labels, slots, 5, 1))
