"""Peak extra memory (RSS) of fitting + one epoch vs imbalanced-learn's ``fit_resample``.

Every measurement runs in a fresh (spawned) Python process that imports torch, scikit-learn,
imbalanced-learn and imbalance-torch, sets the thread count, builds the data, and only then
takes its baseline: the peak resident memory above that baseline is what the measured step
added. On Linux the kernel's high-water mark is reset at the baseline (``/proc/self/clear_refs``),
so the peak is exact; phases of our side are measured in one process, each from the same
baseline, keeping what the fit built:

* ours, fit: ``SMOTEDataset(X, y, oversampler=...)``;
* ours, fit + synthetic epoch: then every synthetic row of one epoch through ``ds.fetch`` in
  chunks of 65,536 (dropped as it goes, as training would);
* ours, fit + DataLoader epoch: then one epoch through
  ``DataLoader(ds, sampler=BalancedSampler(ds, batch_size=1024), batch_size=None)``;
* imbalanced-learn: ``fit_resample(X, y)``, its output kept (training needs it).

Before the baseline each side runs once on a small sample (3,000 rows), so the one-time costs of the
runtimes (BLAS/OpenMP buffers, thread pools: about 14 MiB for torch's first GEMM here) are not
charged to either side: they do not grow with the data. The ratio (target: at most 10%) uses
the DataLoader epoch, the way training consumes an epoch (the README path); the chunked
synthetic epoch column shows what materialising 65,536 rows at a time adds on top. In
brackets: the epoch phase alone (its peak above the same baseline, the fitted dataset held).

    python benchmarks/memory.py
    python benchmarks/memory.py --shapes fraud --methods smote
    python benchmarks/memory.py --device cuda    # CUDA: torch.cuda.max_memory_allocated instead
"""

from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _common as C  # noqa: E402

TARGET = 0.10


