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

    start = time.perf_counter()
    _, exact = kneighbors(X[sample], X, args.k, query_indices=sample)
    exact_time = (time.perf_counter() - start) * args.rows / args.sample
    results = []
    if "exact" in args.backends:
        results.append(("exact (ours, default)", f"{C.fmt_seconds(exact_time)} (scaled)", "1.000", exact_time))

    fits = {
        "hnsw": ("FAISS HNSW (M=32, efConstruction=80, efSearch=64)", FaissNeighbors(method="hnsw", threads=args.threads)),
        "ivf": ("FAISS IVF (nlist=4 sqrt(n), nprobe=16)", FaissNeighbors(method="ivf", nprobe=16, threads=args.threads)),
    }
    for name, (label, backend) in fits.items():
        if name not in args.backends:
            continue
        start = time.perf_counter()
        fitted = SMOTE(k_neighbors=args.k, neighbors=backend).fit(X, y, {1: 1})
        seconds = time.perf_counter() - start
        assert not bool((fitted.neighbors_ == fitted.base_rows_.unsqueeze(1)).any())
        found = fitted.neighbors_[sample]  # base_rows_ is every row, in order
        results.append((label, C.fmt_seconds(seconds), f"{recall(found, exact):.3f}", seconds))
        del fitted

    if "ball_tree" in args.backends:
        start = time.perf_counter()
        tree = NearestNeighbors(algorithm="ball_tree").fit(X.numpy())
        build = time.perf_counter() - start
        start = time.perf_counter()
        got = tree.kneighbors(X[sample].numpy(), n_neighbors=args.k + 1, return_distance=False)
        query = (time.perf_counter() - start) * args.rows / args.sample
        got = torch.as_tensor(got)
        keep = got != sample.unsqueeze(1)
        found = torch.stack([row[mask][: args.k] for row, mask in zip(got, keep)])
        seconds = build + query
        results.append(("scikit-learn ball tree (exact)", f"{C.fmt_seconds(seconds)} (scaled)", f"{recall(found, exact):.3f}", seconds))

    rows = [(label, time_text, rec, C.fmt_ratio(exact_time / seconds)) for label, time_text, rec, seconds in results]
    report.table(["backend", f"SMOTE table, {args.rows:,} queries", f"recall@{args.k}", "vs exact"], rows)
    report.finish()


if __name__ == "__main__":
    main()
