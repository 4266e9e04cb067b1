"""GPU figures for the README: synthetic-row generation on the device, next to the device's
copy bandwidth, and the exact k-NN index build.

Run on a CUDA machine (one short run; prints a markdown table and writes JSON):

    python benchmarks/gpu.py --out gpu_results.json

Generation is timed with CUDA events (median of 20 timed calls after warm-up) for batches of
65,536 and 1,048,576 synthetic rows, from a 284,807 x 30 fraud-shaped set (492 minority rows)
and a 1,000,000 x 64 set (100,000 minority rows), eager and through ``torch.compile``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import numpy as np
import torch

from imbalance_torch import SMOTE, SMOTEDataset
from imbalance_torch.neighbors import kneighbors


def cuda_median_ms(fn, iters: int = 20, warmup: int = 3) -> float:
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(iters):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end))
    return statistics.median(times)


def shape(n: int, d: int, minority: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    rng = np.random.default_rng(seed)
    X = torch.from_numpy(rng.standard_normal((n, d), dtype=np.float32))
    y = torch.zeros(n, dtype=torch.long)
    y[torch.from_numpy(rng.choice(n, minority, replace=False))] = 1
    X[y == 1] += 0.5
    return X.cuda(), y.cuda()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default="gpu_results.json")
    parser.add_argument("--skip-compile", action="store_true")
    args = parser.parse_args()
    device = torch.cuda.get_device_name(0)
    results: dict = {"device": device, "torch": torch.__version__}

    big = torch.empty(2**30, dtype=torch.float32, device="cuda")  # 4 GiB
    copy_ms = cuda_median_ms(lambda b=big: b.clone(), iters=10)
    bandwidth = 2 * big.numel() * 4 / (copy_ms / 1e3)
    results["copy_bandwidth_bytes_per_s"] = bandwidth
    del big
    torch.cuda.empty_cache()
    print(f"device {device}; copy bandwidth {bandwidth / 1e12:.2f} TB/s (read + write)")

    rows = []
    for name, (n, d, minority) in {"fraud 284,807 x 30": (284_807, 30, 492), "wide 1,000,000 x 64": (1_000_000, 64, 100_000)}.items():
        X, y = shape(n, d, minority)
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        ds = SMOTEDataset(X, y, oversampler=SMOTE(), seed=0)
        torch.cuda.synchronize()
        fit_s = time.perf_counter() - t0
        o = ds.oversampler
        table = o.class_keys(0, 0)
        bound = bandwidth / 2 / (d * 4)  # writing the rows alone: half of read + write traffic
        modes = [("eager", o.rows_at)]
        if not args.skip_compile:
            modes.append(("compiled", torch.compile(o.rows_at, dynamic=True)))
        for mode, fn in modes:
            for batch in (65_536, 1_048_576):
                slots = torch.arange(batch, device="cuda")
                positions = torch.zeros(batch, dtype=torch.long, device="cuda")
                t0 = time.perf_counter()
                fn(positions, slots, table)
                torch.cuda.synchronize()
                first_s = time.perf_counter() - t0
                ms = cuda_median_ms(lambda f=fn, p=positions, s=slots, t=table: f(p, s, t))
                rate = batch / (ms / 1e3)
                rows.append({"data": name, "fit_s": fit_s, "mode": mode, "batch": batch, "ms": ms,
                             "rows_per_s": rate, "share_of_write_bound": rate / bound, "first_call_s": first_s})
                print(f"{name:22s} {mode:8s} batch {batch:>9,}: {rate:.3g} rows/s ({ms:.3f} ms, "
                      f"{100 * rate / bound:.0f}% of the write bound; first call {first_s:.1f} s; fit {fit_s:.2f} s)")
        del ds, o, X, y
        torch.cuda.empty_cache()
    results["generation"] = rows

    # Exact k-NN index builds.
    X, y = shape(1_000_000, 64, 1_000_000 // 2)
    Xw = X  # 1,000,000 x 64 within one class: every row a query
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    kneighbors(Xw, Xw, 5, query_indices=torch.arange(len(Xw), device="cuda"))
    torch.cuda.synchronize()
    within_s = time.perf_counter() - t0
    print(f"index build, 1,000,000 x 64 within-class, k=5: {within_s:.2f} s")
    del X, y, Xw
    X, y = shape(2_848_070, 30, 4_920)
    rows_c = (y == 1).nonzero().flatten()
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    kneighbors(X[rows_c], X, 10, query_indices=rows_c)
    torch.cuda.synchronize()
    vs_all_s = time.perf_counter() - t0
    print(f"index build, 4,920 x 2,848,070 x 30 class-vs-all, m=10: {vs_all_s:.2f} s")
    results["index_within_1M_x_64_s"] = within_s
    results["index_class_vs_all_10x_s"] = vs_all_s
    with open(args.out, "w") as handle:
        json.dump(results, handle, indent=2)
    print("| data | mode | batch | rows/s | % of write bound |")
    print("|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['data']} | {r['mode']} | {r['batch']:,} | {r['rows_per_s']:.3g} | {100 * r['share_of_write_bound']:.0f}% |")


if __name__ == "__main__":
    main()
