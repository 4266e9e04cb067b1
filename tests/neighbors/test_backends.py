"""neighbors=: the exact search, scikit-learn-like objects and FAISS answer the same contract."""

from __future__ import annotations

import importlib
import sys
import types

import numpy as np
import pytest
import torch
from sklearn.neighbors import NearestNeighbors

from imbalance_torch.data import SMOTEDataset
from imbalance_torch.neighbors import (
    ExactNeighbors,
    FaissNeighbors,
    IndexFileError,
    NeighborSearch,
    SklearnNeighbors,
    kneighbors,
    read_index,
    resolve_neighbors,
    write_index,
)
from imbalance_torch.neighbors._distributed import gather_query_blocks
from imbalance_torch.oversample import ADASYN, SMOTE, SMOTENC, BorderlineSMOTE
from imbalance_torch.oversample._categorical import MAX_ONE_HOT_COLUMNS
from imbalance_torch.oversample._index_checks import index_layout, index_rules

try:
    import faiss  # noqa: F401

    HAVE_FAISS = True
except ImportError:
    HAVE_FAISS = False

needs_faiss = pytest.mark.skipif(not HAVE_FAISS, reason="faiss-cpu is not installed")


def _data(seed: int = 0, n: int = 500) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n, 4, generator=g, dtype=torch.float64)
    y = (torch.rand(n, generator=g) < 0.25).long()
    X[y == 1] += 1.0
    # exact duplicates inside the minority class: a row is still never its own neighbour
    X[1], y[1] = X[3], 1
    X[5], y[5] = X[3], 1
    X[7], y[7] = X[3], 1
    return X, y


def _assert_same_neighbors(X: torch.Tensor, fitted, reference) -> None:
    """The same neighbours up to exact ties (duplicate rows are interchangeable): equal sorted
    distances from each base row, and the same sets wherever no tie is involved."""

    def distances(o) -> torch.Tensor:
        return (X[o.neighbors_] - X[o.base_rows_].unsqueeze(1)).norm(dim=2).sort(1).values

    torch.testing.assert_close(distances(fitted), distances(reference), rtol=0, atol=1e-6)
    same = (fitted.neighbors_.sort(1).values == reference.neighbors_.sort(1).values).all(1)
    assert float(same.double().mean()) > 0.95


OVERSAMPLERS = {
    "smote": lambda nb: SMOTE(k_neighbors=4, neighbors=nb),
    "borderline-1": lambda nb: BorderlineSMOTE(neighbors=nb),
    "borderline-2": lambda nb: BorderlineSMOTE(kind="borderline-2", neighbors=nb),
    "adasyn": lambda nb: ADASYN(neighbors=nb),
}
EXACT_BACKENDS = {
    "sklearn-ball-tree": lambda: NearestNeighbors(algorithm="ball_tree"),
    "sklearn-wrapped-brute": lambda: SklearnNeighbors(NearestNeighbors(algorithm="brute")),
    "exact": lambda: ExactNeighbors(),
}
if HAVE_FAISS:
    EXACT_BACKENDS["faiss-flat"] = lambda: FaissNeighbors(method="flat")


@pytest.mark.parametrize("backend", sorted(EXACT_BACKENDS))
@pytest.mark.parametrize("method", sorted(OVERSAMPLERS))
def test_exact_backends_build_the_default_index(method: str, backend: str) -> None:
    X, y = _data()
    reference = OVERSAMPLERS[method](None).fit(X, y, {1: 50})
    fitted = OVERSAMPLERS[method](EXACT_BACKENDS[backend]()).fit(X, y, {1: 50})
    assert torch.equal(fitted.pool_count_, reference.pool_count_)
    assert torch.equal(fitted.base_rows_, reference.base_rows_)
    _assert_same_neighbors(X, fitted, reference)
    assert not bool((fitted.neighbors_ == fitted.base_rows_.unsqueeze(1)).any())


