"""Each over-sampler declares what the checks of its saved index need (issue 19): no registry
of class names elsewhere, and a class that declares nothing is refused, not checked loosely."""

from __future__ import annotations

import inspect

import pytest
import torch

import imbalance_torch.oversample as oversample
from imbalance_torch.oversample import SMOTE, BorderlineSMOTE, Oversampler
from imbalance_torch.oversample._index_checks import POOL_KINDS, index_rules

EXPECTED = {  # how each _fit_class builds its pools
    "SMOTE": "all",
    "SMOTENC": "all",
    "SMOTEN": "all",
    "RandomOverSampler": "all",
    "BorderlineSMOTE": "subset",
    "ADASYN": "weighted",
    "SVMSMOTE": "distinct",
    "KMeansSMOTE": "distinct",
}


def exported_oversamplers() -> dict[str, type]:
    return {
        name: cls
        for name in oversample.__all__
        if inspect.isclass(cls := getattr(oversample, name))
        and issubclass(cls, Oversampler)
        and cls is not Oversampler
    }


def test_every_exported_oversampler_declares_its_pool():
    found = exported_oversamplers()
    assert set(found) == set(EXPECTED), (
        "a new exported over-sampler: add it to EXPECTED with its pool kind"
    )
    for name, cls in found.items():
        assert cls.index_pool == EXPECTED[name] and cls.index_pool in POOL_KINDS, name
    assert {n for n, c in found.items() if c.index_extrapolates} == {"SVMSMOTE"}


def test_borderline_2_neighbours_may_be_of_another_class():
    assert index_rules(BorderlineSMOTE(kind="borderline-1")).same_class_neighbors
    assert not index_rules(BorderlineSMOTE(kind="borderline-2")).same_class_neighbors
    assert index_rules(SMOTE(k_neighbors=3)).k == 3


def test_a_subclass_inherits_and_an_undeclared_class_is_refused(tmp_path):
    class Wider(SMOTE):
        pass

    assert index_rules(Wider()).pool == "all"

    class Undeclared(Oversampler):
        pass

    with pytest.raises(
        TypeError,
        match=r"Undeclared declares no index_pool \(got None\), so a saved index of it cannot be checked; set the class attribute index_pool to one of all, subset, weighted, distinct",
    ):
        index_rules(Undeclared())
    from imbalance_torch import SMOTEDataset

    X = torch.randn(60, 3, generator=torch.Generator().manual_seed(0))
    y = torch.tensor([0] * 50 + [1] * 10)
    SMOTEDataset(X, y, oversampler=Wider(k_neighbors=3), seed=0).save_index(tmp_path / "idx.npz")
    loaded = SMOTEDataset(
        X, y, oversampler=Wider(k_neighbors=3), seed=0, index_path=tmp_path / "idx.npz"
    )
    assert torch.equal(
        loaded[torch.arange(len(loaded))][0],
        SMOTEDataset(X, y, oversampler=Wider(k_neighbors=3), seed=0)[torch.arange(len(loaded))][0],
    )
