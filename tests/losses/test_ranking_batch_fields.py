"""Row ids for the ranking losses from SMOTEDataset batches (tuple and dict items): a synthetic
row passes its base row's id, read through a ``"base"`` copy of the id field."""

from __future__ import annotations

import pytest
import torch
from torch.utils.data import Dataset

from imbalance_torch.data import BalancedSampler, SMOTEDataset, batch_fields
from imbalance_torch.losses import AveragePrecisionLoss


class _Rows(Dataset):
    def __init__(self, kind: str) -> None:
        generator = torch.Generator().manual_seed(0)
        self.x = torch.randn(40, 3, generator=generator)
        self.kind = kind

    def __len__(self) -> int:
        return 40

    def __getitem__(self, i: int):
        label, row_id = int(i < 6), 100 + i
        if self.kind == "dict":
            return {"x": self.x[i], "y": label, "id": row_id, "row": row_id}
        return (self.x[i], label, row_id, row_id)


def _dataset(kind: str) -> SMOTEDataset:
    if kind == "dict":
        return SMOTEDataset(
            _Rows("dict"), features="x", label="y", ids="id", other_fields={"row": "base"}, seed=3
        )
    return SMOTEDataset(_Rows("tuple"), ids=2, other_fields={3: "base"}, seed=3)


@pytest.mark.parametrize(("kind", "keys"), [("dict", ("x", "y", "row")), ("tuple", (0, 1, 3))])
def test_batch_fields_give_base_ids_that_feed_the_loss(kind: str, keys: tuple) -> None:
    dataset = _dataset(kind)
    everything = torch.arange(len(dataset))
    batch = dataset[everything]
    features, labels, ids = batch_fields(batch, features=keys[0], label=keys[1], ids=keys[2])
    assert features.shape == (len(dataset), 3) and labels.shape == (len(dataset),)
    provenance = dataset.provenance(everything)
    assert torch.equal(ids, provenance["base_id"])  # synthetic rows: their base row's id
    assert bool(provenance["is_synthetic"].any())
    criterion = AveragePrecisionLoss(num_rows=140)
    sampler = BalancedSampler(dataset, batch_size=16, seed=0, stratify_batches=True)
    for index in sampler:
        x, y, row = batch_fields(dataset[index], features=keys[0], label=keys[1], ids=keys[2])
        loss = criterion(x.sum(1), y, row)
        assert torch.isfinite(loss)
    touched = (criterion.u_all != 0).nonzero().squeeze(1)
    assert set(touched.tolist()) <= set(range(100, 106))  # only the positives' base rows


def test_synthetic_minus_one_ids_refused_with_the_fix() -> None:
    dataset = _dataset("dict")
    batch = dataset[torch.arange(len(dataset))]
    with pytest.raises(ValueError, match=r"ids='id' holds -1: .*other_fields=\{'row': 'base'\}"):
        batch_fields(batch, features="x", label="y", ids="id")


@pytest.mark.parametrize(
    ("batch", "kwargs", "error", "match"),
    [
        ((torch.zeros(2, 3), torch.zeros(2)), {}, ValueError, r"ids is required"),
        (
            (torch.zeros(2, 3), torch.zeros(2)),
            {"ids": 2},
            ValueError,
            r"ids=2 is not in the tuple batch",
        ),
        (
            {"x": torch.zeros(2)},
            {"features": "x", "label": "y", "ids": "r"},
            ValueError,
            r"label='y' is not in the dict",
        ),
        (torch.zeros(2), {"ids": 0}, TypeError, r"batch must be a tuple, list or dict"),
        (
            (torch.zeros(2, 3), torch.zeros(2), [1, 2]),
            {"ids": 2},
            TypeError,
            r"ids=2 holds \[1, 2\], not a tensor",
        ),
        (
            (torch.zeros(2, 3), torch.zeros(2), torch.zeros(2)),
            {"ids": 2},
            TypeError,
            r"ids=2 holds dtype torch.float32",
        ),
    ],
)
def test_bad_batches_refused(batch, kwargs, error, match) -> None:
    with pytest.raises(error, match=match):
        batch_fields(batch, **kwargs)
