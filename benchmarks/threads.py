"""Generation threads under load (issue 13 item 4): one fraud-shape epoch of SMOTE rows at 1:1,
fetched the way a DataLoader does (BalancedSampler batches), with

* ``num_threads=1`` (the SMOTEDataset default, NOTE [generation threads]),
* ``num_threads=None`` with torch's default intra-op threads (the old behaviour),

side by side in one process, on an idle machine and with the issue's load started here: one
other torch job with default threads and one busy Python process. Ratios, not absolute times,
are the result: the machine is shared.

    python benchmarks/threads.py                      # batches of 1,024 and 65,536, idle + loaded
    python benchmarks/threads.py --no-load --repeats 3

Writes ``benchmarks/results/threads.md``.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from imbalance_torch import BalancedSampler, SMOTEDataset  # noqa: E402

ROWS, FEATURES, MINORITY = 283_823, 30, 473  # the card-fraud training shape


def _busy_python(stop: mp.Event) -> None:  # pragma: no cover - load generator
    x = 0
    while not stop.is_set():
        x = (x * 31 + 7) % 1_000_003


def _busy_torch(stop: mp.Event) -> None:  # pragma: no cover - load generator
    a = torch.randn(512, 512)
    while not stop.is_set():
        a = torch.tanh(a @ a.T / 512)


def _epoch_seconds(dataset: SMOTEDataset, batches: list[torch.Tensor], repeats: int) -> float:
    for batch in batches[:3]:
        dataset.fetch(batch)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for batch in batches:
            dataset.fetch(batch)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[1024, 65536])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--no-load", action="store_true", help="skip the loaded measurement")
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "threads.md"))
    args = parser.parse_args()

    g = torch.Generator().manual_seed(0)
    X = torch.randn(ROWS, FEATURES, generator=g)
    y = torch.zeros(ROWS, dtype=torch.long)
    y[torch.randperm(ROWS, generator=g)[:MINORITY]] = 1
    X[y == 1] += 0.5
    default_threads = torch.get_num_threads()
    one = SMOTEDataset(X, y, seed=0)  # num_threads=1, the default
    torch_default = SMOTEDataset(X, y, seed=0, num_threads=None)
    lines = [
        "# Generation threads under load",
        "",
        f"`python benchmarks/threads.py {' '.join(sys.argv[1:])}`; one fraud-shape epoch "
        f"({ROWS:,} x {FEATURES}, 1:1, {2 * (ROWS - MINORITY):,} rows served), median of "
        f"{args.repeats}; torch default threads here: {default_threads}; "
        f"load average before: {os.getloadavg()[0]:.1f}.",
        "",
        "| load | batch | num_threads=1 (default) | torch default threads | default / one thread |",
        "|---|---|---|---|---|",
    ]
    settings = [("idle", None)] if args.no_load else [("idle", None), ("loaded", "load")]
    for name, load in settings:
        stop = mp.Event()
        workers = []
        if load:
            workers = [mp.Process(target=f, args=(stop,), daemon=True) for f in (_busy_python, _busy_torch)]
            for w in workers:
                w.start()
            time.sleep(2)
        try:
            for batch_size in args.batch_sizes:
                batches = list(BalancedSampler(one, batch_size=batch_size, seed=0))
                a = _epoch_seconds(one, batches, args.repeats)
                b = _epoch_seconds(torch_default, batches, args.repeats)
                row = f"| {name} | {batch_size:,} | {a * 1000:.0f} ms | {b * 1000:.0f} ms | {b / a:.2f}x |"
                print(row, flush=True)
                lines.append(row)
        finally:
            stop.set()
            for w in workers:
                w.join(timeout=5)
    Path(args.out).write_text("\n".join(lines) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