def test_own_row_removed_by_index_with_duplicates() -> None:
    """A backend that lists a duplicate (distance 0) before the row itself, or not the row at
    all, still yields k neighbours without the row."""

    class DuplicatesFirst(NeighborSearch):
        def describe(self) -> dict:
            return {"name": "duplicates-first"}

        def _candidates(self, queries, data, count):
            rows = torch.tensor([[1, 0, 2], [0, 2, 1], [0, 1, 3]])
            return rows[: len(queries), :count]

    data = torch.zeros(4, 2)
    got = DuplicatesFirst().search(data[:3], data, 2, query_indices=torch.arange(3))
    assert got.tolist() == [[1, 2], [0, 2], [0, 1]]


def test_missing_answers_are_searched_again_exactly() -> None:
    class Missing(NeighborSearch):
        def describe(self) -> dict:
            return {"name": "missing"}

        def _candidates(self, queries, data, count):
            found = torch.full((len(queries), count), -1, dtype=torch.int64)
            found[0] = torch.arange(count)  # only the first query is answered
            return found

    X, _ = _data()
    got = Missing().search(X[:6], X, 3, query_indices=torch.arange(6))
    _, exact = kneighbors(X[:6], X, 3, query_indices=torch.arange(6))
    assert got[0].tolist() == [1, 2, 3]
    assert torch.equal(got[1:], exact[1:])


@needs_faiss
@pytest.mark.parametrize("method", ["hnsw", "ivf"])
def test_faiss_approximate_recall(method: str) -> None:
    g = torch.Generator().manual_seed(1)
    X = torch.randn(4000, 8, generator=g)
    queries = torch.arange(0, 4000, 7)
    _, exact = kneighbors(X[queries], X, 5, query_indices=queries)
    backend = FaissNeighbors(method=method, nprobe=8, threads=1)
    got = backend.search(X[queries], X, 5, query_indices=queries)
    recall = (got.unsqueeze(2) == exact.unsqueeze(1)).any(2).float().mean()
    assert float(recall) > 0.9
    assert not bool((got == queries.unsqueeze(1)).any())


def test_categorical_columns_one_hot_scaled_give_the_penalised_neighbours() -> None:
    X, y = _data(2)
    X[:, 3] = torch.randint(0, 4, (len(X),), generator=torch.Generator().manual_seed(3)).double()
    reference = SMOTENC(categorical_features=[3]).fit(X, y, {1: 40})
    fitted = SMOTENC(categorical_features=[3], neighbors=NearestNeighbors()).fit(X, y, {1: 40})
    same = (fitted.neighbors_.sort(1).values == reference.neighbors_.sort(1).values).all(1)
    assert float(same.double().mean()) > 0.95  # duplicates of row 3 may swap among themselves
    bs = BorderlineSMOTE(categorical_features=[3], neighbors=NearestNeighbors(algorithm="kd_tree"))
    bs_ref = BorderlineSMOTE(categorical_features=[3])
    assert torch.equal(bs.danger_rows(X, y, 1), bs_ref.danger_rows(X, y, 1))


def test_too_many_categories_for_one_hot_refused() -> None:
    X, y = _data(n=MAX_ONE_HOT_COLUMNS + 100)
    X[:, 3] = (torch.arange(len(X)) % (MAX_ONE_HOT_COLUMNS + 1)).double()
    with pytest.raises(ValueError, match=r"hold 1025 distinct codes in all, more than the 1024 one-hot"):
        SMOTENC(categorical_features=[3], neighbors=NearestNeighbors()).fit(X, y, {1: 10})
    SMOTENC(categorical_features=[3]).fit(X, y, {1: 10})  # the exact search takes the codes as is


def test_estimator_given_is_left_unfitted_and_cache_released() -> None:
    X, y = _data()
    estimator = NearestNeighbors()
    backend = SklearnNeighbors(estimator)
    BorderlineSMOTE(kind="borderline-2", neighbors=backend).fit(X, y, {1: 10})
    assert not hasattr(estimator, "n_samples_fit_")
    assert backend._built is None


