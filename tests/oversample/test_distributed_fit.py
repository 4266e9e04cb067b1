"""The neighbour index built across 2 gloo ranks equals the one-process index (NOTE [distributed
fit]), and ranks that hold other data fail together instead of hanging."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from sklearn.neighbors import NearestNeighbors

from imbalance_torch.neighbors import ExactNeighbors
from imbalance_torch.neighbors._distributed import gather_query_blocks
from imbalance_torch.oversample import ADASYN, SMOTE, SMOTENC, BorderlineSMOTE

WORLD = 2


def _data() -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(7)
    X = torch.randn(900, 5, generator=g)
    y = torch.multinomial(torch.tensor([0.7, 0.2, 0.1]), 900, replacement=True, generator=g)
    X[y == 1] += 0.8
    X[y == 2] -= 0.8
    X[:, 4] = torch.randint(0, 3, (900,), generator=g).float()
    X[11], y[11] = X[10], y[10]  # an exact duplicate
    return X, y


CASES = {
    "smote": lambda: SMOTE(),
    "borderline-1": lambda: BorderlineSMOTE(),
    "borderline-2": lambda: BorderlineSMOTE(kind="borderline-2", m_neighbors=8),
    "adasyn": lambda: ADASYN(),
    "smotenc": lambda: SMOTENC(categorical_features=[4]),
    "borderline-sklearn": lambda: BorderlineSMOTE(neighbors=NearestNeighbors(algorithm="ball_tree")),
}
TARGETS = {1: 300, 2: 400}


def _fit_all() -> dict[str, dict[str, torch.Tensor]]:
    X, y = _data()
    out = {}
    for name, make in CASES.items():
        fitted = make().fit(X, y, TARGETS)
        out[name] = {key: value.clone() for key, value in fitted._state_arrays().items()}
    return out


def _worker(rank: int, folder: str) -> None:
    torch.set_num_threads(1)
    dist.init_process_group(
        "gloo", init_method=f"file://{folder}/rendezvous", rank=rank, world_size=WORLD
    )
    try:
        out: dict[str, object] = {"fits": _fit_all()}
        X, y = _data()
        alone = BorderlineSMOTE(neighbors=ExactNeighbors(split_across_ranks=False))
        out["alone"] = alone.fit(X, y, TARGETS).neighbors_
        # fewer queries than ranks: rank 1 answers an empty block
        out["one_query"] = gather_query_blocks(
            lambda start, stop: torch.arange(start, stop).unsqueeze(1) + 5, 1, 1, (3, 2)
        )
        class_1 = (y == 1).nonzero().flatten()
        for case, (X_rank, y_rank) in {
            # rank 1 lacks the last row of class 1
            "rows": (X, y) if rank == 0 else (X[: class_1[-1]], y[: class_1[-1]]),
            # rank 1 holds other values in one row
            "values": (X, y) if rank == 0 else (X + (torch.arange(len(X)) == class_1[0]).unsqueeze(1), y),
        }.items():
            try:  # both ranks must fail, neither may hang
                SMOTE().fit(X_rank, y_rank, {1: 10})
                out[case] = None
            except RuntimeError as error:
                out[case] = str(error)
        try:  # a search whose queries differ between the ranks
            gather_query_blocks(lambda start, stop: torch.zeros(stop - start, 1).long(), 4 + rank, 1, (9, 2))
            out["shape"] = None
        except RuntimeError as error:
            out["shape"] = str(error)
        torch.save(out, os.path.join(folder, f"rank{rank}.pt"))
    finally:
        dist.destroy_process_group()


@pytest.mark.slow
def test_two_gloo_ranks_build_the_one_process_index(tmp_path: Path) -> None:
    mp.spawn(_worker, args=(str(tmp_path),), nprocs=WORLD, join=True)
    expected = _fit_all()
    results = [torch.load(tmp_path / f"rank{rank}.pt", weights_only=False) for rank in range(WORLD)]
    for rank, result in enumerate(results):
        for name, arrays in expected.items():
            got = result["fits"][name]
            assert sorted(got) == sorted(arrays), name
            for key in arrays:
                assert torch.equal(got[key], arrays[key]), f"rank {rank}, {name}: {key} differs"
        assert torch.equal(result["alone"], expected["borderline-1"]["neighbors"])
        assert result["one_query"].tolist() == [[5]]
        with pytest.raises(RuntimeError, match=r"the ranks disagree on the neighbour search \(queries, k, data rows, columns\): \{0: \[4, 1, 9, 2\], 1: \[5, 1, 9, 2\]\}.*split_across_ranks=False"):
            raise RuntimeError(result["shape"])
        for case in ("rows", "values"):
            with pytest.raises(RuntimeError, match=r"the ranks disagree on the training data \(rows, columns, checksums of X and y\): \{0: \[900, 5, -?\d+, \d+\], 1: \[(898|900), 5, .*load the same data on every rank"):
                raise RuntimeError(result[case])
