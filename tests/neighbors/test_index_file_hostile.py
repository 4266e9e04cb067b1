"""Index files written by someone else: edited and re-hashed, malformed, oversized, or not
files at all. Each is refused with an IndexFileError before it is used (issue 15).

The hostile files are built here with zipfile, numpy and hashlib only, checksums recomputed
exactly as the writer does, so they pass every check an accident would fail.
"""

import hashlib
import io
import json
import os
import struct
import subprocess
import sys
import threading
import warnings
import zipfile
import zlib
from functools import cache

import numpy as np
import pytest
import torch

from imbalance_torch import ADASYN, BorderlineSMOTE, RandomOverSampler, SMOTEDataset
from imbalance_torch.neighbors import IndexFileError


def _data(n=300):
    g = torch.Generator().manual_seed(0)
    X = torch.randn(n, 5, generator=g)
    y = (torch.arange(n) % 10 == 0).long()  # class 1: rows 0, 10, ..., 290
    X[y == 1] += 0.8
    return X, y


def _saved(tmp_path, oversampler=None, n=300):
    X, y = _data(n)
    path = tmp_path / "index.npz"
    SMOTEDataset(X, y, oversampler=oversampler, seed=0).save_index(path)
    return X, y, path


def _contents(path):
    with np.load(path) as archive:
        arrays = {name: archive[name] for name in archive.files}
    return json.loads(arrays.pop("__meta__").tobytes()), arrays


def _npy(array):
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.asarray(array), allow_pickle=False)
    return buffer.getvalue()


def _npy_header(descr, shape, fortran_order=False):
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buffer, {"descr": descr, "fortran_order": fortran_order, "shape": shape}
    )
    return buffer.getvalue()


def _digest(array):
    """The writer's checksum: SHA-256 of dtype, shape and bytes."""
    return hashlib.sha256(
        f"{array.dtype.str}|{array.shape}".encode() + np.ascontiguousarray(array).tobytes()
    ).hexdigest()


def _forge(path, meta, arrays, raw=None):
    """Write ``arrays`` (and ``raw`` member bytes, listed with a dummy checksum) with checksums
    recomputed, as someone who rewrites the file would."""
    digests = {name[: -len(".npy")]: "0" * 64 for name in raw or {} if name.endswith(".npy")}
    meta = dict(meta, arrays=digests | {name: _digest(array) for name, array in arrays.items()})
    members = {f"{name}.npy": _npy(array) for name, array in arrays.items()}
    members["__meta__.npy"] = _npy(np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8))
    members.update(raw or {})
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def _edit(path, change):
    meta, arrays = _contents(path)
    change(meta, arrays)
    _forge(path, meta, arrays)


def _zip_member(name, stored, *, method=zipfile.ZIP_STORED, file_size=None, crc=None, flags=0):
    """A zip member whose directory entry declares whatever it is given."""
    return {
        "name": name.encode(),
        "stored": stored,
        "method": method,
        "file_size": len(stored) if file_size is None else file_size,
        "crc": zlib.crc32(stored) if crc is None else crc,
        "flags": flags,
    }


def _write_zip(path, members):
    """A zip archive written by hand (zipfile checks what it writes; a hostile file need not)."""
    out, directory = bytearray(), bytearray()
    for m in members:
        offset = len(out)
        fields = (
            20,
            m["flags"],
            m["method"],
            0,
            0,
            m["crc"],
            len(m["stored"]),
            m["file_size"],
            len(m["name"]),
            0,
        )
        out += struct.pack("<4s5H3L2H", b"PK\x03\x04", *fields) + m["name"] + m["stored"]
        directory += (
            struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, *fields, 0, 0, 0, 0, offset) + m["name"]
        )
    end = struct.pack(
        "<4s4H2LH", b"PK\x05\x06", 0, 0, len(members), len(members), len(directory), len(out), 0
    )
    path.write_bytes(bytes(out + directory + end))


def _load(X, y, path, oversampler=None):
    return SMOTEDataset(X, y, oversampler=oversampler, seed=0, index_path=path)


