"""The ranking losses' and LDAM's cost per training step next to cross-entropy's.

For each batch size, one step is forward + backward of the loss on a batch of logits (the
model is left out: this is the loss's own cost) and, for the stateful losses, the update of
their per-row state of ``--rows`` rows (ids drawn uniformly, repeats included). Binary losses
(``AveragePrecisionLoss``, ``PartialAUCLoss`` top-k and DRO, ``AUCMarginLoss``) run against
``F.binary_cross_entropy_with_logits``; ``LDAMLoss`` (``--classes`` classes) against
``F.cross_entropy``; all in one process, so the ratios are comparable on a shared machine.

The pairwise losses cost O(P N) per batch (P positives, N rows): the share of positives in
the batch (``--positive-share``, default 1 %, what a stratified batch of fraud-like data
holds) sets it. At 50 % positives a 65,536-row batch would hold 2.1e9 pairs (8.6 GB per
float32 matrix), which no CPU step affords.

    python benchmarks/losses_step.py --threads 1           # batch sizes 1,024 and 65,536
    python benchmarks/losses_step.py --threads 1 --quick   # smoke run
"""

from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from _common import Report, fmt_ratio, fmt_seconds, measure, set_threads  # noqa: E402

from imbalance_torch.losses import (  # noqa: E402
    AUCMarginLoss,
    AveragePrecisionLoss,
    LDAMLoss,
    PartialAUCLoss,
)


def _binary_batch(size: int, share: float, rows: int, seed: int):
    generator = torch.Generator().manual_seed(seed)
    positives = max(1, round(share * size))
    target = torch.zeros(size, dtype=torch.int64)
    target[:positives] = 1
    logits = torch.randn(size, generator=generator)
    index = torch.randint(0, rows, (size,), generator=generator)
    return logits, target, index


def _step(loss_fn, logits: torch.Tensor, *rest) -> None:
    x = logits.clone().requires_grad_()
    loss_fn(x, *rest).backward()


def _rows(size: int, rows: int, args: argparse.Namespace) -> list[list[str]]:
    """Time every loss at one batch size; each binary loss beside BCE, LDAM beside CE."""
    logits, target, index = _binary_batch(size, args.positive_share, rows, seed=size)
    float_target = target.float()
    bce = measure(
        lambda run: _step(F.binary_cross_entropy_with_logits, logits, float_target),
        repeats=args.repeats,
    )
    table = [["binary_cross_entropy_with_logits", fmt_seconds(bce.median), "1.00x"]]
    cases = {
        "AveragePrecisionLoss": AveragePrecisionLoss(rows),
        "PartialAUCLoss(topk, max_fpr=0.05)": PartialAUCLoss(max_fpr=0.05),
        "PartialAUCLoss(dro)": PartialAUCLoss(rows, form="dro"),
        "AUCMarginLoss": AUCMarginLoss(),
    }
    for name, criterion in cases.items():
        timing = measure(
            lambda run, c=criterion: _step(c, logits, target, index), repeats=args.repeats
        )
        table.append([name, fmt_seconds(timing.median), fmt_ratio(timing.median / bce.median)])
    generator = torch.Generator().manual_seed(size + 1)
    multi = torch.randn(size, args.classes, generator=generator)
    labels = torch.randint(0, args.classes, (size,), generator=generator)
    ce = measure(lambda run: _step(F.cross_entropy, multi, labels), repeats=args.repeats)
    counts = torch.bincount(labels, minlength=args.classes).clamp(min=1)
    ldam = LDAMLoss(counts, drw_start_step=0)
    timing = measure(lambda run: _step(ldam, multi, labels), repeats=args.repeats)
    table.append(["cross_entropy", fmt_seconds(ce.median), "1.00x"])
    table.append(
        [
            "LDAMLoss (DRW weights on)",
            fmt_seconds(timing.median),
            fmt_ratio(timing.median / ce.median),
        ]
    )
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-sizes", default="1024,65536")
    parser.add_argument(
        "--rows", type=int, default=1_000_000, help="rows of state (default: %(default)s)"
    )
    parser.add_argument(
        "--positive-share",
        type=float,
        default=0.01,
        help="positives per batch (default: %(default)s)",
    )
    parser.add_argument(
        "--classes", type=int, default=10, help="classes of the LDAM case (default: %(default)s)"
    )
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--quick", action="store_true", help="small batches and state: a smoke run")
    parser.add_argument("--output", default=None)
    args = parser.parse_args()
    set_threads(args.threads)
    sizes = [256, 2048] if args.quick else [int(v) for v in args.batch_sizes.split(",")]
    rows = 10_000 if args.quick else args.rows
    report = Report("Loss cost per step (forward + backward), CPU", args)
    report.add(
        f"- state: {rows:,} rows; positives per binary batch: {args.positive_share:.1%}; LDAM: {args.classes} classes"
    )
    report.add("")
    for size in sizes:
        report.add(f"## batch {size:,}")
        report.add("")
        report.table(["loss", "median step", "vs its cross-entropy"], _rows(size, rows, args))
    report.finish()


if __name__ == "__main__":
    main()
