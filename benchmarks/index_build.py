"""Neighbour index build: imbalance-torch's exact chunked k-NN vs scikit-learn's
``NearestNeighbors`` (what imbalanced-learn uses), side by side in one process.

* within-class: the minority rows' 5 nearest minority rows (SMOTE, SMOTE-NC; ours
  ``kneighbors(Xm, Xm, 5, query_indices=arange(m))``, scikit-learn
  ``NearestNeighbors(n_neighbors=6).fit(Xm).kneighbors(Xm)`` as imbalanced-learn does);
* class-vs-all: the minority rows' 10 nearest rows of any class (Borderline-SMOTE's danger
  set, ADASYN's ratios with 5; ours ``kneighbors(X[rows], X, 10, query_indices=rows)``,
  scikit-learn ``NearestNeighbors(n_neighbors=11).fit(X).kneighbors(X[rows])``).

Also: how often both return the same neighbour set (a sanity check), and the peak extra
memory (RSS) of one build in a fresh process (``--no-memory`` to skip).
``--class-vs-all-queries N`` times only the first N minority rows as queries for class-vs-all
(both sides) and scales the time by m / N (linear in the queries): the 100,000 x 1,000,000
case takes over ten minutes per run on two cores.

``--device cuda`` times our side on the GPU (scikit-learn skipped unless ``--with-sklearn``)
and adds the within-class build for a 1,000,000 x 64 class.

    python benchmarks/index_build.py
    python benchmarks/index_build.py --class-vs-all-queries 5000
    python benchmarks/index_build.py --device cuda
"""

from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _common as C  # noqa: E402

KINDS = ("within-class", "class-vs-all")
K = {"within-class": 5, "class-vs-all": 10}


def case_arrays(X, y, kind: str, max_queries: int | None):
    """``(queries, data, query_positions_in_data, scale)`` as numpy arrays."""
    import numpy as np

    rows = np.flatnonzero(y == 1)
    scale = 1.0
    if kind == "within-class":
        data = np.ascontiguousarray(X[rows])
        positions = np.arange(len(rows))
        queries = data
    else:
        data = X
        positions = rows
        if max_queries and max_queries < len(rows):
            scale = len(rows) / max_queries
            positions = rows[:max_queries]
        queries = np.ascontiguousarray(X[positions])
    return queries, data, positions, scale


def build_ours(queries, data, positions, k, device):
    from imbalance_torch.neighbors import kneighbors

    return kneighbors(queries, data, k, query_indices=positions)[1]


def build_sklearn(queries, data, k):
    from sklearn.neighbors import NearestNeighbors

    return NearestNeighbors(n_neighbors=k + 1).fit(data).kneighbors(queries, return_distance=False)[:, 1:]


def probe(shape_name: str, quick: bool, kind: str, side: str, threads: int | None, max_queries: int | None, device: str) -> dict:
    """In a fresh process: peak extra memory of one build."""
    C.prepare_process(threads)
    import torch

    shape = (C.QUICK_SHAPES if quick else C.SHAPES)[shape_name] if shape_name != "million" else million_shape(quick)
    X, y = C.make_data(shape) if shape_name != "million" else million_data(shape)
    queries, data, positions, _ = case_arrays(X, y, kind, max_queries)
    if side == "ours":
        tq = torch.from_numpy(queries).to(device)
        td = torch.from_numpy(data).to(device) if data is not queries else tq
        tp = torch.from_numpy(positions).to(device)
    rss = C.PeakRSS()
    if device == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        baseline = torch.cuda.memory_allocated()
        build_ours(tq, td, tp, K[kind], device)
        torch.cuda.synchronize()
        return {"peak": torch.cuda.max_memory_allocated() - baseline, "exact": True}
    baseline = rss.reset()
    if side == "ours":
        build_ours(tq, td, tp, K[kind], device)
    else:
        build_sklearn(queries, data, K[kind])
    return {"peak": rss.peak() - baseline, "exact": rss.exact}


def million_shape(quick: bool) -> C.Shape:
    rows = 100_000 if quick else 1_000_000
    return C.Shape("million", rows, 64, rows, 1.0, 0.0)


def million_data(shape: C.Shape):
    import numpy as np

    rng = np.random.default_rng(0)
    return rng.standard_normal((shape.rows, shape.features), dtype=np.float32), np.ones(shape.rows, dtype=np.int64)


