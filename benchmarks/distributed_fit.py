"""The neighbour index built across ranks (NOTE [distributed fit]): Borderline-SMOTE's fit in
2 gloo processes x 1 thread against 1 process x 1 thread, on the same data.

The class-vs-all search (each minority row's ``m_neighbors`` nearest rows of any class, the
danger set) dominates the fit; under a process group each rank answers half of the queries and
the halves are merged with ``all_gather``. Each measurement runs in fresh processes (spawned),
alternating the one-process and the two-process runs ``--repeats`` times, so both see the same
machine load; the two-process time is the slower rank's, from the first barrier to the last,
and each run also records the CPU time of its busiest rank (the work it did, which other jobs
on a busy machine inflate less).
Every run checks that its index equals the one-process index (digest of the fitted arrays).

    python benchmarks/distributed_fit.py --output benchmarks/results/distributed_fit.md
    python benchmarks/distributed_fit.py --rows 50000 --minority 2000 --repeats 1   # smoke run
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _common as C  # noqa: E402


def _data(args):
    import torch

    shape = C.Shape("distributed", args.rows, args.features, args.minority, 0.7, 3.5)
    X, y = C.make_data(shape, seed=0)
    return torch.from_numpy(X), torch.from_numpy(y).long()


def _method(args):
    from imbalance_torch.oversample import ADASYN, BorderlineSMOTE

    return ADASYN() if args.method == "adasyn" else BorderlineSMOTE(kind=args.method)


def _run(rank: int, world: int, folder: str, args) -> None:
    import time

    import torch
    import torch.distributed as dist

    from imbalance_torch.neighbors._distributed import index_digest

    torch.set_num_threads(1)
    if world > 1:
        dist.init_process_group("gloo", init_method=f"file://{folder}/rendezvous", rank=rank, world_size=world)
    X, y = _data(args)
    from imbalance_torch.oversample import SMOTE

    SMOTE().fit(X[:3000], y[:3000], {1: 10})  # warm-up: thread pool, BLAS, first-call buffers
    if world > 1:
        dist.barrier()
    start, cpu = time.perf_counter(), time.process_time()
    fitted = _method(args).fit(X, y, {1: int((y == 0).sum() - (y == 1).sum())})
    cpu = time.process_time() - cpu
    if world > 1:
        dist.barrier()
    seconds = time.perf_counter() - start
    if world > 1:
        slowest = torch.tensor([seconds, cpu], dtype=torch.float64)
        dist.all_reduce(slowest, op=dist.ReduceOp.MAX)
        seconds, cpu = slowest.tolist()
        dist.destroy_process_group()
    if rank == 0:
        digest = index_digest(fitted._state_arrays())
        with open(os.path.join(folder, "result.txt"), "w") as f:
            f.write(f"{seconds} {cpu} {digest} {len(fitted.base_rows_)}\n")


def measure(world: int, args) -> tuple[float, float, int, int]:
    import torch.multiprocessing as mp

    with tempfile.TemporaryDirectory() as folder:
        mp.spawn(_run, args=(world, folder, args), nprocs=world, join=True)
        with open(os.path.join(folder, "result.txt")) as f:
            seconds, cpu, digest, pool = f.read().split()
    return float(seconds), float(cpu), int(digest), int(pool)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--features", type=int, default=30)
    parser.add_argument("--minority", type=int, default=10_000)
    parser.add_argument("--method", choices=("borderline-1", "borderline-2", "adasyn"), default="borderline-1")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--output", default=None)
    args = parser.parse_args()
    args.threads = 1
    report = C.Report("Distributed fit: the neighbour searches split across 2 gloo ranks", args)
    report.add(
        f"{args.method} on {args.rows:,} x {args.features} float32 rows, {args.minority:,} of class 1 "
        f"(class-vs-all search: {args.minority:,} queries x {args.rows:,} rows, m_neighbors=10); "
        f"every process uses 1 thread; {args.repeats} alternating runs of each, fresh processes."
    )
    report.add("")
    times: dict[int, list[float]] = {1: [], 2: []}
    cpus: dict[int, list[float]] = {1: [], 2: []}
    digests = set()
    pool = 0
    for _ in range(args.repeats):
        for world in (1, 2):
            seconds, cpu, digest, pool = measure(world, args)
            times[world].append(seconds)
            cpus[world].append(cpu)
            digests.add(digest)
            print(f"  world {world}: {seconds:.2f} s wall, {cpu:.2f} s CPU (busiest rank)", flush=True)
    one, two = statistics.median(times[1]), statistics.median(times[2])
    cpu_one, cpu_two = statistics.median(cpus[1]), statistics.median(cpus[2])
    report.table(
        ["processes x threads", "fit, wall (median)", "wall runs", "speed-up (wall)",
         "CPU time of the busiest rank (median)", "work per rank vs 1 process"],
        [
            ("1 x 1", C.fmt_seconds(one), ", ".join(f"{t:.2f}" for t in times[1]), "1.00x",
             C.fmt_seconds(cpu_one), "1.00"),
            ("2 x 1 (gloo)", C.fmt_seconds(two), ", ".join(f"{t:.2f}" for t in times[2]), C.fmt_ratio(one / two),
             C.fmt_seconds(cpu_two), f"{cpu_two / cpu_one:.2f}"),
        ],
    )
    report.add(
        "- wall time is what a user waits; on a machine whose cores are taken by other jobs the "
        "second process finds no free core, and the CPU time of the busiest rank (the work it did) "
        "is the speed-up one gets with a core per rank."
    )
    report.add(f"- pool entries: {pool:,}; the same index in every run: {len(digests) == 1}")
    report.finish()
    if len(digests) != 1:
        raise SystemExit("the distributed index differs from the one-process index")


if __name__ == "__main__":
    main()
