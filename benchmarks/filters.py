"""Per-epoch filtering of synthetic rows (``safe=``, ``filter=``): agreement of the bounded
search with the exact one, acceptance rates, and the cost per epoch against no filter.

For each data set, method (SMOTE, BorderlineSMOTE, ADASYN) and rule (``safe=True``,
``filter=TomekLinks()``, ``filter=EditedNearestNeighbours()`` with ``kind_sel`` "all" and
"mode"):

* agreement: on the first attempts of epoch 0's synthetic rows (at most ``--agreement-rows``
  per class), the share of rows on which the bounded search (``filter_search="candidates"``)
  decides as the exact one; "served pass exact" is the share of the rows the bounded search
  accepts that the exact search accepts too (what a served row's chance of passing the exact
  rule is);
* acceptance: the fit-time probe's share of first attempts accepted (``filter_.acceptance_``),
  or the refusal when it is below ``MIN_ACCEPTANCE``;
* cost: building the ``SMOTEDataset`` (fit, with the filter's candidate lists and probe), and
  generating one whole epoch's synthetic rows through ``ds.fetch`` in chunks of ``--chunk``,
  without a filter, with the bounded filter, and with the exact filter (the exact one on at
  most ``--exact-rows`` rows per class, scaled to the epoch: a search against every real row
  costs the same per row).

Data: the built-in fraud-like data (``make_fraud_like``, 200,000 rows, 0.19 % positives,
standardised, float32) and a KEEL-like small set (yeast3-shaped: 1,484 rows, 8 features,
about 11 % positives, from scikit-learn's ``make_classification``, standardised).

    python benchmarks/filters.py                  # writes benchmarks/results/filters.md/.json
    python benchmarks/filters.py --quick          # smoke run (20,000 fraud-like rows)
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks._common import environment, measure, run_synthetic_epoch, set_threads  # noqa: E402


def fraud_like(rows: int):
    import torch

    from imbalance_torch.lightning.tables.builtin import make_fraud_like

    x, y, _ = make_fraud_like(rows, seed=0)
    X = torch.from_numpy(x)
    return ((X - X.mean(0)) / X.std(0)).float(), torch.from_numpy(y)


def keel_like():
    """yeast3-shaped: 1,484 rows, 8 features, about 11 % positives (with 2 % label noise)."""
    import torch
    from sklearn.datasets import make_classification

    x, y = make_classification(
        n_samples=1484, n_features=8, n_informative=6, n_redundant=1, weights=[0.89],
        class_sep=0.8, flip_y=0.02, random_state=0,
    )
    X = torch.from_numpy(x)
    return ((X - X.mean(0)) / X.std(0)).float(), torch.from_numpy(y).long()


def methods():
    from imbalance_torch.oversample import ADASYN, SMOTE, BorderlineSMOTE

    return {"SMOTE": SMOTE, "BorderlineSMOTE": BorderlineSMOTE, "ADASYN": ADASYN}


def rules():
    from imbalance_torch.undersample import EditedNearestNeighbours, TomekLinks

    return {
        "safe=True": lambda: {"safe": True},
        "TomekLinks": lambda: {"filter": TomekLinks()},
        "ENN all": lambda: {"filter": EditedNearestNeighbours()},
        "ENN mode": lambda: {"filter": EditedNearestNeighbours(kind_sel="mode")},
    }


def capped_epoch(ds, cap: int, chunk: int) -> int:
    """Generate the first ``cap`` synthetic slots of each class of epoch 0; rows made."""
    import torch

    count = 0
    for label, n in sorted(ds.target_counts.items()):
        index = ds.synthetic_indices(label, min(n, cap), 0)
        for part in torch.split(index, chunk):
            count += ds.fetch(part)[0].shape[0]
    return count


def run_one(name: str, X, y, method: str, rule: str, args: argparse.Namespace) -> dict[str, Any]:
    from imbalance_torch.data import SMOTEDataset
    from imbalance_torch.oversample._filters import filter_agreement, filter_report

    make = methods()[method]
    row: dict[str, Any] = {"data": name, "method": method, "rule": rule}
    plain = SMOTEDataset(X, y, oversampler=make(), seed=0)
    capped = {c: min(n, args.agreement_rows) for c, n in plain.target_counts.items()}
    checked = make(**rules()[rule]())
    # the fitted unfiltered oversampler with the rule's settings: both searches on its draws
    plain.oversampler.__dict__.update(checked.get_params())
    row.update(filter_agreement(plain.oversampler, capped, seed=0, epoch=0))
    row["served_pass_exact"] = 1 - row["false_accept"] / max(row["candidate_acceptance"], 1e-12)
    start = time.perf_counter()
    try:
        bounded = SMOTEDataset(X, y, oversampler=make(**rules()[rule]()), seed=0)
    except ValueError as error:
        row["refused"] = str(error).split(";")[0]
        return row
    row["fit_filtered_s"] = time.perf_counter() - start
    start = time.perf_counter()
    SMOTEDataset(X, y, oversampler=make(), seed=0)
    row["fit_plain_s"] = time.perf_counter() - start
    row["probe_acceptance"] = bounded.oversampler.filter_.acceptance_
    report = filter_report(bounded.oversampler, bounded.target_counts, seed=0, epoch=0)
    row["epoch_acceptance"] = {c: r["acceptance_rate"] for c, r in report.items()}
    row["reserve_rows"] = sum(r["reserve_rows"] for r in report.values())
    row["epoch_rows"] = bounded.num_synthetic
    plain_epoch = SMOTEDataset(X, y, oversampler=make(), seed=0)
    row["epoch_plain_s"] = measure(lambda e: run_synthetic_epoch(plain_epoch, e, args.chunk), repeats=args.repeats).median
    row["epoch_candidates_s"] = measure(lambda e: run_synthetic_epoch(bounded, e, args.chunk), repeats=args.repeats).median
    exact = SMOTEDataset(X, y, oversampler=make(**rules()[rule](), filter_search="exact"), seed=0)
    cap = min(args.exact_rows, max(exact.target_counts.values()))
    start = time.perf_counter()
    made = capped_epoch(exact, cap, args.chunk)
    row["epoch_exact_s"] = (time.perf_counter() - start) * exact.num_synthetic / made
    row["exact_measured_rows"] = made
    return row


def _seconds(value: float) -> str:
    return f"{value:,.0f} s" if value >= 100 else f"{value:.3g} s"


def _times(value: float, base: float) -> str:
    ratio = value / base
    return f"{ratio:.1f}x" if ratio < 10 else f"{ratio:.0f}x"


def table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| data | method | rule | agreement | served pass exact | exact accept | probe accept | "
        "fit plain / filtered | epoch: plain | bounded | exact (scaled) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        head = f"| {r['data']} | {r['method']} | {r['rule']} | {r['agreement']:.1%} | {r['served_pass_exact']:.1%} | {r['exact_acceptance']:.1%} |"
        if "refused" in r:
            lines.append(head + " refused at fit | | | | |")
            continue
        probe = ", ".join(f"{v:.1%}" for v in r["probe_acceptance"].values())
        lines.append(
            head + f" {probe} | {_seconds(r['fit_plain_s'])} / {_seconds(r['fit_filtered_s'])} | {_seconds(r['epoch_plain_s'])} | "
            f"{_seconds(r['epoch_candidates_s'])} ({_times(r['epoch_candidates_s'], r['epoch_plain_s'])}) | "
            f"{_seconds(r['epoch_exact_s'])} ({_times(r['epoch_exact_s'], r['epoch_plain_s'])}) |"
        )
    return "\n".join(lines)


def imblearn_table(data: dict[str, Any]) -> str:
    """imbalanced-learn's one-shot ``SMOTETomek`` / ``SMOTEENN`` on the same data (once each):
    the time of ``fit_resample`` and what its cleaning removed."""
    import numpy as np
    from imblearn.combine import SMOTEENN, SMOTETomek

    lines = [
        "| data | imbalanced-learn | fit_resample (once) | synthetic rows made | minority rows removed | majority rows removed |",
        "|---|---|---|---|---|---|",
    ]
    for name, (X, y) in data.items():
        x, labels = X.double().numpy(), y.numpy()
        counts = np.bincount(labels)
        for method in (SMOTETomek, SMOTEENN):
            start = time.perf_counter()
            _, resampled = method(random_state=0).fit_resample(x, labels)
            seconds = time.perf_counter() - start
            after = np.bincount(resampled, minlength=2)
            lines.append(
                f"| {name} | {method.__name__} | {_seconds(seconds)} | {counts[0] - counts[1]:,} | "
                f"{counts[0] - after[1]:,} | {counts[0] - after[0]:,} |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=200_000, help="fraud-like rows")
    parser.add_argument("--agreement-rows", type=int, default=3000, help="first attempts per class compared")
    parser.add_argument("--exact-rows", type=int, default=1024, help="rows per class timed with the exact filter")
    parser.add_argument("--chunk", type=int, default=16384)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--methods", default="SMOTE,BorderlineSMOTE,ADASYN")
    parser.add_argument("--rules", default="safe=True,TomekLinks,ENN all,ENN mode")
    parser.add_argument("--with-imblearn", action="store_true", help="also time imbalanced-learn's SMOTETomek/SMOTEENN once")
    parser.add_argument("--quick", action="store_true", help="20,000 fraud-like rows, fewer rows compared")
    parser.add_argument("--out", default=str(REPO / "benchmarks" / "results" / "filters"))
    args = parser.parse_args(argv)
    if args.quick:
        args.rows, args.agreement_rows, args.exact_rows, args.repeats = 20_000, 500, 256, 1
    set_threads(args.threads)
    data = {f"fraud_like {args.rows:,}": fraud_like(args.rows), "keel_like 1,484": keel_like()}
    rows = []
    for name, (X, y) in data.items():
        for method in args.methods.split(","):
            for rule in args.rules.split(","):
                rows.append(run_one(name, X, y, method, rule, args))
                print(table(rows[-1:]).splitlines()[-1], flush=True)
    text = "\n".join(
        ["# Per-epoch filtering of synthetic rows: agreement and cost", "", *environment(args), "", table(rows), ""]
    )
    if args.with_imblearn:
        text += "\n" + imblearn_table(data) + "\n"
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".md").write_text(text)
    out.with_suffix(".json").write_text(json.dumps(rows, indent=1, default=float))
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
