"""The plain ``DataLoader(ds, batch_size=1024, shuffle=True)`` path, side by side with an
earlier release of the library.

Each round starts one child process per code base (this checkout, and ``--reference DIR``, a
checkout of an earlier commit: ``git worktree add /tmp/ref 9a81168``), alternately, so both
see the same machine load; each child times ``--batches`` batches of

* ``SMOTEDataset`` through the plain DataLoader (row items, ``default_collate``);
* a ``TensorDataset`` of the same size through the same DataLoader (what most loops do);
* ``SMOTEDataset.dataloader()`` (the fast path the README shows first; this checkout only).

The figures are the median over rounds of each child's best of ``--repeats``; the ratios
compare medians measured in the same run. Data: 200,000 x 30 float32 rows, 2 % positives,
SMOTE at 1:1 (392,000 rows an epoch). Torch keeps its default thread count.

    python benchmarks/plain_loader.py --reference /tmp/ref
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

CHILD = r"""
import json, sys, time, torch
from torch.utils.data import DataLoader, TensorDataset
from imbalance_torch import SMOTE, SMOTEDataset

batches, repeats = int(sys.argv[1]), int(sys.argv[2])
g = torch.Generator().manual_seed(0)
X = torch.randn(200_000, 30, generator=g)
y = (torch.rand(200_000, generator=g) < 0.02).long()
X[y == 1] += 0.5
ds = SMOTEDataset(X, y, oversampler=SMOTE(k_neighbors=5), sampling_strategy="auto", seed=0)
plain = TensorDataset(X[torch.randint(0, len(X), (len(ds),), generator=g)], torch.zeros(len(ds), dtype=torch.long))

def best(make):
    times = []
    for _ in range(repeats):
        iterator = iter(make())
        next(iterator)  # the sampler's permutation and first fetch are not the steady state
        start = time.perf_counter()
        for _ in range(batches):
            next(iterator)
        times.append(time.perf_counter() - start)
    return min(times)

out = {
    "smote_plain": best(lambda: DataLoader(ds, batch_size=1024, shuffle=True)),
    "tensor_plain": best(lambda: DataLoader(plain, batch_size=1024, shuffle=True)),
}
if hasattr(ds, "dataloader"):
    out["smote_fast"] = best(lambda: ds.dataloader(1024))
print(json.dumps(out))
"""


def child(path: str, batches: int, repeats: int) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": path}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(batches), str(repeats)],
        env=env, capture_output=True, text=True, check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reference", required=True, help="a checkout of the earlier release")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--batches", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    options = parser.parse_args()
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    runs: dict[str, list[dict[str, float]]] = {"this": [], "reference": []}
    load = [os.getloadavg()[0]]
    for round_ in range(options.rounds):
        order = [("this", here), ("reference", options.reference)]
        for name, path in order if round_ % 2 == 0 else order[::-1]:
            runs[name].append(child(path, options.batches, options.repeats))
        load.append(os.getloadavg()[0])
    median = {
        name: {key: statistics.median(r[key] for r in rows) for key in rows[0]}
        for name, rows in runs.items()
    }
    print(f"{options.batches} batches of 1,024 rows, median of {options.rounds} rounds "
          f"(best of {options.repeats} each); load average {min(load):.2f}-{max(load):.2f}")
    print(f"{'':28s} {'this checkout':>14s} {'reference':>10s}")
    for key, label in (("smote_plain", "SMOTEDataset, plain"), ("tensor_plain", "TensorDataset, plain"),
                       ("smote_fast", "SMOTEDataset.dataloader()")):
        ref = median["reference"].get(key)
        print(f"{label:28s} {median['this'][key]:13.3f}s {'' if ref is None else f'{ref:9.3f}s'}")
    this, ref = median["this"], median["reference"]
    print(f"plain path, reference / this: {ref['smote_plain'] / this['smote_plain']:.2f}x faster now")
    print(f"plain path vs TensorDataset (this): {this['tensor_plain'] / this['smote_plain']:.2f}x")
    print(f"fast path vs TensorDataset (this): {this['tensor_plain'] / this['smote_fast']:.2f}x")


if __name__ == "__main__":
    main()