# -- content: re-hashed files no fit could have written --------------------------------------
def test_neighbours_pointing_at_majority_rows_are_refused(tmp_path):
    X, y, path = _saved(tmp_path)
    majority = (y == 0).nonzero().flatten()[:5].numpy()

    def toward_majority(meta, arrays):
        arrays["neighbors"][:] = majority

    _edit(path, toward_majority)
    with pytest.raises(
        IndexFileError,
        match=r"neighbours of class 1 include row 1 of class 0; this method interpolates toward rows of the same class only",
    ):
        _load(X, y, path)


def test_borderline_2_may_point_at_any_class(tmp_path):
    X, y, path = _saved(tmp_path, BorderlineSMOTE(kind="borderline-2"))
    _, arrays = _contents(path)
    assert (
        y[torch.from_numpy(arrays["neighbors"])] == 0
    ).any()  # the fit itself uses other-class rows
    _load(X, y, path, BorderlineSMOTE(kind="borderline-2"))
    # the same table relabelled borderline-1 (which interpolates within the class) is refused
    _edit(path, lambda meta, arrays: meta["params"].update(kind="borderline-1"))
    with pytest.raises(IndexFileError, match=r"neighbours of class 1 include row \d+ of class 0"):
        _load(X, y, path, BorderlineSMOTE(kind="borderline-1"))


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (300, r"neighbors holds row 300, outside \[0, 300\) for this data's 300 rows"),
        (-1, r"neighbors holds row -1, outside \[0, 300\)"),
    ],
)
def test_out_of_range_and_negative_neighbours_are_refused(tmp_path, value, message):
    X, y, path = _saved(tmp_path)

    def out_of_range(meta, arrays):
        arrays["neighbors"][3, 2] = value

    _edit(path, out_of_range)
    with pytest.raises(IndexFileError, match=message):
        _load(X, y, path)


def test_out_of_range_base_row_is_refused(tmp_path):
    X, y, path = _saved(tmp_path)
    _edit(path, lambda meta, arrays: arrays["base_rows"].__setitem__(0, 10**9))
    with pytest.raises(IndexFileError, match=r"base_rows holds row 1000000000, outside \[0, 300\)"):
        _load(X, y, path)


@pytest.mark.parametrize(
    ("dtype", "seen"),
    [(np.float64, "'<f8'"), (np.int8, "'|i1'"), (np.int32, "'<i4'"), (np.uint64, "'<u8'")],
)
def test_indices_of_another_dtype_are_refused(tmp_path, dtype, seen):
    X, y, path = _saved(tmp_path)

    def retype(meta, arrays):
        arrays["neighbors"] = arrays["neighbors"].astype(dtype)

    _edit(path, retype)
    with pytest.raises(
        IndexFileError,
        match=rf"array 'neighbors' is {seen} of shape \(30, 5\); this index needs int64 of shape \(<=300, 5\)",
    ):
        _load(X, y, path)


def test_another_k_is_refused(tmp_path):
    X, y, path = _saved(
        tmp_path
    )  # SMOTE(k_neighbors=5); the table is cut to 3 columns, the params kept
    _edit(
        path,
        lambda meta, arrays: arrays.__setitem__("neighbors", arrays["neighbors"][:, :3].copy()),
    )
    with pytest.raises(
        IndexFileError,
        match=r"'neighbors' is '<i8' of shape \(30, 3\); this index needs int64 of shape \(<=300, 5\)",
    ):
        _load(X, y, path)


def test_missing_array_is_refused(tmp_path):
    X, y, path = _saved(tmp_path)
    _edit(path, lambda meta, arrays: arrays.pop("neighbors"))
    with pytest.raises(
        IndexFileError,
        match=r"lacks array\(s\) \['neighbors'\] that this oversampler's index holds",
    ):
        _load(X, y, path)


