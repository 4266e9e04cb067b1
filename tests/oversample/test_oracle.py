"""Oracle tests: imbalanced-learn 0.14's own random draws, replayed through our fitted index
and interpolation, reproduce its output bit for bit (float64)."""

import numpy as np
import pytest
import torch
from imblearn.over_sampling import ADASYN as ImbADASYN
from imblearn.over_sampling import SMOTE as ImbSMOTE
from imblearn.over_sampling import SMOTENC as ImbSMOTENC
from imblearn.over_sampling import BorderlineSMOTE as ImbBorderline

from imbalance_torch.oversample import (
    ADASYN,
    SMOTE,
    SMOTENC,
    BorderlineSMOTE,
    SyntheticDraw,
    interpolate,
)
from imbalance_torch.oversample._family import within_class_neighbors
from imbalance_torch.targets import oversampling_targets


def _overlapping(seed, n_major=300, n_minor=40, d=4, classes=2):
    rng = np.random.default_rng(seed)
    parts = [rng.normal(size=(n_major, d))]
    labels = [np.zeros(n_major, dtype=np.int64)]
    for c in range(1, classes):
        parts.append(rng.normal(loc=0.9 * c, size=(n_minor + 7 * c, d)))
        labels.append(np.full(n_minor + 7 * c, c))
    X = np.vstack(parts)
    y = np.concatenate(labels)
    order = rng.permutation(len(y))
    return X[order], y[order]


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("classes", [2, 3])
def test_smote_replay_is_bit_exact(seed, classes):
    X, y = _overlapping(seed, classes=classes)
    k = 5
    expected_X, _ = ImbSMOTE(k_neighbors=k, random_state=seed).fit_resample(X, y)
    targets = oversampling_targets(y, "auto")
    ours = SMOTE(k_neighbors=k).fit(torch.tensor(X), torch.tensor(y), targets)
    out = []
    for label, n_new in targets.items():
        if n_new == 0:
            continue
        rows = np.flatnonzero(y == label)
        rs = np.random.RandomState(seed)  # imblearn re-creates it per class from the int seed
        draws = rs.randint(low=0, high=len(rows) * k, size=n_new)
        gaps = rs.uniform(size=n_new)
        position = ours.class_positions(torch.tensor([label]))
        start = int(ours.pool_start_[position])
        base = ours.base_rows_[start + torch.tensor(draws // k)]
        neighbor = ours.neighbors_[start + torch.tensor(draws // k), torch.tensor(draws % k)]
        out.append(interpolate(ours.X_, base, neighbor, torch.tensor(gaps)).numpy())
    np.testing.assert_array_equal(np.vstack([X] + out), expected_X)


@pytest.mark.parametrize("seed", [0, 3])
def test_borderline1_danger_set_and_replay(seed):
    X, y = _overlapping(seed, n_minor=60)
    imb = ImbBorderline(kind="borderline-1", random_state=seed)
    expected_X, _ = imb.fit_resample(X, y)
    ours = BorderlineSMOTE(kind="borderline-1")
    danger = ours.danger_rows(torch.tensor(X), torch.tensor(y), 1)
    assert danger.tolist() == sorted(imb.in_danger_indices[1].tolist())
    targets = oversampling_targets(y, "auto")
    ours.fit(torch.tensor(X), torch.tensor(y), targets)
    n_new = targets[1]
    rs = np.random.RandomState(seed)
    draws = rs.randint(low=0, high=len(danger) * 5, size=n_new)
    gaps = rs.uniform(size=n_new)
    base = ours.base_rows_[torch.tensor(draws // 5)]
    neighbor = ours.neighbors_[torch.tensor(draws // 5), torch.tensor(draws % 5)]
    rows = interpolate(ours.X_, base, neighbor, torch.tensor(gaps)).numpy()
    np.testing.assert_array_equal(rows, expected_X[len(X):])


@pytest.mark.parametrize("m_neighbors", [4, 10])
def test_borderline_danger_sets_multiclass(m_neighbors):
    X, y = _overlapping(5, classes=3)
    imb = ImbBorderline(m_neighbors=m_neighbors, random_state=0)
    imb.fit_resample(X, y)
    ours = BorderlineSMOTE(m_neighbors=m_neighbors)
    for label, expected in imb.in_danger_indices.items():
        got = ours.danger_rows(torch.tensor(X), torch.tensor(y), label)
        assert got.tolist() == sorted(expected.tolist())


@pytest.mark.parametrize("seed", [0, 4])
def test_adasyn_weights_and_replay(seed):
    X, y = _overlapping(seed, n_minor=50)
    expected_X, _ = ImbADASYN(n_neighbors=5, random_state=seed).fit_resample(X, y)
    targets = oversampling_targets(y, "auto")
    ours = ADASYN(n_neighbors=5)
    rows, ratio = ours.difficulty(torch.tensor(X), torch.tensor(y), 1)
    ratio = ratio.numpy()
    g = np.rint(ratio / ratio.sum() * targets[1]).astype(int)  # imblearn's per-row counts
    assert g.sum() == len(expected_X) - len(X)
    ours.fit(torch.tensor(X), torch.tensor(y), targets)
    # Our base weights are the same ratios: each row is listed once per other-class
    # neighbour, so its share of the pool is r_i / sum(r) (rows with r_i = 0 never appear).
    listed = torch.bincount(ours.base_rows_, minlength=len(y))[rows].numpy()
    np.testing.assert_array_equal(listed, np.rint(ratio * 5).astype(int))
    np.testing.assert_allclose(listed / listed.sum(), ratio / ratio.sum())
    rs = np.random.RandomState(seed)
    base_local = np.repeat(np.arange(len(rows)), g)
    cols = rs.choice(5, size=g.sum())
    gaps = rs.uniform(size=(g.sum(), 1))[:, 0]
    _, neighbor_table = within_class_neighbors(torch.tensor(X), torch.tensor(y), 1, 5)
    base = rows[torch.tensor(base_local)]
    neighbor = neighbor_table[torch.tensor(base_local), torch.tensor(cols)]
    got = interpolate(torch.tensor(X), base, neighbor, torch.tensor(gaps)).numpy()
    np.testing.assert_array_equal(got, expected_X[len(X):])


def _mixed(seed):
    rng = np.random.default_rng(seed)
    X, y = _overlapping(seed, n_minor=45, d=3)
    cats = np.stack([rng.integers(0, 3, len(y)), rng.integers(0, 4, len(y))], axis=1)
    cats[y == 1, 0] = rng.choice([0, 1], size=(y == 1).sum(), p=[0.8, 0.2])
    return np.hstack([X, cats.astype(np.float64)]), y


@pytest.mark.parametrize("seed", [0, 1])
def test_smotenc_median_std_neighbours_and_votes(seed):
    X, y = _mixed(seed)
    imb = ImbSMOTENC(categorical_features=[3, 4], random_state=seed)
    expected_X, _ = imb.fit_resample(X, y)
    targets = oversampling_targets(y, "auto")
    ours = SMOTENC(categorical_features=[3, 4]).fit(torch.tensor(X), torch.tensor(y), targets)
    assert ours.median_std_[1] == pytest.approx(imb.median_std_[1], rel=1e-12)
    n_new = targets[1]
    rows = np.flatnonzero(y == 1)
    rs = np.random.RandomState(seed)
    draws = rs.randint(low=0, high=len(rows) * 5, size=n_new)
    gaps = rs.uniform(size=n_new)
    local = torch.tensor(draws // 5)
    draw = SyntheticDraw(
        label=torch.ones(n_new, dtype=torch.long),
        base=ours.base_rows_[local],
        neighbor=ours.neighbors_[local, torch.tensor(draws % 5)],
        gap=torch.tensor(gaps),
        pool=local,
        keys=torch.tensor(0),
        slots=torch.arange(n_new),
    )
    got = ours.rows(draw).numpy()
    new = expected_X[len(X):]
    np.testing.assert_array_equal(got[:, :3], new[:, :3])  # continuous part bit-exact
    # Categorical votes: equal wherever the neighbours' vote has no tie.
    codes = X[ours.neighbors_[local].numpy()][:, :, 3:]
    for column in range(2):
        counts = np.stack([(codes[:, :, column] == v).sum(1) for v in range(4)], axis=1)
        top = counts.max(1)
        unique = (counts == top[:, None]).sum(1) == 1
        assert unique.mean() > 0.5
        np.testing.assert_array_equal(got[unique, 3 + column], new[unique, 3 + column])
        # and on ties we pick one of the tied codes
        tied_ok = counts[np.arange(n_new), got[:, 3 + column].astype(int)] == top
        assert tied_ok.all()
