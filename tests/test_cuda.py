"""CUDA paths of the core: the same neighbours and the same rows as on the CPU.

Skipped without a CUDA device; run on a GPU machine with ``pytest tests/test_cuda.py``.
"""

import pytest
import torch
from torch.utils.data import DataLoader

from imbalance_torch import (
    ADASYN,
    SMOTE,
    SMOTENC,
    BalancedSampler,
    BorderlineSMOTE,
    RandomOverSampler,
    SMOTEDataset,
)
from imbalance_torch.neighbors import kneighbors

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


def _data(n=3000, d=8, minority=300, seed=0):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n, d, generator=g)
    y = torch.zeros(n, dtype=torch.long)
    y[:minority] = 1
    X[y == 1] += 0.8
    X[:, -1] = torch.randint(0, 3, (n,), generator=g).float()
    return X, y


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_kneighbors_cuda_matches_cpu(dtype):
    X = _data()[0].to(dtype)
    queries = torch.arange(0, 3000, 7)
    cpu = kneighbors(X[queries], X, 6, query_indices=queries)
    gpu = kneighbors(X[queries].cuda(), X.cuda(), 6, query_indices=queries.cuda())
    assert torch.equal(cpu[1], gpu[1].cpu())
    torch.testing.assert_close(cpu[0].to(dtype), gpu[0].cpu().to(dtype), rtol=1e-4, atol=1e-4)


def test_kneighbors_cuda_tiles():
    X = _data()[0].cuda()
    full = kneighbors(X[:500], X, 5, query_indices=torch.arange(500, device="cuda"))
    tiled = kneighbors(X[:500], X, 5, query_indices=torch.arange(500, device="cuda"), chunk_size=64, block_size=1000)
    assert torch.equal(full[1], tiled[1])


@pytest.mark.parametrize(
    "make",
    [SMOTE, BorderlineSMOTE, lambda: BorderlineSMOTE(kind="borderline-2"), ADASYN, RandomOverSampler,
     lambda: RandomOverSampler(shrinkage=0.5), lambda: SMOTENC(categorical_features=[7])],
)
def test_dataset_on_cuda_gives_the_cpu_rows(make):
    X, y = _data()
    cpu = SMOTEDataset(X, y, oversampler=make(), seed=4)
    gpu = SMOTEDataset(X.cuda(), y.cuda(), oversampler=make(), seed=4)
    idx = torch.arange(len(cpu))
    rows_cpu, labels_cpu = cpu[idx]
    rows_gpu, labels_gpu = gpu[idx]
    assert rows_gpu.device.type == "cuda" and rows_gpu.dtype == X.dtype
    assert torch.equal(labels_cpu, labels_gpu.cpu())
    torch.testing.assert_close(rows_cpu, rows_gpu.cpu(), rtol=1e-5, atol=1e-5)
    prov_cpu, prov_gpu = cpu.provenance(idx), gpu.provenance(idx)
    for key in ("base_index", "neighbor_index", "slot"):
        assert torch.equal(prov_cpu[key], prov_gpu[key].cpu())


def test_gpu_resident_loader_keeps_batches_on_device(tmp_path):
    X, y = _data()
    ds = SMOTEDataset(X.cuda(), y.cuda(), seed=1)
    sampler = BalancedSampler(ds, batch_size=512, undersampling={0: 1500}, oversampling=1.0)
    loader = DataLoader(ds, sampler=sampler, batch_size=None)  # no workers: generated on the GPU
    labels = []
    for features, target in loader:
        assert features.device.type == "cuda" and target.device.type == "cuda"
        labels.append(target)
    assert torch.bincount(torch.cat(labels)).tolist() == [1500, 1500]
    ds.save_index(tmp_path / "index.npz")
    again = SMOTEDataset(X.cuda(), y.cuda(), seed=1, index_path=tmp_path / "index.npz")
    idx = torch.arange(ds.num_real, len(ds))
    assert torch.equal(ds[idx][0], again[idx][0])


def test_compiled_generation_matches_eager_on_cuda():
    X, y = _data(n=20000, d=30, minority=500)
    eager = SMOTEDataset(X.cuda(), y.cuda(), seed=2)
    compiled = SMOTEDataset(X.cuda(), y.cuda(), seed=2, compile=True)
    idx = torch.arange(eager.num_real, len(eager))
    torch.testing.assert_close(eager[idx][0], compiled[idx][0], rtol=1e-6, atol=1e-6)