def test_array_listed_in_the_metadata_but_absent_is_refused(tmp_path):
    X, y, path = _saved(tmp_path)
    meta, arrays = _contents(path)
    meta["arrays"] = {name: _digest(array) for name, array in arrays.items()}
    members = {f"{name}.npy": _npy(array) for name, array in arrays.items() if name != "neighbors"}
    members["__meta__.npy"] = _npy(np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8))
    _write_zip(path, [_zip_member(name, data) for name, data in members.items()])
    with pytest.raises(IndexFileError, match=r"lacks array\(s\) \['neighbors'\]"):
        _load(X, y, path)


def test_extra_array_is_refused(tmp_path):
    X, y, path = _saved(tmp_path)
    _edit(path, lambda meta, arrays: arrays.__setitem__("extra", np.zeros(3, dtype=np.int64)))
    with pytest.raises(
        IndexFileError,
        match=r"holds unexpected array\(s\) \['extra'\] that this oversampler's index never has",
    ):
        _load(X, y, path)


def test_random_over_sampler_with_a_neighbour_table_is_refused(tmp_path):
    X, y, path = _saved(tmp_path, RandomOverSampler())
    _edit(
        path,
        lambda meta, arrays: arrays.__setitem__("neighbors", np.zeros((30, 5), dtype=np.int64)),
    )
    with pytest.raises(IndexFileError, match=r"unexpected array\(s\) \['neighbors'\]"):
        _load(X, y, path, RandomOverSampler())


def test_zero_pool_count_is_refused(tmp_path):
    X, y, path = _saved(tmp_path)

    def empty_pool(meta, arrays):
        arrays["pool_count"][:] = 0
        arrays["base_rows"] = arrays["base_rows"][:0]
        arrays["neighbors"] = arrays["neighbors"][:0]

    _edit(path, empty_pool)
    with pytest.raises(
        IndexFileError,
        match="the pool of class 1 has count 0; every fitted class has at least one base row",
    ):
        _load(X, y, path)


def test_counts_that_do_not_add_up_are_refused(tmp_path):
    X, y, path = _saved(tmp_path)
    _edit(path, lambda meta, arrays: arrays["pool_count"].__setitem__(0, 29))
    with pytest.raises(
        IndexFileError, match="the pool counts add up to 29 but base_rows has 30 rows"
    ):
        _load(X, y, path)


def test_one_count_per_class(tmp_path):
    X, y, path = _saved(tmp_path)
    _edit(
        path,
        lambda meta, arrays: arrays.__setitem__("pool_count", np.array([30, 0], dtype=np.int64)),
    )
    with pytest.raises(IndexFileError, match="has 2 pool counts for 1 classes"):
        _load(X, y, path)


def test_neighbour_rows_must_match_base_rows(tmp_path):
    X, y, path = _saved(tmp_path)
    _edit(
        path, lambda meta, arrays: arrays.__setitem__("neighbors", arrays["neighbors"][:29].copy())
    )
    with pytest.raises(IndexFileError, match="neighbors has 29 rows but base_rows has 30"):
        _load(X, y, path)


def test_other_classes_are_refused(tmp_path):
    X, y, path = _saved(tmp_path)
    _edit(path, lambda meta, arrays: arrays["classes"].__setitem__(0, 0))
    with pytest.raises(
        IndexFileError,
        match=r"was fitted for classes \[0\] but the sampling strategy over-samples \[1\]",
    ):
        _load(X, y, path)


def test_base_row_of_another_class_is_refused(tmp_path):
    X, y, path = _saved(tmp_path)
    _edit(path, lambda meta, arrays: arrays["base_rows"].__setitem__(1, 11))
    with pytest.raises(IndexFileError, match="base row 11 in the pool of class 1 is of class 0"):
        _load(X, y, path)


def test_smote_pool_must_be_the_whole_class(tmp_path):
    X, y, path = _saved(tmp_path)
    _edit(
        path, lambda meta, arrays: arrays["base_rows"].__setitem__(1, 0)
    )  # row 0 twice: double weight
    with pytest.raises(
        IndexFileError, match="the pools must list each row of their class once, in order"
    ):
        _load(X, y, path)


