"""Every synthetic row of class c carries, in each categorical column, a code that real rows of
class c hold (NOTE [vote within the class]), for every SMOTE-family member that takes
``categorical_features``: the members are read from the package's ``__all__`` and their
signatures, the Borderline kinds from ``BorderlineSMOTE.KINDS``."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import imbalance_torch.oversample as oversample
from imbalance_torch import SMOTEDataset


def categorical_members() -> list[tuple[str, dict]]:
    """``(name, constructor arguments besides categorical_features)`` of every public
    oversampler that takes categorical columns, one per ``kind`` where it has kinds."""
    members = []
    for name in oversample.__all__:
        member = getattr(oversample, name)
        if not (inspect.isclass(member) and issubclass(member, oversample.Oversampler)):
            continue
        parameters = inspect.signature(member.__init__).parameters
        if "categorical_features" not in parameters:
            continue
        kinds = getattr(member, "KINDS", None) if "kind" in parameters else None
        members += [(f"{name}:{kind}", {"kind": kind}) for kind in kinds] if kinds else [(name, {})]
    return members


MEMBERS = categorical_members()


def test_the_member_list_covers_the_family():
    names = {name.split(":")[0] for name, _ in MEMBERS}
    assert {"SMOTE", "SMOTENC", "BorderlineSMOTE", "ADASYN"} <= names
    assert {"BorderlineSMOTE:borderline-1", "BorderlineSMOTE:borderline-2"} <= {n for n, _ in MEMBERS}


def class_skewed_codes(seed: int, n_major: int, n_minor: int, cardinality: int, columns: int):
    """Overlapping classes whose categorical columns hold codes ``0..cardinality-1`` for the
    minority and ``0..2*cardinality-1`` for the majority: the majority holds codes no minority
    row holds. Categorical columns at random positions among three continuous ones."""
    rng = np.random.default_rng(seed)
    y = np.r_[np.zeros(n_major, np.int64), np.ones(n_minor, np.int64)]
    continuous = rng.normal(size=(len(y), 3)) + 0.4 * y[:, None]
    codes = rng.integers(0, cardinality, (len(y), columns)) * np.where(y[:, None] == 1, 1, 2)
    codes += (y[:, None] == 0) * rng.integers(0, 2, (len(y), columns))  # 0..2m-1 for class 0
    position = rng.permutation(3 + columns)
    X = np.empty((len(y), 3 + columns))
    X[:, position] = np.hstack([continuous, codes.astype(np.float64)])
    return X, y, sorted(position[3:].tolist())


@pytest.mark.parametrize(("member", "arguments"), MEMBERS, ids=[name for name, _ in MEMBERS])
@settings(max_examples=12, deadline=None)
@given(
    seed=st.integers(0, 2**31),
    n_minor=st.integers(12, 40),
    cardinality=st.integers(2, 4),
    columns=st.integers(1, 3),
    epoch=st.integers(0, 100),
)
def test_synthetic_codes_are_codes_of_the_class(member, arguments, seed, n_minor, cardinality, columns, epoch):
    X, y, categorical = class_skewed_codes(seed, 120, n_minor, cardinality, columns)
    sampler = getattr(oversample, member.split(":")[0])(categorical_features=categorical, **arguments)
    try:
        ds = SMOTEDataset(torch.tensor(X), torch.tensor(y), oversampler=sampler, seed=seed)
    except ValueError as error:  # Borderline: a draw whose minority rows are all safe or noise
        assume("in danger" not in str(error))
        raise
    ds.set_epoch(epoch)
    rows, labels = ds[torch.arange(ds.num_real, len(ds))]
    assert len(rows) > 0 and (labels == 1).all()
    for column in categorical:
        held = set(X[y == 1, column].tolist())
        assert set(rows[:, column].tolist()) <= held, (member, column)


def test_borderline2_voted_codes_of_the_other_class_before():
    """The case of the issue: Borderline-2's any-class neighbours hold majority-only codes,
    which won the vote before the vote was kept within the class."""
    X, y, categorical = class_skewed_codes(0, 240, 30, 3, 2)
    sampler = oversample.BorderlineSMOTE(kind="borderline-2", categorical_features=categorical)
    ds = SMOTEDataset(torch.tensor(X), torch.tensor(y), oversampler=sampler, seed=0)
    neighbour_labels = torch.tensor(y)[ds.oversampler.neighbors_]
    assert (neighbour_labels != 1).float().mean() > 0.3  # most votes came from the majority
    rows, _ = ds[torch.arange(ds.num_real, len(ds))]
    minority_codes = {c: set(X[y == 1, c].tolist()) for c in categorical}
    assert all(set(rows[:, c].tolist()) <= minority_codes[c] for c in categorical)
