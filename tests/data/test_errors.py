"""Bad input: a clear ValueError/TypeError naming the argument, the value and the fix."""

import numpy as np
import pytest
import torch

from imbalance_torch import (
    ADASYN,
    SMOTE,
    SMOTENC,
    BalancedSampler,
    BorderlineSMOTE,
    RandomOverSampler,
    SMOTEDataset,
)

g = torch.Generator().manual_seed(0)
X = torch.randn(60, 3, generator=g)
y = torch.tensor([0] * 50 + [1] * 10)


def _with(value, row=0, column=0):
    bad = X.clone()
    bad[row, column] = value
    return bad


CASES = [
    ("NaN feature", lambda: SMOTEDataset(_with(float("nan"), 4, 2), y), ValueError, r"X has 1 NaN or infinite value\(s\), first at row 4, column 2"),
    ("inf feature", lambda: SMOTEDataset(_with(float("inf")), y), ValueError, "NaN or infinite"),
    ("lengths differ", lambda: SMOTEDataset(X, y[:-1]), ValueError, "X has 60 rows, y has 59"),
    ("single class", lambda: SMOTEDataset(X, torch.zeros(60, dtype=torch.long)), ValueError, r"at least 2 classes .* got 1 class"),
    ("fractional labels", lambda: SMOTEDataset(X, y.float() + 0.5), ValueError, "float 0.5 at row 0, which is not a whole number"),
    ("string labels", lambda: SMOTEDataset(X, np.array(["a"] * 50 + ["b"] * 10)), TypeError, "holds strings"),
    ("class too small for k", lambda: SMOTEDataset(X, torch.tensor([0] * 56 + [1] * 4)), ValueError, r"k_neighbors=5 needs at least 6 rows of class 1, which has 4; lower k_neighbors to 3"),
    ("class of one row", lambda: SMOTEDataset(X, torch.tensor([0] * 59 + [1])), ValueError, r"class 1: it has 1 row\(s\)"),
    ("adasyn too small", lambda: SMOTEDataset(X, torch.tensor([0] * 57 + [1] * 3), oversampler=ADASYN()), ValueError, "n_neighbors=5 needs at least 6 rows of class 1, which has 3; lower n_neighbors to 2"),
    ("strategy removes rows", lambda: SMOTEDataset(X, y, sampling_strategy={1: 5}), ValueError, "asks for 5 rows of class 1, which has 10; over-sampling cannot remove rows"),
    ("float strategy removes rows", lambda: SMOTEDataset(X, y, sampling_strategy=0.1), ValueError, "would add no rows"),
    ("unknown class", lambda: SMOTEDataset(X, y, sampling_strategy={3: 50}), ValueError, r"class\(es\) \[3\] that are not in y"),
    ("categorical out of range", lambda: SMOTEDataset(X, y, oversampler=SMOTENC(categorical_features=[5])), ValueError, r"categorical_features \[5\] are out of range for X with 3 columns"),
    ("categorical covers all", lambda: SMOTEDataset(X, y, oversampler=SMOTENC(categorical_features=[0, 1, 2])), ValueError, "covers all 3 columns"),
    ("categorical empty", lambda: SMOTEDataset(X, y, oversampler=SMOTENC(categorical_features=[])), ValueError, "categorical_features is empty"),
    ("categorical not codes", lambda: SMOTEDataset(X, y, oversampler=SMOTENC(categorical_features=[0])), ValueError, "must hold integer category codes"),
    ("categorical mask length", lambda: SMOTEDataset(X, y, oversampler=SMOTENC(categorical_features=[True, False])), ValueError, "boolean mask of length 2 but X has 3"),
    ("empty X", lambda: SMOTEDataset(torch.empty(0, 3), torch.empty(0, dtype=torch.long)), ValueError, r"X is empty \(shape \(0, 3\)\)"),
    ("1-D X", lambda: SMOTEDataset(X[:, 0], y), ValueError, r"X must be 2-D .* got shape \(60,\)"),
    ("3-D X", lambda: SMOTEDataset(X.reshape(60, 3, 1), y), ValueError, r"X must be 2-D .* got shape \(60, 3, 1\)"),
    ("devices differ", lambda: SMOTEDataset(X, y.to("meta")), ValueError, "X is on cpu but y is on meta"),
    ("float seed", lambda: SMOTEDataset(X, y, seed=1.5), TypeError, "seed must be a non-negative int; got 1.5"),
    ("bool seed", lambda: SMOTEDataset(X, y, seed=True), TypeError, "seed must be a non-negative int; got True"),
    ("negative seed", lambda: SMOTEDataset(X, y, seed=-1), ValueError, r"seed must be in \[0, 2\*\*63\)"),
    ("k zero", lambda: SMOTEDataset(X, y, oversampler=SMOTE(k_neighbors=0)), ValueError, "k_neighbors must be an int >= 1; got k_neighbors=0"),
    ("k bool", lambda: SMOTEDataset(X, y, oversampler=SMOTE(k_neighbors=True)), TypeError, "k_neighbors must be an int >= 1; got True"),
    ("k float", lambda: SMOTEDataset(X, y, oversampler=SMOTE(k_neighbors=5.0)), TypeError, "k_neighbors must be an int"),
    ("m zero", lambda: SMOTEDataset(X, y, oversampler=BorderlineSMOTE(m_neighbors=0)), ValueError, "m_neighbors must be an int >= 1"),
    ("unknown kind", lambda: SMOTEDataset(X, y, oversampler=BorderlineSMOTE(kind="borderline-3")), ValueError, "kind='borderline-3' is not known"),
    ("shrinkage negative", lambda: SMOTEDataset(X, y, oversampler=RandomOverSampler(shrinkage=-1.0)), ValueError, "shrinkage must be >= 0"),
    ("shrinkage dict missing class", lambda: SMOTEDataset(X, y, oversampler=RandomOverSampler(shrinkage={0: 1.0})), ValueError, "without class 1"),
    ("oversampler type", lambda: SMOTEDataset(X, y, oversampler="smote"), TypeError, "oversampler must be an imbalance_torch oversampler"),
    ("bool features", lambda: SMOTEDataset(X > 0, y), TypeError, "X has dtype torch.bool"),
    ("complex features", lambda: SMOTEDataset(X.to(torch.complex64), y), TypeError, "complex dtype"),
    ("object features", lambda: SMOTEDataset(np.array([["a", 1]] * 60, dtype=object), y), TypeError, "X has dtype object"),
    ("sampler without labels", lambda: BalancedSampler(list(range(60))), TypeError, "labels is required for a list"),
    ("sampler batch size", lambda: BalancedSampler(list(range(60)), labels=y, batch_size=0), ValueError, "batch_size must be an int >= 1"),
    ("sampler rank", lambda: BalancedSampler(list(range(60)), labels=y, num_replicas=2, rank=2), ValueError, "rank=2 must be below num_replicas=2"),
    ("sampler shuffle", lambda: BalancedSampler(list(range(60)), labels=y, shuffle="yes"), TypeError, "shuffle must be a bool"),
    ("sampler labels length", lambda: BalancedSampler(list(range(60)), labels=y[:10]), ValueError, "has 60 rows, labels has 10"),
]


@pytest.mark.parametrize("build, error, match", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input(build, error, match):
    with pytest.raises(error, match=match):
        build()