def test_borderline_pool_lists_each_row_once(tmp_path):
    X, y, path = _saved(tmp_path, BorderlineSMOTE())
    _edit(path, lambda meta, arrays: arrays["base_rows"].__setitem__(1, arrays["base_rows"][0]))
    with pytest.raises(IndexFileError, match="a pool lists a base row twice or out of order"):
        _load(X, y, path, BorderlineSMOTE())


def test_adasyn_weights_are_bounded_by_k(tmp_path):
    X, y, path = _saved(tmp_path, ADASYN())
    _, arrays = _contents(path)
    assert len(np.unique(arrays["base_rows"])) < len(arrays["base_rows"])  # the fit repeats rows

    def overweight(meta, arrays):
        base, neighbors = arrays["base_rows"], arrays["neighbors"]
        first_run = int((base == base[0]).sum())
        arrays["base_rows"] = np.concatenate([np.repeat(base[:1], 6), base[first_run:]])
        arrays["neighbors"] = np.concatenate(
            [np.repeat(neighbors[:1], 6, axis=0), neighbors[first_run:]]
        )
        arrays["pool_count"][:] = len(arrays["base_rows"])

    _edit(path, overweight)
    with pytest.raises(
        IndexFileError, match=r"a base row is listed 6 times; its weight is at most k=5"
    ):
        _load(X, y, path, ADASYN())


def test_adasyn_pool_order(tmp_path):
    X, y, path = _saved(tmp_path, ADASYN())
    _edit(
        path,
        lambda meta, arrays: (
            arrays["base_rows"].__setitem__(slice(None), arrays["base_rows"][::-1].copy()),
            arrays["neighbors"].__setitem__(slice(None), arrays["neighbors"][::-1].copy()),
        ),
    )
    with pytest.raises(IndexFileError, match="a pool lists its base rows out of order"):
        _load(X, y, path, ADASYN())


def test_row_as_its_own_neighbour_is_refused(tmp_path):
    X, y, path = _saved(tmp_path)
    _edit(
        path, lambda meta, arrays: arrays["neighbors"].__setitem__((0, 0), arrays["base_rows"][0])
    )
    with pytest.raises(IndexFileError, match="row 0 is listed as its own neighbour"):
        _load(X, y, path)


# -- bounded reading ---------------------------------------------------------------------------
def _zeros_bomb(header, total_zeros, chunk=1 << 20):
    """A raw deflate stream of ``header`` then ``total_zeros`` zero bytes (a multiple of
    ``chunk``), about 1000 times smaller than what it inflates to, and its CRC-32."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    start = compressor.compress(header) + compressor.flush(zlib.Z_FULL_FLUSH)
    zeros = bytes(chunk)
    block = compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    assert block == compressor.compress(zeros) + compressor.flush(
        zlib.Z_FULL_FLUSH
    )  # blocks repeat exactly
    count = total_zeros // chunk
    crc = zlib.crc32(header)
    for _ in range(count):
        crc = zlib.crc32(zeros, crc)
    return start + block * count + compressor.flush(), crc


@cache
def _bomb_member():
    zeros = 2 << 30  # 2 GiB: base_rows declared as 2**28 int64 zeros
    header = _npy_header("<i8", (zeros // 8,))
    stored, crc = _zeros_bomb(header, zeros)
    return stored, crc, len(header) + zeros


_CHILD = r"""
import json, resource, sys, time
import torch
from imbalance_torch import SMOTEDataset
from imbalance_torch.neighbors import IndexFileError

X, y = torch.load(sys.argv[1], weights_only=True)
with open("/proc/self/status") as status:
    vm_kib = next(int(line.split()[1]) for line in status if line.startswith("VmSize:"))
limit = vm_kib * 1024 + (3 << 29)  # 1.5 GiB above the address space in use now
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
try:
    SMOTEDataset(X, y, index_path=sys.argv[2])
    outcome = "loaded"
except IndexFileError as error:
    outcome = "IndexFileError: " + str(error)
