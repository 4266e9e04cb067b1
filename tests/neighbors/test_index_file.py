"""The neighbour index file: versioned, pickle-free, self-checking."""

import json
import zipfile

import numpy as np
import pytest
import torch

from imbalance_torch import ADASYN, SMOTE, SMOTENC, BorderlineSMOTE, RandomOverSampler, SMOTEDataset
from imbalance_torch.neighbors import IndexFileError


def _data(seed=0, n=300):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n, 5, generator=g)
    y = (torch.arange(n) % 10 == 0).long()
    X[y == 1] += 0.8
    X[:, 4] = torch.randint(0, 3, (n,), generator=g).float()
    return X, y


@pytest.mark.parametrize(
    "make",
    [
        SMOTE,
        lambda: BorderlineSMOTE(kind="borderline-2"),
        ADASYN,
        lambda: SMOTENC(categorical_features=[4]),
        lambda: RandomOverSampler(shrinkage=0.5),
    ],
)
def test_round_trip_gives_identical_rows(tmp_path, make):
    X, y = _data()
    ds = SMOTEDataset(X, y, oversampler=make(), seed=3)
    path = tmp_path / "index.npz"
    ds.save_index(path)
    loaded = SMOTEDataset(X, y, oversampler=make(), seed=3, index_path=path)
    idx = torch.arange(ds.num_real, len(ds))
    assert torch.equal(ds[idx][0], loaded[idx][0])
    with zipfile.ZipFile(path) as archive:  # plain arrays and JSON, never a pickle
        assert all(name.endswith(".npy") for name in archive.namelist())


def _saved(tmp_path):
    X, y = _data()
    ds = SMOTEDataset(X, y, seed=0)
    path = tmp_path / "index.npz"
    ds.save_index(path)
    return X, y, path


def test_truncated_file_is_refused(tmp_path):
    X, y, path = _saved(tmp_path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(IndexFileError, match="truncated or corrupted"):
        SMOTEDataset(X, y, index_path=path)


def test_corrupted_array_is_refused(tmp_path):
    X, y, path = _saved(tmp_path)
    with np.load(path) as archive:
        arrays = {name: archive[name] for name in archive.files}
    arrays["neighbors"] = arrays["neighbors"].copy()
    arrays["neighbors"][0, 0] += 1
    np.savez(path, **arrays)
    with pytest.raises(IndexFileError, match="does not match its checksum"):
        SMOTEDataset(X, y, index_path=path)


def test_wrong_version_is_refused(tmp_path):
    X, y, path = _saved(tmp_path)
    with np.load(path) as archive:
        arrays = {name: archive[name] for name in archive.files}
    meta = json.loads(arrays["__meta__"].tobytes())
    meta["version"] = 99
    arrays["__meta__"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    np.savez(path, **arrays)
    with pytest.raises(IndexFileError, match="format version 99"):
        SMOTEDataset(X, y, index_path=path)


def test_other_data_is_refused(tmp_path):
    X, y, path = _saved(tmp_path)
    X2 = X.clone()
    X2[0, 0] += 1e-3
    with pytest.raises(IndexFileError, match="fingerprint"):
        SMOTEDataset(X2, y, index_path=path)
    with pytest.raises(IndexFileError, match="rows=300"):
        SMOTEDataset(X[:-10], y[:-10], index_path=path)
    with pytest.raises(IndexFileError, match="params"):
        SMOTEDataset(X, y, oversampler=SMOTE(k_neighbors=3), index_path=path)
    with pytest.raises(IndexFileError, match="oversampler"):
        SMOTEDataset(X, y, oversampler=ADASYN(), index_path=path)


def test_missing_file_and_directory(tmp_path):
    X, y = _data()
    with pytest.raises(FileNotFoundError, match="does not exist"):
        SMOTEDataset(X, y, index_path=tmp_path / "nope.npz")
    with pytest.raises(IsADirectoryError, match="is a directory"):
        SMOTEDataset(X, y, index_path=tmp_path)


def test_write_is_atomic(tmp_path, monkeypatch):
    X, y, path = _saved(tmp_path)
    before = path.read_bytes()
    ds = SMOTEDataset(X, y, oversampler=SMOTE(k_neighbors=3))

    def boom(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(np, "savez", boom)
    with pytest.raises(KeyboardInterrupt):
        ds.save_index(path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["index.npz"]
