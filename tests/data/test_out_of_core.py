"""Features larger than memory: MemmapSource / ParquetSource behind SMOTEDataset give the rows
of the in-memory path, read only what they need, and keep peak memory far below the file."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from imbalance_torch import (
    ADASYN,
    SMOTE,
    BalancedSampler,
    BorderlineSMOTE,
    RandomOverSampler,
    SMOTEDataset,
    TomekLinks,
)
from imbalance_torch.data import MemmapSource, ParquetSource, to_npy
from imbalance_torch.neighbors import data_fingerprint, kneighbors
from imbalance_torch.neighbors._chunked import chunked_kneighbors

pq = pytest.importorskip("pyarrow.parquet")
pa = pytest.importorskip("pyarrow")


def _data(n: int = 1500, d: int = 4, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)).astype(np.float32)
    y = np.zeros(n, dtype=np.int64)
    y[rng.choice(n, n // 15, replace=False)] = 1
    y[rng.choice(np.flatnonzero(y == 0), n // 25, replace=False)] = 2
    X[y == 1] += 0.8  # overlapping classes: Borderline and ADASYN find rows in danger
    return X, y


@pytest.fixture
def npy(tmp_path):
    X, y = _data()
    path = tmp_path / "features.npy"
    np.save(path, X)
    return path, X, y


def _write_parquet(folder, X: np.ndarray, files: int = 2, row_group_size: int = 97) -> None:
    folder.mkdir()
    for number, part in enumerate(np.array_split(X, files)):
        table = pa.table({f"f{j}": part[:, j] for j in range(X.shape[1])})
        pq.write_table(table, folder / f"part-{number}.parquet", row_group_size=row_group_size)


OVERSAMPLERS = [
    SMOTE(k_neighbors=4),
    BorderlineSMOTE(),
    BorderlineSMOTE(kind="borderline-2", k_neighbors=12, m_neighbors=8),
    ADASYN(n_neighbors=6),
    RandomOverSampler(),
]


def _same_dataset(memory: SMOTEDataset, disk: SMOTEDataset) -> None:
    index = torch.randperm(len(memory), generator=torch.Generator().manual_seed(1))[:700]
    for left, right in zip(memory[index], disk[index]):
        assert torch.equal(left, right)
    left, right = memory.provenance(index), disk.provenance(index)
    assert all(torch.equal(left[name], right[name]) for name in left)
    fitted, streamed = memory.oversampler, disk.oversampler
    assert torch.equal(fitted.base_rows_, disk.fit_rows[streamed.base_rows_])
    if fitted.neighbors_ is not None:  # the same neighbour sets, numbered in the source
        assert torch.equal(fitted.neighbors_, disk.fit_rows[streamed.neighbors_])


@pytest.mark.parametrize("oversampler", OVERSAMPLERS, ids=repr)
def test_memmap_gives_the_in_memory_rows(npy, oversampler):
    path, X, y = npy
    memory = SMOTEDataset(torch.from_numpy(X), y, oversampler=oversampler, seed=7)
    disk = SMOTEDataset(MemmapSource(path), y, oversampler=oversampler, seed=7)
    _same_dataset(memory, disk)
    assert isinstance(disk.features, MemmapSource)


def test_categorical_columns_with_smote(tmp_path):
    X, y = _data()
    X[:, 3] = np.random.default_rng(3).integers(0, 4, len(X))  # a column of category codes
    np.save(tmp_path / "x.npy", X)
    oversampler = SMOTE(categorical_features=[3])
    memory = SMOTEDataset(torch.from_numpy(X), y, oversampler=oversampler, seed=5)
    disk = SMOTEDataset(MemmapSource(tmp_path / "x.npy"), y, oversampler=oversampler, seed=5)
    _same_dataset(memory, disk)


def test_fit_set_holds_only_the_classes_and_their_neighbours(npy):
    path, X, y = npy
    smote = SMOTEDataset(MemmapSource(path), y, oversampler=SMOTE(), seed=0)
    assert torch.equal(smote.fit_rows, torch.from_numpy(np.flatnonzero(y != 0)))
    border = SMOTEDataset(MemmapSource(path), y, oversampler=BorderlineSMOTE(m_neighbors=5), seed=0)
    assert len(border.fit_rows) <= (y != 0).sum() * 6 < len(y)


def test_np_load_mmap_is_read_out_of_core(npy):
    path, X, y = npy
    mapped = np.load(path, mmap_mode="r")
    ds = SMOTEDataset(mapped, y, oversampler=ADASYN(), seed=2)
    assert isinstance(ds.features, MemmapSource)
    _same_dataset(SMOTEDataset(torch.from_numpy(X), y, oversampler=ADASYN(), seed=2), ds)


def test_an_epoch_through_the_sampler_matches(npy):
    path, X, y = npy
    batches = []
    for features in (torch.from_numpy(X), MemmapSource(path)):
        ds = SMOTEDataset(features, y, oversampler=BorderlineSMOTE(), seed=3)
        sampler = BalancedSampler(ds, batch_size=256, seed=5)
        sampler.set_epoch(2)
        batches.append(list(DataLoader(ds, sampler=sampler, batch_size=None)))
    assert len(batches[0]) == len(batches[1]) > 1
    for (xa, ya), (xb, yb) in zip(*batches):
        assert torch.equal(xa, xb) and torch.equal(ya, yb)


def test_workers_read_the_file(npy):
    path, X, y = npy
    ds = SMOTEDataset(MemmapSource(path), y, seed=0)
    sampler = BalancedSampler(ds, batch_size=300)
    served = [b for b in DataLoader(ds, sampler=sampler, batch_size=None, num_workers=2)]
    local = [b for b in DataLoader(ds, sampler=sampler, batch_size=None)]
    assert all(torch.equal(a[0], b[0]) for a, b in zip(served, local))


@pytest.mark.parametrize("dtype", [np.float64, np.float16, np.int32])
def test_dtypes_are_kept(tmp_path, dtype):
    X, y = _data(400)
    X = (X * 10).astype(dtype)
    np.save(tmp_path / "x.npy", X)
    memory = SMOTEDataset(torch.from_numpy(X), y, seed=1)
    disk = SMOTEDataset(MemmapSource(tmp_path / "x.npy"), y, seed=1)
    assert disk.fetch(torch.arange(len(disk)))[0].dtype == memory.features.dtype
    _same_dataset(memory, disk)


def test_read_restores_the_order_asked_for(npy):
    path, X, _ = npy
    source = MemmapSource(path)
    rows = torch.tensor([1400, 3, 3, 999, 0, 1499])
    assert torch.equal(source.read(rows), torch.from_numpy(X[rows.numpy()]))
    assert source.read([]).shape == (0, 4)
    assert torch.equal(torch.cat([block for _, block in source.chunks(333)]), torch.from_numpy(X))
    assert len(source) == 1500 and source.num_features == 4


def test_raw_file_and_pickle(tmp_path):
    X, _ = _data(300)
    path = tmp_path / "x.bin"
    X.tofile(path)
    source = MemmapSource(path, dtype=np.float32, shape=X.shape)
    assert torch.equal(pickle.loads(pickle.dumps(source)).read([5, 2]), torch.from_numpy(X[[5, 2]]))


def test_parquet_source_reads_rows_and_row_groups(tmp_path):
    X, y = _data()
    _write_parquet(tmp_path / "table", X)
    source = ParquetSource(tmp_path / "table")
    assert source.shape == X.shape and source.dtype == torch.float32
    rows = torch.tensor([1499, 0, 96, 97, 760, 3, 3])
    assert torch.equal(source.read(rows), torch.from_numpy(X[rows.numpy()]))
    assert torch.equal(torch.cat([b for _, b in source.chunks(250)]), torch.from_numpy(X))
    source.read([5])
    assert torch.equal(pickle.loads(pickle.dumps(source)).read([7]), torch.from_numpy(X[[7]]))
    chosen = ParquetSource(tmp_path / "table" / "part-0.parquet", columns=["f2", "f0"])
    assert torch.equal(chosen.read([1, 2]), torch.from_numpy(X[[1, 2]][:, [2, 0]]))


@pytest.mark.parametrize("oversampler", OVERSAMPLERS[:4], ids=repr)
def test_parquet_gives_the_in_memory_rows(tmp_path, oversampler):
    X, y = _data()
    _write_parquet(tmp_path / "table", X)
    memory = SMOTEDataset(torch.from_numpy(X), y, oversampler=oversampler, seed=4)
    disk = SMOTEDataset(ParquetSource(tmp_path / "table"), y, oversampler=oversampler, seed=4)
    _same_dataset(memory, disk)


def test_to_npy_copies_a_parquet_table(tmp_path):
    X, _ = _data(700)
    _write_parquet(tmp_path / "table", X, files=3, row_group_size=50)
    copy = to_npy(ParquetSource(tmp_path / "table"), tmp_path / "copy.npy", chunk_rows=64)
    assert isinstance(copy, MemmapSource)
    np.testing.assert_array_equal(np.load(tmp_path / "copy.npy"), X)


def test_chunked_search_is_the_one_pass_search():
    generator = torch.Generator().manual_seed(0)
    data = torch.randn(900, 3, generator=generator)
    data[100:110] = data[5]  # exact duplicates: ties go to the smaller index in both
    queries = torch.tensor([5, 7, 100, 450, 899, 104])
    chunks = [(start, data[start : start + 61]) for start in range(0, 900, 61)]
    distance, index = chunked_kneighbors(data[queries], chunks, 6, num_rows=900, query_rows=queries)
    expected_distance, expected_index = kneighbors(data[queries], data, 6, query_indices=queries)
    assert torch.equal(index, expected_index)
    torch.testing.assert_close(distance, expected_distance)
    plain = chunked_kneighbors(data[:4], chunks, 3, num_rows=900)[1]
    assert torch.equal(plain, kneighbors(data[:4], data, 3)[1])


def test_chunked_search_errors():
    data = torch.randn(20, 2)
    with pytest.raises(ValueError, match=r"k=20 neighbours requested among 20 rows \(the query row itself excluded\); lower k to 19"):
        chunked_kneighbors(data[:2], [(0, data)], 20, num_rows=20, query_rows=torch.tensor([0, 1]))
    with pytest.raises(ValueError, match="chunks must cover the rows in order without gaps: got a chunk at row 15, expected 10"):
        chunked_kneighbors(data[:2], [(0, data[:10]), (15, data[15:])], 2, num_rows=20)
    with pytest.raises(ValueError, match="the chunks covered 10 rows; num_rows says 20"):
        chunked_kneighbors(data[:2], [(0, data[:10])], 2, num_rows=20)


def test_index_files_move_between_memory_and_disk(npy, tmp_path):
    path, X, y = npy
    oversampler = BorderlineSMOTE(kind="borderline-2")
    memory = SMOTEDataset(torch.from_numpy(X), y, oversampler=oversampler, seed=9)
    disk = SMOTEDataset(MemmapSource(path), y, oversampler=oversampler, seed=9)
    assert MemmapSource(path).data_fingerprint(torch.from_numpy(y), chunk_rows=77) == data_fingerprint(torch.from_numpy(X), torch.from_numpy(y))
    memory.save_index(tmp_path / "memory.npz", key=b"k")
    disk.save_index(tmp_path / "disk.npz")
    loaded = SMOTEDataset(MemmapSource(path), y, oversampler=oversampler, seed=9, index_path=tmp_path / "memory.npz", index_key=b"k")
    _same_dataset(memory, loaded)
    back = SMOTEDataset(torch.from_numpy(X), y, oversampler=oversampler, seed=9, index_path=tmp_path / "disk.npz")
    _same_dataset(back, disk)
    changed = X.copy()
    changed[-1, 0] += 1
    np.save(tmp_path / "changed.npy", changed)
    with pytest.raises(Exception, match="fingerprint"):
        SMOTEDataset(MemmapSource(tmp_path / "changed.npy"), y, oversampler=oversampler, index_path=tmp_path / "disk.npz")


def test_source_docstring_examples():
    import doctest

    import imbalance_torch.data._sources as sources

    result = doctest.testmod(sources, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


def test_nothing_to_over_sample_and_too_few_rows(tmp_path):
    X, _ = _data(100)
    np.save(tmp_path / "x.npy", X)
    balanced = np.array([0, 1] * 50)
    for oversampler in (SMOTE(), BorderlineSMOTE()):
        memory = SMOTEDataset(torch.from_numpy(X), balanced, oversampler=oversampler)
        disk = SMOTEDataset(MemmapSource(tmp_path / "x.npy"), balanced, oversampler=oversampler)
        assert len(disk) == len(memory) == 100 and disk.num_synthetic == 0
        assert torch.equal(disk[torch.arange(100)][0], torch.from_numpy(X))
    np.save(tmp_path / "small.npy", X[:8])
    with pytest.raises(ValueError, match=r"BorderlineSMOTE\(.*\) looks at the 10 nearest rows .* needs at least 11 rows; there are 8"):
        SMOTEDataset(MemmapSource(tmp_path / "small.npy"), [0] * 6 + [1] * 2, oversampler=BorderlineSMOTE())


# -- errors ------------------------------------------------------------------------------------
def test_source_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="MemmapSource: no file at .*missing.npy"):
        MemmapSource(tmp_path / "missing.npy")
    np.save(tmp_path / "cube.npy", np.zeros((2, 2, 2), dtype=np.float32))
    with pytest.raises(ValueError, match=r"needs a C-ordered 2-D array .* holds shape \(2, 2, 2\)"):
        MemmapSource(tmp_path / "cube.npy")
    np.save(tmp_path / "fortran.npy", np.asfortranarray(np.zeros((3, 2), dtype=np.float32)))
    with pytest.raises(ValueError, match=r"holds shape \(3, 2\) in Fortran order"):
        MemmapSource(tmp_path / "fortran.npy")
    np.save(tmp_path / "flags.npy", np.zeros((3, 2), dtype=bool))
    with pytest.raises(TypeError, match="holds bool; out-of-core features must be one of"):
        MemmapSource(tmp_path / "flags.npy")
    np.save(tmp_path / "empty.npy", np.zeros((0, 2), dtype=np.float32))
    with pytest.raises(ValueError, match=r"is empty \(shape \(0, 2\)\)"):
        MemmapSource(tmp_path / "empty.npy")
    np.zeros(10, dtype=np.float32).tofile(tmp_path / "raw.bin")
    with pytest.raises(ValueError, match="give both dtype and shape"):
        MemmapSource(tmp_path / "raw.bin", dtype=np.float32)
    with pytest.raises(ValueError, match="has 40 bytes, fewer than the 48 that shape"):
        MemmapSource(tmp_path / "raw.bin", dtype=np.float32, shape=(6, 2))
    with pytest.raises(ValueError, match=r"shape must be \(rows, features\)"):
        MemmapSource(tmp_path / "raw.bin", dtype=np.float32, shape=(10,))
    np.savez(tmp_path / "archive.npz", a=np.zeros((2, 2)))
    with pytest.raises(ValueError, match="is not a single .npy array"):
        MemmapSource(tmp_path / "archive.npz")
    source = MemmapSource(tmp_path / "raw.bin", dtype=np.float32, shape=(5, 2))
    with pytest.raises(IndexError, match="row 5 is out of range for MemmapSource"):
        source.read([0, 5])
    with pytest.raises(ValueError, match="reads whole rows"):
        source.index_select(1, torch.tensor([0]))
    with pytest.raises(TypeError, match="to_npy copies a FeatureSource"):
        to_npy(np.zeros((2, 2)), tmp_path / "x.npy")
    with pytest.raises(ValueError, match="an np.memmap of shape \\(4,\\) can be read out of core only"):
        MemmapSource.from_memmap(np.memmap(tmp_path / "raw.bin", dtype=np.float32, mode="r", shape=(4,)))


def test_parquet_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="ParquetSource: no Parquet file at"):
        ParquetSource(tmp_path)
    pq.write_table(pa.table({"a": [1.0, 2.0], "name": ["x", "y"]}), tmp_path / "t.parquet")
    with pytest.raises(ValueError, match=r"column\(s\) \['b'\] are not in t.parquet"):
        ParquetSource(tmp_path / "t.parquet", columns=["b"])
    with pytest.raises(TypeError, match=r"column\(s\) \[\('name', 'string'\)\] are not numeric"):
        ParquetSource(tmp_path / "t.parquet")
    with pytest.raises(TypeError, match="columns must be a list of column names; got the string 'a'"):
        ParquetSource(tmp_path / "t.parquet", columns="a")
    with pytest.raises(ValueError, match="columns is empty"):
        ParquetSource(tmp_path / "t.parquet", columns=[])
    pq.write_table(pa.table({"a": [1.0, None]}), tmp_path / "nulls.parquet")
    with pytest.raises(ValueError, match=r"column 'a' has 1 null value\(s\) in row group 0"):
        ParquetSource(tmp_path / "nulls.parquet").read([0])
    folder = tmp_path / "mixed"
    folder.mkdir()
    pq.write_table(pa.table({"a": [1.0]}), folder / "0.parquet")
    pq.write_table(pa.table({"b": [1.0]}), folder / "1.parquet")
    with pytest.raises(ValueError, match="1.parquet has columns \\['b'\\], 0.parquet has \\['a'\\]"):
        ParquetSource(folder)
    pq.write_table(pa.table({"a": pa.array([], type=pa.float64())}), tmp_path / "none.parquet")
    with pytest.raises(ValueError, match="has no rows"):
        ParquetSource(tmp_path / "none.parquet")


def test_dataset_errors(npy):
    path, X, y = npy
    source = MemmapSource(path)
    with pytest.raises(TypeError, match="y is required with MemmapSource"):
        SMOTEDataset(source)
    with pytest.raises(ValueError, match="sample_weight= is not supported with features read out of core"):
        SMOTEDataset(source, y, sample_weight=np.ones(len(y)))
    with pytest.raises(ValueError, match="compile= is not supported with features read out of core"):
        SMOTEDataset(source, y, compile=True)
    with pytest.raises(ValueError, match="categorical_features searches every row with the categorical distance term"):
        SMOTEDataset(source, y, oversampler=ADASYN(categorical_features=[0]))

    with pytest.raises(ValueError, match=r"SMOTE\(safe=True\) checks each epoch's synthetic rows against every real row"):
        SMOTEDataset(source, y, oversampler=SMOTE(safe=True))
    with pytest.raises(ValueError, match=r"ADASYN\(filter=TomekLinks\(.*\)\) checks each epoch's synthetic rows"):
        SMOTEDataset(source, y, oversampler=ADASYN(filter=TomekLinks()))
    from sklearn.neighbors import NearestNeighbors

    with pytest.raises(ValueError, match=r"BorderlineSMOTE\(neighbors=.*\) out of core: the search among all rows is streamed"):
        SMOTEDataset(source, y, oversampler=BorderlineSMOTE(neighbors=NearestNeighbors()))

    class MySMOTE(SMOTE):
        pass

    with pytest.raises(ValueError, match="MySMOTE is not supported on features read out of core"):
        SMOTEDataset(source, y, oversampler=MySMOTE())
    bad = X.copy()
    bad[3, 1] = np.nan
    np.save(path, bad)
    with pytest.raises(ValueError, match=r"X \(rows 0..1499 of MemmapSource.* has 1 NaN"):
        SMOTEDataset(MemmapSource(path), y, oversampler=BorderlineSMOTE())


# -- memory ------------------------------------------------------------------------------------
_CHILD = textwrap.dedent(
    """
    import json, resource, sys
    import numpy as np, torch
    from torch.utils.data import DataLoader
    from imbalance_torch import BalancedSampler, BorderlineSMOTE, SMOTEDataset
    from imbalance_torch.data import MemmapSource
    torch.set_num_threads(1)
    y = np.load(sys.argv[2])
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    ds = SMOTEDataset(MemmapSource(sys.argv[1]), y, oversampler=BorderlineSMOTE(), seed=0)
    rows = 0
    for features, labels in DataLoader(ds, sampler=BalancedSampler(ds, batch_size=8192), batch_size=None):
        rows += len(labels)
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"before": before, "after": after, "rows": rows, "len": len(ds)}))
    """
)


def test_peak_memory_stays_far_below_the_file(tmp_path):
    rows, features = 1_000_000, 100  # 400 MB of float32 on disk
    path = tmp_path / "big.npy"
    rng = np.random.default_rng(0)
    labels = np.zeros(rows, dtype=np.int64)
    labels[rng.choice(rows, 500, replace=False)] = 1
    # written with plain writes, as a real file is: its page cache then holds large folios, and
    # a page fault maps a whole folio (a read through one mapping of the file would make the
    # resident memory the file's size; NOTE [out-of-core features])
    with open(path, "wb") as handle:
        np.lib.format.write_array_header_2_0(handle, {"descr": "<f4", "fortran_order": False, "shape": (rows, features)})
        for start in range(0, rows, 100_000):
            block = rng.standard_normal((100_000, features), dtype=np.float32)
            block[labels[start : start + 100_000] == 1] += 0.3
            handle.write(block.tobytes())
    np.save(tmp_path / "y.npy", labels)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-c", _CHILD, str(path), str(tmp_path / "y.npy")], capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["rows"] == result["len"] == 2 * rows - 1000
    grown = result["after"] - result["before"]
    # measured here: 44 MiB (one mapping of the whole file instead of 128 MiB windows: 314 MiB;
    # a copy of the features: over 400 MiB)
    assert grown < 160 * 2**20, f"peak memory grew by {grown / 2**20:.0f} MiB for a 400 MB file"


def test_readme_example_runs(capsys):
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from doc_blocks import REPO, named_block

    exec(named_block(REPO / "docs" / "guide" / "datasets.md", "out-of-core").compiled(), {})
    assert "rows held in memory of 200000" in capsys.readouterr().out


def test_parquet_pass_in_small_chunks_decodes_each_row_group_once(tmp_path, monkeypatch):
    # Chunks smaller than a row group (the usual case: ~32 MiB chunks, ~1M-row groups) reuse
    # the group last decoded instead of decoding it again for every chunk.
    X, _ = _data()
    _write_parquet(tmp_path / "table", X, files=1, row_group_size=500)
    source = ParquetSource(tmp_path / "table")
    decoded = []
    original = ParquetSource._decode
    monkeypatch.setattr(ParquetSource, "_decode", lambda self, p: decoded.append(p) or original(self, p))
    assert torch.equal(torch.cat([b for _, b in source.chunks(50)]), torch.from_numpy(X))
    assert decoded == sorted(set(decoded)) == list(range(len(source._groups)))
    assert pickle.loads(pickle.dumps(source))._last is None  # the decoded group stays here