except BaseException as error:
    outcome = type(error).__name__ + ": " + str(error)
seconds = time.perf_counter() - start
rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"outcome": outcome, "seconds": seconds, "peak_growth_mib": (rss_after - rss_before) / 1024}))
"""


@pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="reads /proc and limits the address space"
)
def test_deflate_bomb_is_refused_quickly_with_bounded_memory(tmp_path):
    X, y, path = _saved(tmp_path, n=10_000)  # a file bound (about 2.6 MB) the 2 MiB bomb fits in
    meta, arrays = _contents(path)
    stored, crc, size = _bomb_member()
    assert len(stored) < 3 << 20  # a 2 MiB file ...
    members = {f"{name}.npy": _npy(array) for name, array in arrays.items() if name != "base_rows"}
    members["__meta__.npy"] = _npy(np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8))
    entries = [_zip_member(name, data) for name, data in members.items()]
    entries.append(
        _zip_member("base_rows.npy", stored, method=zipfile.ZIP_DEFLATED, file_size=size, crc=crc)
    )  # ... declaring 2 GiB
    _write_zip(path, entries)
    torch.save((X, y), tmp_path / "data.pt")
    env = dict(os.environ, OMP_NUM_THREADS="1")
    child = subprocess.run(
        [sys.executable, "-c", _CHILD, str(tmp_path / "data.pt"), str(path)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert child.returncode == 0, child.stderr[-2000:]
    result = json.loads(child.stdout.strip().splitlines()[-1])
    print("deflate bomb:", result)
    assert result["outcome"].startswith("IndexFileError: "), result
    assert (
        "array 'base_rows' is '<i8' of shape (268435456,); this index needs int64 of shape (<=10000,)"
        in result["outcome"]
    )
    assert result["seconds"] < 3.0
    assert result["peak_growth_mib"] < 64


def test_zip_directory_declaring_more_than_the_header_is_refused(tmp_path):
    X, y, path = _saved(tmp_path)
    meta, arrays = _contents(path)
    members = {f"{name}.npy": _npy(array) for name, array in arrays.items()}
    members["__meta__.npy"] = _npy(np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8))
    members["neighbors.npy"] += bytes(1 << 16)  # the header says (30, 5); 64 KiB more follow
    _write_zip(path, [_zip_member(name, data) for name, data in members.items()])
    with pytest.raises(
        IndexFileError,
        match=r"the zip directory declares 66864 bytes for array 'neighbors', whose header implies 1328",
    ):
        _load(X, y, path)


def test_member_declaring_a_trillion_elements_is_refused(tmp_path):
    X, y, path = _saved(tmp_path)
    meta, arrays = _contents(path)
    del arrays["base_rows"]
    _forge(path, meta, arrays, raw={"base_rows.npy": _npy_header("<i8", (10**12,)) + bytes(64)})
    with pytest.raises(
        IndexFileError,
        match=r"array 'base_rows' is '<i8' of shape \(1000000000000,\); this index needs int64 of shape \(<=300,\)",
    ):
        _load(X, y, path)


def test_member_data_shorter_than_declared_is_refused(tmp_path):
    X, y, path = _saved(tmp_path)
    meta, arrays = _contents(path)
    members = {f"{name}.npy": _npy(array) for name, array in arrays.items() if name != "neighbors"}
    members["__meta__.npy"] = _npy(np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8))
    short = _npy(arrays["neighbors"])[:-100]  # a deflate stream that ends early, with its own CRC
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    stored = compressor.compress(short) + compressor.flush()
    entries = [_zip_member(name, data) for name, data in members.items()]
    entries.append(
        _zip_member(
            "neighbors.npy",
            stored,
            method=zipfile.ZIP_DEFLATED,
            file_size=len(short) + 100,
            crc=zlib.crc32(short),
        )
    )
    _write_zip(path, entries)
    with pytest.raises(
        IndexFileError, match=r"array 'neighbors' ends after 1100 of 1200 bytes; it is truncated"
    ):
        _load(X, y, path)


def test_fortran_order_member_is_refused(tmp_path):
    X, y, path = _saved(tmp_path)
    meta, arrays = _contents(path)
    data = np.asfortranarray(arrays.pop("neighbors"))
    _forge(path, meta, arrays, raw={"neighbors.npy": _npy(data)})
    with pytest.raises(
        IndexFileError, match=r"array 'neighbors' is '<i8' of shape \(30, 5\), Fortran order"
    ):
        _load(X, y, path)


def test_npy_format_3_is_refused(tmp_path):
    X, y, path = _saved(tmp_path)
    meta, arrays = _contents(path)
    data = _npy(arrays.pop("neighbors"))
    _forge(path, meta, arrays, raw={"neighbors.npy": data[:6] + b"\x03\x00" + data[8:]})
    with pytest.raises(
        IndexFileError,
        match=r"'neighbors' is in .npy format version \(3, 0\); index files use 1.0 or 2.0",
    ):
        _load(X, y, path)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_fifo_is_refused_without_blocking(tmp_path):
    X, y = _data()
    fifo = tmp_path / "index.npz"
    os.mkfifo(fifo)
    outcome = []

    def load():
        try:
            _load(X, y, fifo)
        except BaseException as error:  # noqa: BLE001 - handed to the main thread
            outcome.append(error)

    worker = threading.Thread(target=load, daemon=True)
    worker.start()
    worker.join(timeout=10)
    if worker.is_alive():  # blocked in open(): give it a writer so the thread can end
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        worker.join(timeout=10)
        pytest.fail("loading a FIFO blocked")
    assert isinstance(outcome[0], IndexFileError), outcome
    assert (
        "is a FIFO (named pipe), not a regular file; pass the path of a file written by save_index"
        in str(outcome[0])
    )


def test_symlink_is_followed(tmp_path):
    X, y, path = _saved(tmp_path)
    link = tmp_path / "link.npz"
    link.symlink_to(path)
    assert len(_load(X, y, link)) == len(_load(X, y, path))


@pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="the message is Linux's ELOOP text"
)
def test_unopenable_path_is_refused(tmp_path):
    X, y = _data()
    loop = tmp_path / "loop.npz"
    loop.symlink_to(loop)
    with pytest.raises(
        IndexFileError,
        match=r"loop.npz' cannot be opened \(OSError: Too many levels of symbolic links\)",
    ):
        _load(X, y, loop)


def test_file_larger_than_any_index_of_the_data_is_refused(tmp_path):
    X, y, path = _saved(tmp_path)
    with open(path, "ab") as handle:  # 1 GiB, sparse: nothing is written or read
        handle.truncate(1 << 30)
    with pytest.raises(
        IndexFileError,
        match=r"is 1073741824 bytes, more than the \d+ bytes an index of this data and oversampler can take",
    ):
        _load(X, y, path)


@pytest.mark.parametrize(
    ("meta", "message"),
    [
        (b"[1, 2]", r"the metadata is a JSON list \(\[1, 2\]\), not an object"),
        (b'"index"', r"the metadata is a JSON str \('index'\), not an object"),
        (b"[" * 100_000 + b"]" * 100_000, r"could not be read as an index file \(RecursionError"),
        (b"\xff\xfe", r"could not be read as an index file \(UnicodeDecodeError"),
        (b"{not json", r"could not be read as an index file \(JSONDecodeError"),
    ],
)
def test_metadata_that_is_not_an_object_is_refused(tmp_path, meta, message):
    X, y, path = _saved(tmp_path)
    _, arrays = _contents(path)
    _write_zip(
        path,
        [_zip_member(f"{name}.npy", _npy(array)) for name, array in arrays.items()]
        + [_zip_member("__meta__.npy", _npy(np.frombuffer(meta, dtype=np.uint8)))],
    )
    with pytest.raises(IndexFileError, match=message):
        _load(X, y, path)


def test_metadata_is_bounded(tmp_path):
    X, y, path = _saved(tmp_path)
    meta, arrays = _contents(path)
    meta["padding"] = "x" * (3 << 19)  # 1.5 MiB: within the file's bound, beyond the metadata's
    _forge(path, meta, arrays)
    with pytest.raises(
        IndexFileError,
        match=r"array '__meta__' is '\|u1' of shape \(\d+,\); this index needs uint8 of shape \(<=1048576,\)",
    ):
        _load(X, y, path)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"format": "something-else"},
            r"is not an imbalance-torch index file \(format 'something-else'\)",
        ),
        (
            {"arrays": ["neighbors"]},
            r"metadata field 'arrays' is \['neighbors'\], not a table of checksums",
        ),
    ],
)
def test_metadata_fields_are_checked(tmp_path, change, message):
    X, y, path = _saved(tmp_path)
    meta, arrays = _contents(path)
    meta.update(change)
    members = [_zip_member(f"{name}.npy", _npy(array)) for name, array in arrays.items()]
    _write_zip(
        path,
        members
        + [
            _zip_member(
                "__meta__.npy", _npy(np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8))
            )
        ],
    )
    with pytest.raises(IndexFileError, match=message):
        _load(X, y, path)


def test_archive_without_metadata_is_refused(tmp_path):
    X, y, path = _saved(tmp_path)
    _, arrays = _contents(path)
    np.savez(path, **arrays)
    with pytest.raises(
        IndexFileError, match=r"is not an imbalance-torch index file \(no metadata\)"
    ):
        _load(X, y, path)


def test_repeated_member_is_refused(tmp_path):
    X, y, path = _saved(tmp_path)
    meta, arrays = _contents(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # zipfile warns of the duplicate name
        _forge(path, meta, arrays, raw=None)
        with zipfile.ZipFile(path, "a") as archive:
            archive.writestr("neighbors.npy", _npy(np.zeros((30, 5), dtype=np.int64)))
    with pytest.raises(IndexFileError, match=r"holds members \['neighbors.npy'\] more than once"):
        _load(X, y, path)


def test_member_that_is_not_an_array_is_refused(tmp_path):
    X, y, path = _saved(tmp_path)
    meta, arrays = _contents(path)
    _forge(path, meta, arrays, raw={"payload.pkl": b"\x80\x04."})
    with pytest.raises(
        IndexFileError, match=r"holds 'payload.pkl', which is not an array \(.npy\) member"
    ):
        _load(X, y, path)


def test_encrypted_member_is_refused(tmp_path):
    X, y, path = _saved(tmp_path)
    _, arrays = _contents(path)
    _write_zip(
        path, [_zip_member(f"{name}.npy", _npy(array), flags=0x1) for name, array in arrays.items()]
    )
    with pytest.raises(
        IndexFileError, match=r"member 'classes.npy' is encrypted; index files never are"
    ):
        _load(X, y, path)


def test_other_compression_methods_are_refused(tmp_path):
    X, y, path = _saved(tmp_path)
    meta, arrays = _contents(path)
    _forge(path, meta, arrays)
    with zipfile.ZipFile(path) as source:
        members = {name: source.read(name) for name in source.namelist()}
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_BZIP2) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    with pytest.raises(
        IndexFileError,
        match=r"uses zip compression method 12; index files are stored or deflated only",
    ):
        _load(X, y, path)


def test_deflated_file_of_the_right_size_is_read(tmp_path):
    X, y, path = _saved(tmp_path)
    meta, arrays = _contents(path)
    _forge(path, meta, arrays)
    with zipfile.ZipFile(path) as source:
        members = {name: source.read(name) for name in source.namelist()}
    with zipfile.ZipFile(
        path, "w", compression=zipfile.ZIP_DEFLATED
    ) as archive:  # np.savez_compressed's layout
        for name, data in members.items():
            archive.writestr(name, data)
    reference = SMOTEDataset(X, y, seed=0)
    rows = torch.arange(reference.num_real, len(reference))
    assert torch.equal(_load(X, y, path)[rows][0], reference[rows][0])
