"""Exact k-NN against scikit-learn's NearestNeighbors, and chunking invariance."""

import numpy as np
import pytest
import torch
from sklearn.neighbors import NearestNeighbors

from imbalance_torch.neighbors import kneighbors


def _sklearn(queries, data, k):
    nn = NearestNeighbors(n_neighbors=k).fit(data)
    return nn.kneighbors(queries)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("shape", [(50, 3), (300, 8), (1000, 30)])
def test_neighbor_sets_match_sklearn(dtype, shape):
    rng = np.random.default_rng(shape[0])
    data = rng.normal(size=shape) * 3 + 100  # far from the origin: the expansion's bad case
    queries = rng.normal(size=(40, shape[1])) * 3 + 100
    X = torch.tensor(data, dtype=dtype)
    dist, idx = kneighbors(torch.tensor(queries, dtype=dtype), X, 5)
    ref_dist, ref_idx = _sklearn(queries.astype(X.numpy().dtype), X.numpy(), 5)
    assert (idx.numpy() == ref_idx).all()
    np.testing.assert_allclose(dist.numpy(), ref_dist, rtol=1e-4)


def test_self_excluded_by_index_matches_imblearn_drop_first():
    rng = np.random.default_rng(1)
    data = rng.normal(size=(200, 4))
    X = torch.tensor(data)
    _, idx = kneighbors(X, X, 5, query_indices=torch.arange(200))
    _, ref = _sklearn(data, data, 6)
    assert (idx.numpy() == ref[:, 1:]).all()
    assert not (idx == torch.arange(200)[:, None]).any()


def test_duplicates_keep_the_twin_but_never_self():
    X = torch.tensor([[0.0, 0.0], [0.0, 0.0], [5.0, 5.0], [9.0, 9.0]])
    _, idx = kneighbors(X, X, 1, query_indices=torch.arange(4))
    assert idx[:, 0].tolist() == [1, 0, 3, 2]


@pytest.mark.parametrize("chunk_size, block_size", [(1, 1), (7, 3), (64, 50), (1000, 1000), (13, 499)])
def test_chunking_does_not_change_the_answer(chunk_size, block_size):
    g = torch.Generator().manual_seed(0)
    X = torch.randn(500, 6, generator=g)
    full = kneighbors(X[:100], X, 4, query_indices=torch.arange(100))
    chunked = kneighbors(X[:100], X, 4, query_indices=torch.arange(100), chunk_size=chunk_size, block_size=block_size)
    assert torch.equal(full[1], chunked[1])


def test_ties_break_to_smaller_index():
    X = torch.tensor([[0.0], [1.0], [-1.0], [2.0]])
    _, idx = kneighbors(X[:1], X, 2, query_indices=torch.tensor([0]))
    assert idx.tolist() == [[1, 2]]


def test_k_too_large():
    X = torch.randn(5, 2)
    with pytest.raises(ValueError, match=r"k=5 neighbours requested but only 4 candidate rows"):
        kneighbors(X, X, 5, query_indices=torch.arange(5))
    with pytest.raises(TypeError, match="k must be an int"):
        kneighbors(X, X, True)


def test_extreme_values_do_not_overflow():
    rng = np.random.default_rng(3)
    data = rng.uniform(-1, 1, size=(80, 3)) * 1e38
    X = torch.tensor(data, dtype=torch.float32)
    _, idx = kneighbors(X, X, 4, query_indices=torch.arange(80))
    _, ref = _sklearn(X.double().numpy(), X.double().numpy(), 5)
    assert (idx.numpy() == ref[:, 1:]).all()


@pytest.mark.parametrize("columns, count", [(2048, 14), (4096, 6), (1000, 5), (2050, 3)])
def test_grouped_row_topk_is_exact(columns, count):
    from imbalance_torch.neighbors._knn import _row_topk

    g = torch.Generator().manual_seed(columns)
    score = torch.randn(37, columns, generator=g)
    values, index = _row_topk(score, count)
    expected = score.topk(count, dim=1).values
    assert torch.equal(values.sort(1, descending=True).values, expected)
    assert torch.equal(score.gather(1, index), values)


def test_large_data_uses_tiles_and_matches_sklearn():
    rng = np.random.default_rng(7)
    data = rng.normal(size=(6000, 8)).astype(np.float32)
    X = torch.tensor(data)
    queries = torch.arange(0, 6000, 11)
    _, idx = kneighbors(X[queries], X, 5, query_indices=queries)
    _, ref = _sklearn(data[queries.numpy()], data, 6)
    assert (idx.numpy() == ref[:, 1:]).all()
    _, idx = kneighbors(X, X, 3, query_indices=torch.arange(6000))
    _, ref = _sklearn(data, data, 4)
    assert (idx.numpy() == ref[:, 1:]).mean() > 0.999  # float32 ties aside


@pytest.mark.parametrize("offset, spread", [(100.0, 0.01), (1e4, 1.0), (1.7e9, 1e6)])
def test_columns_with_a_large_offset(offset, spread):
    rng = np.random.default_rng(11)
    data = (offset + rng.normal(size=(3000, 4)) * spread).astype(np.float32)
    _, idx = kneighbors(torch.tensor(data), torch.tensor(data), 5, query_indices=torch.arange(3000))
    _, ref = _sklearn(data.astype(np.float64), data.astype(np.float64), 6)
    assert (np.sort(idx.numpy(), 1) == np.sort(ref[:, 1:], 1)).all()