def test_dataset_keeps_the_backend() -> None:
    X, y = _data()
    ds = SMOTEDataset(X, y, oversampler=SMOTE(neighbors=NearestNeighbors()), seed=0)
    assert isinstance(ds.oversampler.neighbors, NearestNeighbors)
    assert len(ds) > len(X)


@needs_faiss
def test_index_file_records_the_backend(tmp_path) -> None:
    X, y = _data()
    path = tmp_path / "index.npz"
    fitted = SMOTE(neighbors=FaissNeighbors(method="flat")).fit(X, y, {1: 20})
    fitted.save(path)
    layout = index_layout(index_rules(fitted), len(X), 1)
    meta, _ = read_index(path, expected={}, layout=layout)
    assert meta["neighbors"] == {"name": "faiss", "method": "flat"}
    SMOTE(neighbors=FaissNeighbors(method="flat")).load(path, X, y, {1: 20})
    with pytest.raises(IndexFileError, match=r"built with the neighbour search \{'method': 'flat', 'name': 'faiss'\} but this oversampler uses \{'name': 'exact'\}"):
        SMOTE().load(path, X, y, {1: 20})
    with pytest.raises(IndexFileError, match=r"'method': 'hnsw'.*Pass the same neighbors= as when it was saved"):
        SMOTE(neighbors=FaissNeighbors()).load(path, X, y, {1: 20})


def test_index_file_sklearn_backend_and_files_from_before_the_field(tmp_path) -> None:
    X, y = _data()
    path = tmp_path / "index.npz"
    fitted = SMOTE(neighbors=NearestNeighbors(algorithm="ball_tree")).fit(X, y, {1: 20})
    fitted.save(path)
    SMOTE(neighbors=NearestNeighbors(algorithm="ball_tree")).load(path, X, y, {1: 20})
    with pytest.raises(IndexFileError, match=r"'algorithm': 'ball_tree'.*'algorithm': 'kd_tree'"):
        SMOTE(neighbors=NearestNeighbors(algorithm="kd_tree")).load(path, X, y, {1: 20})
    # a file written before the "neighbors" field: built by the exact search
    exact = SMOTE().fit(X, y, {1: 20})
    meta = exact._meta(X, y)
    del meta["neighbors"]
    arrays = {name: t.numpy() for name, t in exact._state_arrays().items()}
    write_index(path, meta, arrays)
    SMOTE().load(path, X, y, {1: 20})
    with pytest.raises(IndexFileError, match=r"built with the neighbour search \{'name': 'exact'\}"):
        SMOTE(neighbors=NearestNeighbors()).load(path, X, y, {1: 20})


def test_fake_faiss_module(monkeypatch) -> None:
    """The FAISS backend against a stand-in module (brute force in numpy), so the calls it makes
    are checked even where faiss-cpu is not installed."""
    calls: list[str] = []

    class FakeHNSW:
        efConstruction = 0
        efSearch = 0

    class FakeIndex:
        def __init__(self, d: int, m: int | None = None) -> None:
            self.d, self.rows, self.hnsw = d, None, FakeHNSW()
            calls.append(f"index(d={d}, m={m})")

        def add(self, rows: np.ndarray) -> None:
            assert rows.dtype == np.float32 and rows.flags.c_contiguous
            self.rows = rows

        def search(self, queries: np.ndarray, count: int):
            calls.append(f"search(efSearch={self.hnsw.efSearch}, count={count})")
            distance = ((queries[:, None, :] - self.rows[None]) ** 2).sum(2)
            order = np.argsort(distance, axis=1, kind="stable")[:, :count]
            return np.take_along_axis(distance, order, 1), order

    fake = types.ModuleType("faiss")
    fake.IndexHNSWFlat = FakeIndex
    fake.IndexFlatL2 = FakeIndex
    fake.omp_set_num_threads = lambda n: calls.append(f"threads({n})")
    monkeypatch.setitem(sys.modules, "faiss", fake)
    X, y = _data()
    reference = SMOTE().fit(X, y, {1: 20})
    fitted = SMOTE(neighbors=FaissNeighbors(hnsw_m=8, ef_search=3, threads=1)).fit(X, y, {1: 20})
    _assert_same_neighbors(X, fitted, reference)
    assert calls[:2] == ["threads(1)", "index(d=4, m=8)"]
    assert calls[2] == "search(efSearch=6, count=6)"  # k + 1 candidates, efSearch raised to it