def _tiny(X, y, rows: int = 3000):
    """A small sample of the same data (both classes) for warming up a runtime."""
    import numpy as np

    minority = np.flatnonzero(y == 1)[: rows // 30]
    majority = np.flatnonzero(y != 1)[: rows - len(minority)]
    keep = np.concatenate([majority, minority])
    return X[keep], y[keep]


def _warm_up_ours(method: str, shape, X, y, device: str) -> None:
    """One tiny fit and a few loader batches, so runtime buffers exist before the baseline."""
    import torch
    from torch.utils.data import DataLoader

    from imbalance_torch import SMOTE, BalancedSampler, SMOTEDataset

    Xw, yw = (torch.from_numpy(a).to(device) for a in _tiny(X, y))
    try:
        ds = SMOTEDataset(Xw, yw, oversampler=C.ours(method, shape), seed=0)
    except ValueError:  # e.g. no danger rows in the small sample: warm the same paths by hand
        ds = SMOTEDataset(Xw, yw, oversampler=SMOTE(), seed=0)
        from imbalance_torch.neighbors import kneighbors

        rows = torch.arange(min(64, len(Xw)), device=Xw.device)
        kneighbors(Xw[rows], Xw, 10, query_indices=rows)  # the class-vs-all search
    for _batch in DataLoader(ds, sampler=BalancedSampler(ds, batch_size=64, seed=0), batch_size=None):
        pass
    ds.fetch(torch.arange(ds.num_real, len(ds)))


def probe_ours(shape_name: str, quick: bool, method: str, threads: int | None, chunk: int, batch: int, device: str) -> dict:
    """In a fresh process: peak extra bytes of our fit, fit + synthetic epoch, fit + DataLoader epoch."""
    C.prepare_process(threads)
    import torch
    from torch.utils.data import DataLoader

    from imbalance_torch import BalancedSampler, SMOTEDataset

    shape = (C.QUICK_SHAPES if quick else C.SHAPES)[shape_name]
    X, y = C.make_data(shape, categorical=method == "smotenc")
    cuda = device == "cuda"
    Xt = torch.from_numpy(X).to(device)
    yt = torch.from_numpy(y).to(device)
    rss = C.PeakRSS()

    def start():
        if cuda:
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
            return torch.cuda.memory_allocated()
        return rss.reset()

    def peak():
        if cuda:
            torch.cuda.synchronize()
            return torch.cuda.max_memory_allocated()
        return rss.peak()

    _warm_up_ours(method, shape, X, y, device)
    baseline = start()
    ds = SMOTEDataset(Xt, yt, oversampler=C.ours(method, shape), seed=0)
    fit = peak() - baseline
    start()
    C.run_synthetic_epoch(ds, 1, chunk)
    synthetic_phase = peak() - baseline
    synthetic = max(fit, synthetic_phase)
    start()
    sampler = BalancedSampler(ds, batch_size=batch, seed=0)
    sampler.set_epoch(2)
    for _batch in DataLoader(ds, sampler=sampler, batch_size=None):
        pass
    loader_phase = peak() - baseline
    loader = max(fit, loader_phase)
    return {"fit": fit, "synthetic": synthetic, "loader": loader, "synthetic_phase": synthetic_phase, "loader_phase": loader_phase, "input": X.nbytes + y.nbytes,
            "exact": rss.exact or cuda, "rows": ds.num_synthetic}


def probe_theirs(shape_name: str, quick: bool, method: str, threads: int | None) -> dict:
    """In a fresh process: peak extra bytes of imbalanced-learn's fit_resample (output kept)."""
    C.prepare_process(threads)
    shape = (C.QUICK_SHAPES if quick else C.SHAPES)[shape_name]
    X, y = C.make_data(shape, categorical=method == "smotenc")
    rss = C.PeakRSS()
    Xw, yw = _tiny(X, y)
    C.theirs(method, shape, random_state=0).fit_resample(Xw, yw)  # warm-up: runtime buffers
    baseline = rss.reset()
    X_res, y_res = C.theirs(method, shape, random_state=0).fit_resample(X, y)
    return {"peak": rss.peak() - baseline, "output": X_res.nbytes + y_res.nbytes, "exact": rss.exact}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    C.common_arguments(parser)
    parser.add_argument("--methods", default=",".join(C.METHODS), help="comma-separated (default: %(default)s)")
    parser.add_argument("--skip", default="", help="method:shape pairs to leave out, e.g. borderline:wide,adasyn:wide")
    parser.add_argument("--chunk", type=int, default=65_536)
    parser.add_argument("--batch-size", type=int, default=1024)
    parser.add_argument("--no-imblearn", action="store_true")
    args = parser.parse_args()
    C.check_cuda(args)
    shapes = C.parse_shapes(args.shapes, args.quick)
    methods = C.parse_methods(args.methods)
    skip = {tuple(p.split(":")) for p in args.skip.split(",") if p}
    # imbalanced-learn's CPU RSS is no yardstick for our CUDA allocations: skipped on cuda
    run_imblearn = not args.no_imblearn and args.device == "cpu" and C.has_imblearn()

    report = C.Report("Peak extra memory: fit + one epoch vs imbalanced-learn fit_resample", args)
    report.add(
        "Peak resident memory above a baseline taken after imports and data creation, one fresh process per "
        "side and case (" + ("CUDA: `torch.cuda.max_memory_allocated` above the allocated baseline" if args.device == "cuda"
                             else "Linux VmHWM reset through /proc/self/clear_refs") + "). "
        f"Our epochs: synthetic rows via `ds.fetch` in chunks of {args.chunk:,}; DataLoader with "
        f"`BalancedSampler(batch_size={args.batch_size})`, `batch_size=None`, num_workers 0."
    )
    report.add("")
    rows = []
    verdicts = []
    for shape in shapes:
        for method in methods:
            if (method, shape.name) in skip:
                rows.append([shape.label(), C.METHOD_TITLES[method], "skipped (--skip)", "", "", "", "", "", ""])
                continue
            ours = C.in_fresh_process("memory:probe_ours", shape_name=shape.name, quick=args.quick, method=method,
                                      threads=args.threads, chunk=args.chunk, batch=args.batch_size, device=args.device)
            theirs = None if not run_imblearn else C.in_fresh_process(
                "memory:probe_theirs", shape_name=shape.name, quick=args.quick, method=method, threads=args.threads)
            worst = ours["loader"]  # fit + one DataLoader epoch: the target's measure (see the docstring)
            ratio = None if theirs is None or theirs["peak"] <= 0 else worst / theirs["peak"]
            rows.append([
                shape.label(), C.METHOD_TITLES[method], C.fmt_mib(ours["input"]),
                C.fmt_mib(ours["fit"]),
                f"{C.fmt_mib(ours['synthetic'])} ({C.fmt_mib(ours['synthetic_phase'])})",
                f"{C.fmt_mib(ours['loader'])} ({C.fmt_mib(ours['loader_phase'])})",
                "-" if theirs is None else f"{C.fmt_mib(theirs['peak'])} (output {C.fmt_mib(theirs['output'])})",
                "-" if ratio is None else f"{ratio:.1%}",
                "" if ours["exact"] else "ru_maxrss (approximate)",
            ])
            print(f"  [{shape.name} {method}] done", file=sys.stderr, flush=True)
            if ratio is not None:
                verdicts.append((
                    f"{C.METHOD_TITLES[method]} {shape.name}: fit + one DataLoader epoch peaks at {C.fmt_mib(worst)} extra, "
                    f"{ratio:.1%} of fit_resample's {C.fmt_mib(theirs['peak'])} (target at most {TARGET:.0%})",
                    ratio <= TARGET,
                ))
    report.table(["shape", "method", "input X + y", "ours: fit", "ours: fit + synthetic epoch (epoch phase)",
                  "ours: fit + DataLoader epoch (epoch phase)",
                  "imblearn fit_resample", "ours (DataLoader) / imblearn", "note"], rows)
    for text, met in verdicts:
        report.verdict(text, met)
    report.finish()


if __name__ == "__main__":
    main()
