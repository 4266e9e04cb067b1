"""The neighbour index file: versioned, pickle-free, self-checking."""

import hashlib
import json
import zipfile

import numpy as np
import pytest
import torch

from imbalance_torch import (
    ADASYN,
    SMOTE,
    SMOTENC,
    SVMSMOTE,
    BorderlineSMOTE,
    KMeansSMOTE,
    RandomOverSampler,
    SMOTEDataset,
)
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
        lambda: SMOTE(categorical_features=[4]),
        lambda: BorderlineSMOTE(kind="borderline-1", categorical_features=[4]),
        lambda: BorderlineSMOTE(kind="borderline-2", categorical_features=[False, False, False, False, True]),
        lambda: ADASYN(categorical_features=[4]),
        lambda: SVMSMOTE(k_neighbors=3),
        lambda: KMeansSMOTE(cluster_balance_threshold=0.05),
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


def test_categorical_columns_must_match_on_load(tmp_path):
    X, y = _data()
    SMOTEDataset(X, y, oversampler=SMOTE(categorical_features=[4])).save_index(tmp_path / "cat.npz")
    with pytest.raises(IndexFileError, match=r"was built for params=.*'categorical_features': \[4\]"):
        SMOTEDataset(X, y, oversampler=SMOTE(), index_path=tmp_path / "cat.npz")
    SMOTEDataset(X, y, oversampler=SMOTE()).save_index(tmp_path / "plain.npz")
    with pytest.raises(IndexFileError, match="params"):
        SMOTEDataset(X, y, oversampler=SMOTE(categorical_features=[4]), index_path=tmp_path / "plain.npz")
    # without categorical columns a file records the settings it had before they existed, so
    # index files saved by earlier versions still load
    with np.load(tmp_path / "plain.npz") as archive:
        assert json.loads(archive["__meta__"].tobytes())["params"] == {"k_neighbors": 5}


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


# -- keyed signature (HMAC-SHA256 with a key the user keeps) ----------------------------------
KEY = b"0123456789abcdef0123456789abcdef"


def _signed(tmp_path):
    X, y = _data()
    ds = SMOTEDataset(X, y, seed=0)
    path = tmp_path / "signed.npz"
    ds.save_index(path, key=KEY)
    return X, y, ds, path


def _plausible_rewrite(path, keep_signature=True):
    """Someone without the key replaces the neighbour table by rows of the right class (so the
    content checks pass) and recomputes every checksum, as the writer does."""
    with np.load(path) as archive:
        arrays = {name: archive[name] for name in archive.files}
    meta = json.loads(arrays.pop("__meta__").tobytes())
    signature = arrays.pop("__signature__")
    base = arrays["base_rows"]
    arrays["neighbors"] = base[(np.arange(len(base))[:, None] + np.arange(1, 6)) % len(base)]
    meta["arrays"] = {
        name: hashlib.sha256(f"{a.dtype.str}|{a.shape}".encode() + a.tobytes()).hexdigest() for name, a in arrays.items()
    }
    arrays["__meta__"] = np.frombuffer(json.dumps(meta, sort_keys=True).encode(), dtype=np.uint8)
    if keep_signature:
        arrays["__signature__"] = signature
    np.savez(path, **arrays)


def test_signed_round_trip(tmp_path):
    X, y, ds, path = _signed(tmp_path)
    loaded = SMOTEDataset(X, y, seed=0, index_path=path, index_key=KEY)
    rows = torch.arange(ds.num_real, len(ds))
    assert torch.equal(loaded[rows][0], ds[rows][0])


def test_file_edited_without_the_key_is_refused(tmp_path):
    X, y, _, path = _signed(tmp_path)
    _plausible_rewrite(path)
    SMOTEDataset(X, y, index_path=path)  # without a key the edit passes every check
    with pytest.raises(IndexFileError, match="the signature does not match the key: the file was changed by someone without the key"):
        SMOTEDataset(X, y, index_path=path, index_key=KEY)