def test_faiss_missing_says_how_to_install(monkeypatch) -> None:
    real = importlib.import_module

    def no_faiss(name: str, *args):
        if name == "faiss":
            raise ImportError("No module named 'faiss'")
        return real(name, *args)

    monkeypatch.setattr(importlib, "import_module", no_faiss)
    X, y = _data()
    with pytest.raises(ImportError, match=r"pip install 'imbalance-torch\[faiss\]'"):
        SMOTE(neighbors=FaissNeighbors()).fit(X, y, {1: 10})


@pytest.mark.parametrize(
    ("value", "error", "match"),
    [
        ("faiss", TypeError, r"neighbors must be None \(exact search\).*got 'faiss' of type str"),
        (NearestNeighbors, TypeError, r"neighbors=NearestNeighbors is a class; pass an instance"),
        (FaissNeighbors(method="lsh"), ValueError, r"FaissNeighbors\(method='lsh'\) is not known"),
        (FaissNeighbors(hnsw_m=0), ValueError, r"FaissNeighbors\(hnsw_m=...\) must be at least 1; got 0"),
        (FaissNeighbors(nprobe=True), TypeError, r"FaissNeighbors\(nprobe=...\) must be an int; got True"),
        (FaissNeighbors(nlist=2.5), TypeError, r"FaissNeighbors\(nlist=...\) must be an int; got 2.5"),
        (ExactNeighbors(split_across_ranks="yes"), TypeError, r"split_across_ranks must be True or False; got 'yes'"),
    ],
)
def test_bad_neighbors_refused(value, error, match) -> None:
    if isinstance(value, FaissNeighbors) and not HAVE_FAISS and error is ValueError:
        pytest.skip("faiss-cpu is not installed")
    with pytest.raises(error, match=match):
        resolve_neighbors(value)
    X, y = _data()
    with pytest.raises(error, match=match):
        BorderlineSMOTE(neighbors=value).fit(X, y, {1: 10})


def test_extra_distance_refused_by_external_backends() -> None:
    X, _ = _data()

    class Term:
        def block(self, q, a, b):
            return torch.zeros(len(q), b - a)

        def pairs(self, q, c):
            return torch.zeros(c.shape)

    with pytest.raises(ValueError, match=r"SklearnNeighbors cannot add a distance term; encode"):
        SklearnNeighbors(NearestNeighbors()).search(X, X, 2, extra_distance=Term())


def test_repr_and_equality() -> None:
    assert repr(SMOTE()) == "SMOTE(k_neighbors=5, categorical_features=None)"
    assert "neighbors=FaissNeighbors(method='ivf', nlist=None, nprobe=16)" in repr(
        SMOTE(neighbors=FaissNeighbors(method="ivf"))
    )
    assert FaissNeighbors() == FaissNeighbors()
    assert FaissNeighbors() != FaissNeighbors(ef_search=8)
    assert ExactNeighbors() != FaissNeighbors(method="flat")


def test_gather_without_a_process_group_is_one_call() -> None:
    seen = []

    def answer(start: int, stop: int) -> torch.Tensor:
        seen.append((start, stop))
        return torch.zeros(stop - start, 2, dtype=torch.int64)

    assert gather_query_blocks(answer, 7, 2, (10, 3)).shape == (7, 2)
    assert seen == [(0, 7)]
