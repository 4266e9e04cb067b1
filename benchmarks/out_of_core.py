"""Fit + one DataLoader epoch from features on disk (a memory-mapped ``.npy``) vs in memory:
time, rows/s and peak resident memory.

The script writes a ``rows x features`` float32 ``.npy`` file (minority rows of class 1
shifted as in the fraud shape, scattered through the file) and int8 labels into a scratch
folder, chunk by chunk, then measures in a fresh (spawned) process each:

* out of core: ``SMOTEDataset(MemmapSource(path), y, oversampler=...)`` (the fit reads the
  minority rows, and streams the file once for Borderline-SMOTE / ADASYN), then one epoch of
  ``DataLoader(ds, sampler=BalancedSampler(ds, batch_size=B), batch_size=None)`` (real rows
  read from the file per batch, synthetic rows generated);
* in memory (skipped when the file is larger than a third of the memory available): the same
  with the array read into memory first (``np.load``), the way it is done today.

Peak memory is the kernel's high-water mark of the process (``VmHWM``, reset before each
phase through ``/proc/self/clear_refs``), shown as the absolute peak and as the growth above
the baseline (after imports and the labels file, before the features). The scratch folder is
deleted at the end unless ``--keep``.

    python benchmarks/out_of_core.py                                  # the issue's 100M x 30 (12 GB)
    python benchmarks/out_of_core.py --rows 10000000 --minority 2000 --methods smote,borderline
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _common as C  # noqa: E402
import numpy as np  # noqa: E402

MEMORY_TARGET = 3 * 2**30


def write_data(folder: str, rows: int, features: int, minority: int, seed: int = 0) -> tuple[str, str]:
    """``features.npy`` (float32, written chunk by chunk) and ``labels.npy`` (int8)."""
    rng = np.random.default_rng(seed)
    picked = np.unique(rng.integers(0, rows, size=minority * 2))
    picked = rng.permutation(picked)[:minority]
    labels = np.zeros(rows, dtype=np.int8)
    labels[picked] = 1
    shift = np.full(features, 3.5 / np.sqrt(features), dtype=np.float32)
    path = os.path.join(folder, "features.npy")
    header = {"descr": "<f4", "fortran_order": False, "shape": (rows, features)}
    chunk = 1_000_000
    with open(path, "wb") as handle:
        np.lib.format.write_array_header_2_0(handle, header)
        for start in range(0, rows, chunk):
            stop = min(start + chunk, rows)
            block = rng.standard_normal((stop - start, features), dtype=np.float32)
            minor = labels[start:stop] == 1
            block[minor] = block[minor] * 0.7 + shift
            handle.write(block.tobytes())
    labels_path = os.path.join(folder, "labels.npy")
    np.save(labels_path, labels)
    return path, labels_path


def _oversampler(method: str):
    from imbalance_torch import ADASYN, SMOTE, BorderlineSMOTE

    return {"smote": SMOTE, "borderline": BorderlineSMOTE, "adasyn": ADASYN}[method]()


def measure(path: str, labels_path: str, method: str, where: str, batch_size: int, threads: int | None, epoch_batches: int = 0) -> dict:
    """One fit + one epoch (its first ``epoch_batches`` batches when > 0) in this (fresh) process."""
    import torch
    from torch.utils.data import DataLoader

    from imbalance_torch import BalancedSampler, SMOTEDataset
    from imbalance_torch.data import MemmapSource

    C.set_threads(threads)
    rss = C.PeakRSS()
    y = torch.from_numpy(np.load(labels_path))
    torch.randn(256, 64) @ torch.randn(64, 256)  # start the thread pool and BLAS before the baseline
    baseline = rss.reset()
    start = time.perf_counter()
    features = MemmapSource(path) if where == "disk" else torch.from_numpy(np.load(path))
    read_s = time.perf_counter() - start
    ds = SMOTEDataset(features, y, oversampler=_oversampler(method), seed=0)
    fit_s = time.perf_counter() - start - read_s
    fit_peak = rss.peak()
    rss.reset()
    loader = DataLoader(ds, sampler=BalancedSampler(ds, batch_size=batch_size), batch_size=None)
    disk_before = _disk_read()
    start = time.perf_counter()
    served = 0
    for number, (_, labels) in enumerate(loader):
        served += len(labels)
        if epoch_batches and number + 1 == epoch_batches:
            break
    epoch_s = time.perf_counter() - start
    disk = _disk_read() - disk_before
    epoch_peak = rss.peak()
    return {
        "baseline": baseline,
        "read_s": read_s,
        "fit_s": fit_s,
        "fit_peak": fit_peak,
        "epoch_s": epoch_s,
        "epoch_peak": epoch_peak,
        "rows": served,
        "epoch_disk_read": disk,
        "fit_rows": None if getattr(ds, "fit_rows", None) is None else len(ds.fit_rows),
        "threads": torch.get_num_threads(),
    }


def parquet_reads(folder: str, rows: int, features: int, batch_size: int, row_group: int = 131_072) -> list[list[str]]:
    """Random batches from a Parquet table vs its ``.npy`` copy made by ``to_npy``."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    import torch

    from imbalance_torch.data import ParquetSource, to_npy

    rng = np.random.default_rng(1)
    path = os.path.join(folder, "table.parquet")
    with pq.ParquetWriter(path, pa.schema([(f"f{j}", pa.float32()) for j in range(features)])) as writer:
        for start in range(0, rows, row_group):
            block = rng.standard_normal((min(row_group, rows - start), features), dtype=np.float32)
            writer.write_table(pa.table({f"f{j}": block[:, j] for j in range(features)}), row_group_size=row_group)
    parquet = ParquetSource(path)
    start = time.perf_counter()
    copy = to_npy(parquet, os.path.join(folder, "table.npy"))
    convert_s = time.perf_counter() - start
    out = []
    for name, source in (("ParquetSource", parquet), ("MemmapSource (to_npy copy)", copy)):
        times = []
        for _ in range(5):
            batch = torch.randint(0, rows, (batch_size,))
            start = time.perf_counter()
            source.read(batch)
            times.append(time.perf_counter() - start)
        best = min(times)
        out.append([name, f"{best * 1e3:.1f} ms", f"{batch_size / best / 1e6:.3f} M"])
    out.append(["to_npy conversion (once)", f"{convert_s:.2f} s", "-"])
    return out


