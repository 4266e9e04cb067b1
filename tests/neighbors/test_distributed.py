"""Pieces of the distributed fit that run in one process (the 2-rank test is in
tests/oversample/test_distributed_fit.py)."""

from __future__ import annotations

import pytest
import torch

from imbalance_torch.neighbors._distributed import (
    active_world,
    check_same_data,
    check_same_index,
    data_checksum,
    index_digest,
)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16, torch.bfloat16, torch.int64])
def test_checksum_exact_whatever_the_chunks(dtype: torch.dtype) -> None:
    X = (torch.randn(301, 7, generator=torch.Generator().manual_seed(0)) * 100).to(dtype)
    y = torch.arange(301) % 3
    whole = data_checksum(X, y)
    assert whole == data_checksum(X, y, chunk=7)
    assert whole[:2] == [301, 7]
    changed = X.clone()
    changed[150, 3] += 1
    assert data_checksum(changed, y) != whole
    swapped = X[[1, 0, *range(2, 301)]]  # two rows swapped: positions are weighted
    assert data_checksum(swapped, y) != whole
    assert data_checksum(X, y.flip(0)) != whole


def test_digest_of_arrays() -> None:
    arrays = {"base_rows": torch.arange(5), "neighbors": torch.arange(10).view(5, 2)}
    assert index_digest(arrays) == index_digest(dict(reversed(list(arrays.items()))))
    assert index_digest(arrays) != index_digest({**arrays, "neighbors": torch.arange(10).view(2, 5)})
    assert index_digest({**arrays, "neighbors": None}) != index_digest(arrays)
    assert 0 <= index_digest(arrays) < 2**63


def test_checks_are_free_without_a_process_group() -> None:
    assert active_world() is None
    check_same_data(torch.zeros(3, 2), torch.zeros(3, dtype=torch.int64))
    check_same_index({"base_rows": torch.arange(3)})
