"""A full DataLoader epoch over ``SMOTEDataset`` at 1:1 vs the alternatives.

Side by side in one process, for batch sizes 1024 and 4096 and num_workers 0 and 2:

* **SMOTEDataset (README path)**: ``BalancedSampler(ds, batch_size=B)`` and
  ``DataLoader(ds, sampler=sampler, batch_size=None)``; a fresh epoch (``set_epoch``) each run;
* **TensorDataset (plain)**: ``DataLoader(TensorDataset(X_res, y_res), batch_size=B,
  shuffle=True)`` over imbalanced-learn's materialised ``SMOTE().fit_resample`` output of the
  same size (per-row ``__getitem__`` + ``default_collate``: what most training loops do);
* **TensorDataset (batched)**: the same tensors with a sampler that yields whole index batches
  (``BatchSampler(RandomSampler(...))``, ``batch_size=None``): the fast path on materialised data;
* **direct slicing** (the floor): ``X_res[perm[i:i+B]]`` for a random permutation, no DataLoader.

Workers are persistent (started by the warm-up epoch, so timed epochs exclude start-up).
The consumer does nothing with the batches.

    python benchmarks/loader.py                 # fraud shape
    python benchmarks/loader.py --quick
    python benchmarks/loader.py --device cuda   # data on the GPU, num_workers 0 only
"""

from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _common as C  # noqa: E402

TARGET_VS_PLAIN = 10.0
TARGET_VS_FLOOR = 3.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    C.common_arguments(parser, default_shapes="fraud")
    parser.add_argument("--batch-sizes", default="1024,4096")
    parser.add_argument("--compile", action="store_true", help="SMOTEDataset(..., compile=True)")
    parser.add_argument("--workers", default="0,2", help="num_workers values (default: %(default)s; cuda: 0)")
    args = parser.parse_args()
    C.check_cuda(args)
    C.set_threads(args.threads)
    shapes = C.parse_shapes(args.shapes, args.quick)
    batch_sizes = [int(b) for b in args.batch_sizes.split(",")]
    workers = [0] if args.device == "cuda" else [int(w) for w in args.workers.split(",")]

    report = C.Report("DataLoader epoch: SMOTEDataset vs materialised imbalanced-learn output", args)
    report.add(
        "One epoch at 1:1 (every real row once plus the synthetic rows), iterated and dropped. "
        f"Medians of n timed epochs after one warm-up epoch, on {args.device}. Workers persistent."
    )
    report.add("")
    for shape in shapes:
        run_shape(report, args, shape, batch_sizes, workers)
    report.finish()


def run_shape(report, args, shape, batch_sizes, workers) -> None:
    import torch
    from torch.utils.data import BatchSampler, DataLoader, RandomSampler, TensorDataset

    from imbalance_torch import SMOTE, BalancedSampler, SMOTEDataset

    device = torch.device(args.device)
    sync = C.cuda_sync if device.type == "cuda" else None
    X, y = C.make_data(shape)
    ds = SMOTEDataset(torch.from_numpy(X).to(device), torch.from_numpy(y).to(device), oversampler=SMOTE(), seed=0, **C.dataset_options(args))
    if C.has_imblearn():
        from imblearn.over_sampling import SMOTE as ImbSMOTE

        X_res, y_res = ImbSMOTE(random_state=0).fit_resample(X, y)
        Xr = torch.from_numpy(X_res).to(device)
        yr = torch.from_numpy(y_res).to(device)
        source = "imbalanced-learn's `SMOTE(random_state=0).fit_resample` output"
    else:  # same size and dtype, materialised by our own fetch
        Xr, yr = ds.fetch(torch.arange(len(ds)))
        source = "one epoch materialised with `ds.fetch(torch.arange(len(ds)))` (imbalanced-learn not installed)"
    epoch_rows = len(ds)
    assert epoch_rows == len(Xr), (epoch_rows, len(Xr))
    report.add(f"## {shape.label()}: {epoch_rows:,} rows per epoch\n")
    report.add(f"Materialised data for the TensorDataset rows and the floor: {source}.\n")

    def time_loader(loader, set_epoch=None):
        def epoch(run):
            if set_epoch is not None:
                set_epoch(run)
            for _batch in loader:
                pass

        return C.measure(epoch, repeats=args.repeats, slow_repeats=args.slow_repeats, huge_after=args.huge_after, sync=sync)

    results = {}
    rows = []
    for batch in batch_sizes:
        def sliced(run, batch=batch):
            perm = torch.randperm(len(Xr), device=device)
            for start in range(0, len(perm), batch):
                index = perm[start:start + batch]
                Xr[index], yr[index]

        floor = C.measure(sliced, repeats=args.repeats, slow_repeats=args.slow_repeats, huge_after=args.huge_after, sync=sync)
        results[("floor", batch, None)] = floor
        rows.append(["direct slicing (floor)", batch, "-", str(floor), f"{epoch_rows / floor.median / 1e6:.2f} M", "", "1.00x"])
        for w in workers:
            kw = dict(num_workers=w, persistent_workers=w > 0)
            sampler = BalancedSampler(ds, batch_size=batch, seed=0)
            ours = time_loader(DataLoader(ds, sampler=sampler, batch_size=None, **kw), sampler.set_epoch)
            tensor_ds = TensorDataset(Xr, yr)
            plain = time_loader(DataLoader(tensor_ds, batch_size=batch, shuffle=True, **kw))
            batched = time_loader(DataLoader(tensor_ds, sampler=BatchSampler(RandomSampler(tensor_ds), batch, False), batch_size=None, **kw))
            results[("ours", batch, w)] = ours
            results[("plain", batch, w)] = plain
            for name, t in (("SMOTEDataset + BalancedSampler (README path)", ours),
                            ("TensorDataset, plain DataLoader(batch_size=B, shuffle=True)", plain),
                            ("TensorDataset, batched sampler + batch_size=None", batched)):
                rows.append([name, batch, w, str(t), f"{epoch_rows / t.median / 1e6:.2f} M",
                             C.fmt_ratio(plain.median / t.median), C.fmt_ratio(t.median / floor.median)])
            print(f"  [{shape.name} batch {batch} workers {w}] done", file=sys.stderr, flush=True)
    report.table(["loader", "batch", "num_workers", "epoch time", "rows/s", "speed-up vs plain TensorDataset (same B, workers)",
                  "time vs direct slicing (same B)"], rows)
    if 1024 in batch_sizes and 0 in workers:
        ours, plain, floor = results[("ours", 1024, 0)], results[("plain", 1024, 0)], results[("floor", 1024, None)]
        report.verdict(
            f"SMOTEDataset DataLoader epoch {shape.name} (batch 1024, num_workers 0): "
            f"{C.fmt_ratio(plain.median / ours.median)} faster than the plain TensorDataset DataLoader (target {TARGET_VS_PLAIN:.0f}x)",
            plain.median / ours.median >= TARGET_VS_PLAIN,
        )
        report.verdict(
            f"SMOTEDataset DataLoader epoch {shape.name} (batch 1024, num_workers 0): "
            f"{C.fmt_ratio(ours.median / floor.median)} the time of direct slicing (target within {TARGET_VS_FLOOR:.0f}x)",
            ours.median / floor.median <= TARGET_VS_FLOOR,
        )


if __name__ == "__main__":
    main()