def agreement(a, b) -> float:
    import numpy as np

    a = np.sort(np.asarray(a), axis=1)
    b = np.sort(np.asarray(b), axis=1)
    return float((a == b).all(axis=1).mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    C.common_arguments(parser)
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument("--class-vs-all-queries", type=int, default=None,
                        help="time only this many minority queries for class-vs-all and scale up (default: all)")
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-memory subprocesses")
    parser.add_argument("--with-sklearn", action="store_true", help="with --device cuda: also run scikit-learn (CPU)")
    parser.add_argument("--no-million", action="store_true", help="with --device cuda: skip the 1,000,000 x 64 within-class case")
    args = parser.parse_args()
    C.check_cuda(args)
    C.set_threads(args.threads)
    shapes = C.parse_shapes(args.shapes, args.quick)
    kinds = [k for k in args.kinds.split(",") if k]
    run_sklearn = args.device == "cpu" or args.with_sklearn

    report = C.Report("Neighbour index build: imbalance-torch kneighbors vs scikit-learn NearestNeighbors", args)
    report.add(
        f"Our exact chunked k-NN on {args.device} vs scikit-learn `NearestNeighbors` (algorithm='auto', brute force "
        "at these dimensions) on the CPU, float32 data, the same queries. Medians of n timed runs after one warm-up. "
        "'same neighbours': rows whose neighbour sets are equal (ties may differ). Peak memory: one build in a fresh "
        "process, above the baseline after data creation."
    )
    report.add("")
    cases = [(shape.name, shape) for shape in shapes]
    if args.device == "cuda" and not args.no_million:
        cases.append(("million", million_shape(args.quick)))
    rows = []
    verdicts = []
    for name, shape in cases:
        X, y = million_data(shape) if name == "million" else C.make_data(shape)
        for kind in kinds if name != "million" else ["within-class"]:
            row, verdict = one_case(args, name, shape, X, y, kind, run_sklearn)
            rows.append(row)
            if verdict:
                verdicts.append(verdict)
            print(f"  [{name} {kind}] done", file=sys.stderr, flush=True)
    report.table(["shape", "kind", "queries x data rows, k", "ours", "scikit-learn", "ours vs scikit-learn",
                  "same neighbours", "peak extra memory: ours / scikit-learn"], rows)
    for text, met in verdicts:
        report.verdict(text, met)
    report.finish()


def spread(timing, scale: float) -> str:
    return f", min {C.fmt_seconds(timing.best * scale)}" if timing.runs > 1 else ""


def one_case(args, name, shape, X, y, kind, run_sklearn):
    import torch

    device = torch.device(args.device)
    sync = C.cuda_sync if device.type == "cuda" else None
    max_queries = args.class_vs_all_queries if kind == "class-vs-all" else None
    queries, data, positions, scale = case_arrays(X, y, kind, max_queries)
    k = K[kind]
    tq = torch.from_numpy(queries).to(device)
    td = tq if data is queries else torch.from_numpy(data).to(device)
    tp = torch.from_numpy(positions).to(device)
    holder = {}

    def ours(run):
        holder["ours"] = build_ours(tq, td, tp, k, device)

    ours_t = C.measure(ours, repeats=args.repeats, slow_repeats=args.slow_repeats, huge_after=args.huge_after, sync=sync)
    sk_t = None
    same = "-"
    if run_sklearn:
        def theirs(run):
            holder["sk"] = build_sklearn(queries, data, k)

        sk_t = C.measure(theirs, repeats=args.repeats, slow_repeats=args.imblearn_repeats, huge_after=args.huge_after)
        same = f"{agreement(holder['ours'].cpu().numpy(), holder['sk']):.2%}"
    memory = "-"
    if not args.no_memory:
        common = dict(shape_name=name, quick=args.quick, kind=kind, threads=args.threads, max_queries=max_queries, device=args.device)
        mine = C.in_fresh_process("index_build:probe", side="ours", **common)
        memory = C.fmt_mib(mine["peak"])
        if run_sklearn:
            theirs_mem = C.in_fresh_process("index_build:probe", side="sklearn", **common)
            memory += f" / {C.fmt_mib(theirs_mem['peak'])}"
    note = "" if scale == 1.0 else f" (first {len(queries):,} queries timed, x{scale:.0f})"
    ours_s = ours_t.median * scale
    sk_s = None if sk_t is None else sk_t.median * scale
    label = shape.label() if name != "million" else f"one class of {shape.rows:,} x {shape.features}"
    row = [
        label, kind, f"{int(round(len(queries) * scale)):,} x {len(data):,}, k={k}",
        f"{C.fmt_seconds(ours_s)} (n={ours_t.runs}{spread(ours_t, scale)}{ours_t.note}){note}",
        "-" if sk_t is None else f"{C.fmt_seconds(sk_s)} (n={sk_t.runs}{spread(sk_t, scale)}{sk_t.note}){note}",
        "-" if sk_s is None else (f"{C.fmt_ratio(sk_s / ours_s)} faster" if sk_s >= ours_s else f"{C.fmt_ratio(ours_s / sk_s)} slower"),
        same, memory,
    ]
    verdict = None
    if sk_s is not None and name != "million":
        verdict = (f"index build {name} {kind}: ours {C.fmt_seconds(ours_s)} vs scikit-learn {C.fmt_seconds(sk_s)} "
                   f"(target: no slower)", ours_s <= sk_s)
    return row, verdict


if __name__ == "__main__":
    main()
