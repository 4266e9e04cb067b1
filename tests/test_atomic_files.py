"""One atomic write (issue 19 item 4): index files and array copies get the permissions a plain
open(path, "w") gives under the process umask (NOTE [file permissions]), and a failed write
leaves the old file."""

from __future__ import annotations

import os
import stat
import sys
from contextlib import contextmanager

import numpy as np
import pytest
import torch

from imbalance_torch import SMOTEDataset
from imbalance_torch._files import atomic_write
from imbalance_torch.data import MemmapSource, to_npy
from imbalance_torch.oversample import SMOTE

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX permission bits")


@contextmanager
def umask(mask: int):
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def plain_open_mode(path) -> int:
    with open(path, "w"):
        pass
    return mode(path)


@pytest.mark.parametrize("mask, expected", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_index_file_and_array_copy_follow_the_umask(tmp_path, mask, expected):
    X = torch.randn(40, 3, generator=torch.Generator().manual_seed(0))
    y = torch.tensor([0] * 32 + [1] * 8)
    np.save(tmp_path / "x.npy", X.numpy())
    with umask(mask):
        assert plain_open_mode(tmp_path / "plain.txt") == expected
        SMOTEDataset(X, y, oversampler=SMOTE(k_neighbors=3), seed=0).save_index(tmp_path / "i.npz")
        copy = to_npy(MemmapSource(tmp_path / "x.npy"), tmp_path / "copy.npy", chunk_rows=7)
    assert mode(tmp_path / "i.npz") == expected
    assert mode(tmp_path / "copy.npy") == expected
    assert torch.equal(copy.read_range(0, 40), X)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["copy.npy", "i.npz", "plain.txt", "x.npy"]


def test_a_replaced_file_keeps_its_mode_as_open_does(tmp_path):
    path = tmp_path / "report.txt"
    path.write_text("old")
    os.chmod(path, 0o640)
    with umask(0o022):
        atomic_write(path, lambda out: out.write("new\r\n"), binary=False)
    assert mode(path) == 0o640
    assert path.read_bytes() == b"new\r\n"  # text mode writes newlines as given


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "sub" / "data.bin"
    atomic_write(path, lambda out: out.write(b"old"))

    def fail(out):
        out.write(b"half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        atomic_write(path, fail)
    assert path.read_bytes() == b"old"
    assert [p.name for p in path.parent.iterdir()] == ["data.bin"]
