"""Neighbour search backends (``SMOTE(neighbors=...)``): recall@k of the approximate searches
against the exact one, and the time of SMOTE's within-class table on one large class.

One class of ``--rows`` rows x ``--features`` float32 columns (a mixture of ``--clusters``
Gaussian blobs: centres N(0, 3^2 I), rows N(centre, I)); SMOTE's fit searches each row's ``k``
nearest rows of the class (itself excluded), i.e. ``rows`` queries over ``rows`` rows.

* FAISS HNSW and IVF: the whole fit, ``SMOTE(neighbors=FaissNeighbors(...)).fit``, timed
  end to end (index build + every query + the exclusion of each row's own index);
* exact (ours, the default) and scikit-learn's ball tree (exact, another algorithm): the full
  table takes hours at 10^6 rows on two cores, so each answers ``--sample`` random queries
  and its time is scaled by ``rows / sample`` (linear in the queries; the ball tree's build
  is added once), marked "(scaled)";
* times: wall clock, and the process's CPU time, which a busy machine inflates less (every
  side runs on one thread, so CPU time is the work done); the ratio uses CPU time;
* recall@k: the share of the exact ``k`` neighbours of the ``--sample`` rows that a backend
  returns (1.0 for exact searches, ties aside).

    python benchmarks/neighbors_backends.py --threads 1 --output benchmarks/results/neighbors_backends.md
    python benchmarks/neighbors_backends.py --rows 100000 --threads 1   # a quicker run
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _common as C  # noqa: E402


def make_class(rows: int, features: int, clusters: int, seed: int):
    import torch

    g = torch.Generator().manual_seed(seed)
    centres = torch.randn(clusters, features, generator=g) * 3.0
    which = torch.randint(0, clusters, (rows,), generator=g)
    return centres[which] + torch.randn(rows, features, generator=g)


def recall(found, exact) -> float:
    return float((found.unsqueeze(2) == exact.unsqueeze(1)).any(2).double().mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--features", type=int, default=30)
    parser.add_argument("--clusters", type=int, default=50)
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--sample", type=int, default=2000, help="queries for recall and the scaled exact times")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--nprobe", type=int, default=16, help="IVF cells visited per query")
    parser.add_argument("--backends", default="exact,hnsw,ivf,ball_tree")
    parser.add_argument("--output", default=None)
    args = parser.parse_args()
    C.set_threads(args.threads)

    import torch
    from sklearn.neighbors import NearestNeighbors

    from imbalance_torch.neighbors import FaissNeighbors, kneighbors
    from imbalance_torch.oversample import SMOTE

    report = C.Report("Neighbour search backends: recall@k and time of SMOTE's within-class table", args)
    report.add(
        f"One class of {args.rows:,} x {args.features} float32 rows ({args.clusters} Gaussian blobs), "
        f"k={args.k}; recall@{args.k} against the exact search on {args.sample:,} random rows. "
        f"FAISS {C.module_version('faiss')}."
    )
    report.add("")
    X = make_class(args.rows, args.features, args.clusters, seed=0)
    y = torch.ones(args.rows, dtype=torch.int64)
    sample = torch.randperm(args.rows, generator=torch.Generator().manual_seed(1))[: args.sample].sort().values

    start, cpu = time.perf_counter(), time.process_time()
    _, exact = kneighbors(X[sample], X, args.k, query_indices=sample)
    scale = args.rows / args.sample
    exact_time = ((time.perf_counter() - start) * scale, (time.process_time() - cpu) * scale)
    results = []

    def done(label: str, scaled: bool, rec: float, seconds: tuple[float, float]) -> None:
        mark = " (scaled)" if scaled else ""
        row = (label, C.fmt_seconds(seconds[0]) + mark, C.fmt_seconds(seconds[1]) + mark, f"{rec:.3f}",
               C.fmt_ratio(exact_time[1] / seconds[1]))
        results.append(row)
        print("  " + " | ".join(row), flush=True)

    if "exact" in args.backends:
        done("exact (ours, default)", True, 1.0, exact_time)

    fits = {
        "hnsw": ("FAISS HNSW (M=32, efConstruction=80, efSearch=64)", FaissNeighbors(method="hnsw", threads=args.threads)),
        "ivf": (f"FAISS IVF (nlist=4 sqrt(n), nprobe={args.nprobe})", FaissNeighbors(method="ivf", nprobe=args.nprobe, threads=args.threads)),
    }
    for name, (label, backend) in fits.items():
        if name not in args.backends:
            continue
        start, cpu = time.perf_counter(), time.process_time()
        fitted = SMOTE(k_neighbors=args.k, neighbors=backend).fit(X, y, {1: 1})
        seconds = (time.perf_counter() - start, time.process_time() - cpu)
        assert not bool((fitted.neighbors_ == fitted.base_rows_.unsqueeze(1)).any())
        found = fitted.neighbors_[sample]  # base_rows_ is every row, in order
        done(label, False, recall(found, exact), seconds)
        del fitted

    if "ball_tree" in args.backends:
        start, cpu = time.perf_counter(), time.process_time()
        tree = NearestNeighbors(algorithm="ball_tree").fit(X.numpy())
        build = (time.perf_counter() - start, time.process_time() - cpu)
        start, cpu = time.perf_counter(), time.process_time()
        got = tree.kneighbors(X[sample].numpy(), n_neighbors=args.k + 1, return_distance=False)
        query = ((time.perf_counter() - start) * scale, (time.process_time() - cpu) * scale)
        got = torch.as_tensor(got)
        own_last = torch.argsort((got == sample.unsqueeze(1)).to(torch.int8), dim=1, stable=True)
        found = got.gather(1, own_last)[:, : args.k]  # each row's own index removed
        done("scikit-learn ball tree (exact)", True, recall(found, exact), (build[0] + query[0], build[1] + query[1]))

    report.table(
        ["backend", f"SMOTE table, {args.rows:,} queries (wall)", "CPU time", f"recall@{args.k}", "faster than exact (CPU)"],
        results,
    )
    report.finish()


if __name__ == "__main__":
    main()
