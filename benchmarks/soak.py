"""Soak test: many epochs of BalancedSampler + SMOTEDataset through a DataLoader with
workers must not grow memory or leak file descriptors.

    python benchmarks/soak.py --epochs 500            # the full soak (a few minutes)
    python benchmarks/soak.py --epochs 50 --quick     # what CI runs (tests/test_soak.py)

Prints RSS (main process + workers, from /proc) and open file descriptors at epoch 10 and at
the last epoch, and exits non-zero when RSS grew by more than --max-growth (default 5%) or
the descriptor count grew.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import torch
from torch.utils.data import DataLoader

from imbalance_torch import BalancedSampler, SMOTEDataset


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def _rss_bytes(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return 0
    return 0


def total_rss() -> int:
    """RSS of this process and all its descendants (DataLoader workers)."""
    pending, seen, total = [os.getpid()], set(), 0
    while pending:
        pid = pending.pop()
        if pid in seen:
            continue
        seen.add(pid)
        total += _rss_bytes(pid)
        pending += _children(pid)
    return total


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def soak(epochs: int, rows: int, features: int, workers: int, batch_size: int, check_at: int = 10) -> dict:
    g = torch.Generator().manual_seed(0)
    X = torch.randn(rows, features, generator=g)
    y = (torch.rand(rows, generator=g) < 0.02).long()
    X[y == 1] += 0.5
    dataset = SMOTEDataset(X, y, seed=0)
    sampler = BalancedSampler(dataset, batch_size=batch_size, undersampling={0: int((y == 0).sum()) // 2}, oversampling=1.0)
    loader = DataLoader(dataset, sampler=sampler, batch_size=None, num_workers=workers, persistent_workers=workers > 0)
    record = {}
    start = time.perf_counter()
    checksum = 0.0
    for epoch in range(epochs):
        sampler.set_epoch(epoch)
        for features_batch, _ in loader:
            checksum += float(features_batch[0, 0])
        if epoch + 1 in (check_at, epochs):
            record[epoch + 1] = {"rss": total_rss(), "fds": open_fds(), "seconds": time.perf_counter() - start}
    del loader
    return {"record": record, "epochs": epochs, "checksum": checksum}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=500)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--features", type=int, default=16)
    parser.add_argument("--batch-size", type=int, default=1024)
    parser.add_argument("--max-growth", type=float, default=0.05)
    parser.add_argument("--quick", action="store_true", help="a small dataset (for CI)")
    args = parser.parse_args(argv)
    if args.quick:
        args.rows, args.batch_size = 10_000, 512
    result = soak(args.epochs, args.rows, args.features, args.workers, args.batch_size)
    first, last = result["record"][10], result["record"][args.epochs]
    growth = last["rss"] / first["rss"] - 1
    print("| epoch | RSS (MiB, main + workers) | open fds | elapsed (s) |")
    print("|---|---|---|---|")
    for epoch, r in result["record"].items():
        print(f"| {epoch} | {r['rss'] / 2**20:.1f} | {r['fds']} | {r['seconds']:.1f} |")
    ok = growth <= args.max_growth and last["fds"] <= first["fds"]
    print(
        f"soak: {args.epochs} epochs, RSS {growth * 100:+.2f}% from epoch 10 "
        f"(limit {args.max_growth * 100:.0f}%), fds {first['fds']} -> {last['fds']}: {'OK' if ok else 'FAILED'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
