"""Torch threads for the comparison's training runs: one vs torch's default, quiet and loaded.

Times the same small comparison (one arm, one seed, one run at a time: ``compare.py
--strategies none --seeds 1 --jobs 1``) with ``--threads 1`` and ``--threads N`` (N = the CPU
count, torch's default), alternately, first on the machine as it is, then with one other busy
process (a Python loop on one core holding 2 GiB, started and stopped by this script). The
test AUPRC of each run is printed too: the thread count must not change the numbers here.
This decided the default of NOTE [training threads] (imbalance_torch/lightning/threads.py):
the policy with the smaller worst case wins.

    python benchmarks/threads_training.py --rows 20000 --max-epochs 10 --repeats 2
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BUSY = "import time\nblock = bytearray(2 << 30)\nfor i in range(0, len(block), 4096): block[i] = 1\nwhile True: pass\n"


def run(threads: int, rows: int, max_epochs: int) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as out:
        env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, str(REPO / "recipes" / "compare.py"), "--strategies", "none", "--seeds", "1",
             "--jobs", "1", "--threads", str(threads), "--rows", str(rows), "--max-epochs", str(max_epochs),
             "--out", out],
            cwd=REPO, env=env, check=True, capture_output=True, text=True,
        )
        wall = time.perf_counter() - start
        summary = json.loads((Path(out) / "summary.json").read_text())
        return wall, float(summary["runs"][0]["test_auprc"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--max-epochs", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=2)
    options = parser.parse_args()
    many = os.cpu_count() or 1
    for label in ("as it is", "one busy process (a core, 2 GiB)"):
        busy = None
        if label != "as it is":
            busy = subprocess.Popen([sys.executable, "-c", BUSY])
            time.sleep(3)
        try:
            times: dict[int, list[float]] = {1: [], many: []}
            scores: dict[int, set[float]] = {1: set(), many: set()}
            load = [os.getloadavg()[0]]
            for _ in range(options.repeats):
                for threads in (1, many):
                    wall, auprc = run(threads, options.rows, options.max_epochs)
                    times[threads].append(wall)
                    scores[threads].add(round(auprc, 6))
                load.append(os.getloadavg()[0])
        finally:
            if busy is not None:
                busy.kill()
                busy.wait()
        one, default = statistics.median(times[1]), statistics.median(times[many])
        print(f"{label} (load average {min(load):.1f}-{max(load):.1f}): --threads 1 "
              f"{one:.1f} s (runs {', '.join(f'{t:.1f}' for t in times[1])}), --threads {many} "
              f"{default:.1f} s (runs {', '.join(f'{t:.1f}' for t in times[many])}); "
              f"{many} threads / 1 thread = {default / one:.2f}x; test AUPRC {sorted(scores[1])} "
              f"vs {sorted(scores[many])}", flush=True)


if __name__ == "__main__":
    main()