def _disk_read() -> int:
    """Bytes this process has made the kernel read from disk (page-cache misses)."""
    try:
        with open("/proc/self/io") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("read_bytes"))
    except (OSError, StopIteration):
        return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000_000)
    parser.add_argument("--features", type=int, default=30)
    parser.add_argument("--minority", type=int, default=2_000, help="rows of class 1 (the class-vs-all search costs minority x rows)")
    parser.add_argument("--methods", default="smote,borderline", help="comma-separated from smote, borderline, adasyn")
    parser.add_argument("--batch-size", type=int, default=8192)
    parser.add_argument("--epoch-batches", type=int, default=0, help="serve only this many batches of the epoch (0: all)")
    parser.add_argument("--reuse", default=None, help="a folder with features.npy and labels.npy from an earlier --keep run (not deleted)")
    parser.add_argument("--in-memory", choices=("auto", "yes", "no"), default="auto")
    parser.add_argument("--scratch", default=None, help="folder for the generated file (default: a temporary folder)")
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds per measurement")
    parser.add_argument("--parquet-rows", type=int, default=1_000_000, help="rows of the Parquet random-read comparison (0: skip)")
    parser.add_argument("--output", default=None, help="also write the report (markdown) here")
    args = parser.parse_args()
    report = C.Report("Out of core: fit + one epoch from a memory-mapped .npy vs in memory", args)
    file_bytes = args.rows * args.features * 4
    folder = args.reuse or tempfile.mkdtemp(prefix="imbalance-ooc-", dir=args.scratch)
    try:
        start = time.perf_counter()
        if args.reuse:
            path, labels_path = os.path.join(folder, "features.npy"), os.path.join(folder, "labels.npy")
            header = np.load(path, mmap_mode="r")
            if header.shape != (args.rows, args.features) or int((np.load(labels_path) == 1).sum()) != args.minority:
                raise SystemExit(f"--reuse {folder}: features {header.shape} or its minority count differ from --rows/--features/--minority")
            del header
        else:
            path, labels_path = write_data(folder, args.rows, args.features, args.minority)
        report.add(f"- data: {args.rows:,} x {args.features} float32 ({C.fmt_mib(file_bytes)} on disk), {args.minority:,} minority rows; "
                   + ("reused" if args.reuse else f"written in {time.perf_counter() - start:.1f} s"))
        if args.epoch_batches:
            report.add(f"- **the epoch is cut after its first {args.epoch_batches} batches** (--epoch-batches): rows/s over those")
        available = C_available()
        in_memory = args.in_memory == "yes" or (args.in_memory == "auto" and available is not None and file_bytes < available / 3)
        report.add(f"- batch size {args.batch_size}; memory available at start {C.fmt_mib(available or 0)}; in-memory runs: {'yes' if in_memory else 'no (the file is too large for this machine)'}")
        report.add("")
        rows = []
        for method in args.methods.split(","):
            for where in ("disk", "memory") if in_memory else ("disk",):
                result = C.in_fresh_process(
                    "out_of_core:measure", timeout=args.timeout, path=path, labels_path=labels_path,
                    method=method, where=where, batch_size=args.batch_size, threads=args.threads,
                    epoch_batches=args.epoch_batches,
                )
                peak = max(result["fit_peak"], result["epoch_peak"])
                rows.append([
                    method, "memmap (out of core)" if where == "disk" else "in memory (np.load)",
                    f"{result['read_s']:.2f} s" if where == "memory" else "-",
                    f"{result['fit_s']:.2f} s", f"{result['epoch_s']:.2f} s",
                    f"{result['rows'] / result['epoch_s'] / 1e6:.2f} M",
                    f"{result['rows'] / (result['fit_s'] + result['epoch_s'] + result['read_s']) / 1e6:.2f} M",
                    C.fmt_mib(peak), C.fmt_mib(peak - result["baseline"]),
                    "-" if result["fit_rows"] is None else f"{result['fit_rows']:,}",
                    C.fmt_mib(result["epoch_disk_read"]),
                ])
                if where == "disk":
                    report.verdict(f"{method}: peak RSS {C.fmt_mib(peak)} for a {C.fmt_mib(file_bytes)} file (target under 3 GiB)", peak < MEMORY_TARGET)
        report.add("")
        report.table(
            ["method", "features", "read", "fit", "epoch", "epoch rows/s", "fit + epoch rows/s", "peak RSS", "peak above baseline", "rows in the fit set", "read from disk in the epoch"],
            rows,
        )
        report.add("Epoch rows: every real row once plus the synthetic rows that bring class 1 to class 0 (1:1). "
                   "The baseline is the process after imports and the labels, before the features.")
        if args.parquet_rows:
            report.add("")
            report.add(f"Random batches of {args.batch_size} rows from a {args.parquet_rows:,} x {args.features} float32 Parquet file "
                       "(row groups of 131,072 rows) vs its .npy copy (best of 5):")
            report.add("")
            report.table(["source", "batch", "rows/s"], parquet_reads(folder, args.parquet_rows, args.features, args.batch_size))
    finally:
        if not args.keep and not args.reuse:
            shutil.rmtree(folder, ignore_errors=True)
    report.finish()


def C_available() -> int | None:  # noqa: N802 - a helper next to the _common ones
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


if __name__ == "__main__":
    main()