def test_removed_signature_and_unsigned_file_are_refused_with_a_key(tmp_path):
    X, y, _, path = _signed(tmp_path)
    _plausible_rewrite(path, keep_signature=False)
    with pytest.raises(IndexFileError, match="is not signed but a key was given: it was saved without key= or its signature was removed"):
        SMOTEDataset(X, y, index_path=path, index_key=KEY)
    X, y, unsigned = _saved(tmp_path)
    with pytest.raises(IndexFileError, match="is not signed but a key was given"):
        SMOTEDataset(X, y, index_path=unsigned, index_key=KEY)


def test_other_key_is_refused(tmp_path):
    X, y, _, path = _signed(tmp_path)
    with pytest.raises(IndexFileError, match="the signature does not match the key"):
        SMOTEDataset(X, y, index_path=path, index_key=b"another key of the same length!!")


def test_key_must_be_bytes(tmp_path):
    X, y, ds, path = _signed(tmp_path)
    with pytest.raises(TypeError, match=r"key must be bytes .*; got 'secret' of type str. Encode a passphrase with .encode\(\)"):
        ds.save_index(path, key="secret")
    with pytest.raises(TypeError, match="key must be bytes"):
        SMOTEDataset(X, y, index_path=path, index_key="secret")
    with pytest.raises(ValueError, match=r"key is empty \(b''\); pass a secret such as os.urandom\(32\)"):
        ds.save_index(path, key=b"")
    with pytest.raises(ValueError, match="index_key is given but index_path is None; the key checks a saved index"):
        SMOTEDataset(X, y, index_key=KEY)


@pytest.mark.parametrize(
    "make",
    [SMOTE, ADASYN, lambda: SMOTENC(categorical_features=[4]), RandomOverSampler,
     lambda: SMOTE(categorical_features=[4]), lambda: ADASYN(categorical_features=[4]),
     SVMSMOTE, KMeansSMOTE],
)
def test_index_with_no_class_to_over_sample_round_trips(tmp_path, make):
    X, y = _data()
    y = torch.arange(len(y)) % 2  # balanced: nothing to add
    SMOTEDataset(X, y, oversampler=make()).save_index(tmp_path / "empty.npz")
    assert SMOTEDataset(X, y, oversampler=make(), index_path=tmp_path / "empty.npz").num_synthetic == 0


@pytest.mark.parametrize(
    "make",
    [SMOTE, lambda: BorderlineSMOTE(kind="borderline-1"), lambda: BorderlineSMOTE(kind="borderline-2"), ADASYN,
     lambda: SMOTENC(categorical_features=[4]), lambda: RandomOverSampler(shrinkage=0.5),
     lambda: SMOTE(categorical_features=[4]), lambda: BorderlineSMOTE(kind="borderline-1", categorical_features=[4]),
     lambda: BorderlineSMOTE(kind="borderline-2", categorical_features=[4]), lambda: ADASYN(categorical_features=[4]),
     lambda: SVMSMOTE(k_neighbors=3), lambda: KMeansSMOTE(cluster_balance_threshold=0.05)],
)
def test_multi_class_index_passes_the_content_checks(tmp_path, make):
    g = torch.Generator().manual_seed(1)
    y = torch.tensor([0] * 200 + [1] * 60 + [2] * 40 + [3] * 25)[torch.randperm(325, generator=g)]
    X = torch.randn(325, 5, generator=g) + 0.4 * y.unsqueeze(1)
    X[:, 4] = torch.randint(0, 3, (325,), generator=g).float()
    X[torch.arange(0, 325, 7)] = X[torch.arange(1, 325, 7)]  # exact duplicate rows
    ds = SMOTEDataset(X, y, oversampler=make(), seed=2)
    ds.save_index(tmp_path / "multi.npz")
    loaded = SMOTEDataset(X, y, oversampler=make(), seed=2, index_path=tmp_path / "multi.npz")
    rows = torch.arange(ds.num_real, len(ds))
    assert torch.equal(loaded[rows][0], ds[rows][0])
