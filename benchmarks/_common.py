"""Shared pieces of the benchmark scripts: data shapes, method factories, timing, peak memory,
tables and the output file.

Not part of the library and not run in CI. Every script measures imbalance-torch and the
reference (imbalanced-learn / scikit-learn / plain torch) side by side in one process, so
ratios are comparable even on a shared machine; peak memory is measured in a fresh
subprocess per measurement.
"""

from __future__ import annotations

import argparse
import gc
import multiprocessing as mp
import os
import platform
import resource
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

# --------------------------------------------------------------------------------------------
# Shapes
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Shape:
    """A synthetic data set shaped like a real one: ``rows x features``, ``minority`` rows of
    class 1 (scattered through the rows), the rest class 0."""

    name: str
    rows: int
    features: int
    minority: int
    #: minority rows are ``scale * N(0, I) + shift`` with ``|shift| = shift_norm``: chosen so
    #: that roughly a third to a half of them are "in danger" for Borderline-SMOTE (m=10) and
    #: nearly all have a majority neighbour for ADASYN, as on the real card-fraud data.
    scale: float
    shift_norm: float

    @property
    def majority(self) -> int:
        return self.rows - self.minority

    @property
    def synthetic(self) -> int:
        """Synthetic rows per epoch at 1:1 (sampling_strategy="auto")."""
        return self.majority - self.minority

    def label(self) -> str:
        return f"{self.name} ({self.rows:,} x {self.features}, {self.minority:,} minority)"


SHAPES: dict[str, Shape] = {
    # The card-fraud shape: 284,807 x 30 float32, 492 frauds.
    "fraud": Shape("fraud", 284_807, 30, 492, 0.7, 3.5),
    # Ten times the fraud shape.
    "fraud10x": Shape("fraud10x", 2_848_070, 30, 4_920, 0.7, 3.5),
    # 1,000,000 x 64 with 100,000 minority rows.
    "wide": Shape("wide", 1_000_000, 64, 100_000, 0.9, 2.0),
}

# --quick: the same three shapes, 10 to 20 times smaller (a smoke run, not a measurement).
QUICK_SHAPES: dict[str, Shape] = {
    "fraud": Shape("fraud", 28_481, 30, 49, 0.7, 3.5),
    "fraud10x": Shape("fraud10x", 142_404, 30, 246, 0.7, 3.5),
    "wide": Shape("wide", 50_000, 64, 5_000, 0.9, 2.0),
}

#: SMOTE-NC variant: the last 5 columns hold integer category codes with these many levels.
CATEGORICAL_LEVELS = (3, 4, 5, 7, 10)


def make_data(shape: Shape, *, categorical: bool = False, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Deterministic fraud-like data: ``X`` (rows, features) float32, ``y`` int64 in {0, 1}.

    Majority rows are ``N(0, I)``; minority rows (class 1, at random positions) a shrunken,
    shifted cluster that overlaps the majority's edge. With ``categorical=True`` the last
    ``len(CATEGORICAL_LEVELS)`` columns are replaced by integer codes (stored as float32), the
    minority's codes skewed toward low levels. Generated in place, without float64 copies.
    """
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((shape.rows, shape.features), dtype=np.float32)
    y = np.zeros(shape.rows, dtype=np.int64)
    rows = np.sort(rng.choice(shape.rows, shape.minority, replace=False))
    y[rows] = 1
    shift = np.full(shape.features, shape.shift_norm / np.sqrt(shape.features), dtype=np.float32)
    X[rows] = X[rows] * np.float32(shape.scale) + shift
    if categorical:
        first = shape.features - len(CATEGORICAL_LEVELS)
        for offset, levels in enumerate(CATEGORICAL_LEVELS):
            column = first + offset
            X[:, column] = rng.integers(0, levels, shape.rows).astype(np.float32)
            skew = 1.0 / np.arange(1, levels + 1) ** 1.5
            X[rows, column] = rng.choice(levels, shape.minority, p=skew / skew.sum()).astype(np.float32)
    return X, y


def make_codes(shape: Shape, *, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Deterministic all-categorical data for SMOTE-N: ``X`` (rows, features) float32 integer
    codes, column ``j`` with ``CATEGORICAL_LEVELS[j % 5]`` levels, the minority's codes skewed
    toward low levels as in :func:`make_data`; ``y`` int64 in {0, 1}."""
    rng = np.random.default_rng(seed)
    X = np.empty((shape.rows, shape.features), dtype=np.float32)
    y = np.zeros(shape.rows, dtype=np.int64)
    rows = np.sort(rng.choice(shape.rows, shape.minority, replace=False))
    y[rows] = 1
    for column in range(shape.features):
        levels = CATEGORICAL_LEVELS[column % len(CATEGORICAL_LEVELS)]
        X[:, column] = rng.integers(0, levels, shape.rows).astype(np.float32)
        skew = 1.0 / np.arange(1, levels + 1) ** 1.5
        X[rows, column] = rng.choice(levels, shape.minority, p=skew / skew.sum()).astype(np.float32)
    return X, y


def categorical_columns(shape: Shape) -> list[int]:
    first = shape.features - len(CATEGORICAL_LEVELS)
    return list(range(first, shape.features))


def parse_shapes(text: str, quick: bool) -> list[Shape]:
    table = QUICK_SHAPES if quick else SHAPES
    names = [s.strip() for s in text.split(",") if s.strip()]
    unknown = [n for n in names if n not in table]
    if unknown:
        raise SystemExit(f"unknown shape(s) {unknown}; choose from {list(table)}")
    return [table[n] for n in names]


# --------------------------------------------------------------------------------------------
# Methods: ours and imbalanced-learn's, with the same settings
# --------------------------------------------------------------------------------------------

METHODS = ("smote", "borderline", "adasyn", "smotenc", "svm_smote", "kmeans_smote", "smoten", "smote_tomek", "smote_enn")
METHOD_TITLES = {
    "smote": "SMOTE", "borderline": "BorderlineSMOTE", "adasyn": "ADASYN", "smotenc": "SMOTENC",
    "svm_smote": "SVMSMOTE", "kmeans_smote": "KMeansSMOTE", "smoten": "SMOTEN",
    "smote_tomek": "SMOTE-Tomek", "smote_enn": "SMOTE-ENN",
}
#: The data a method takes (default: numeric ``make_data``): ``mixed`` (last 5 columns hold
#: category codes) or ``codes`` (every column does, ``make_codes``).
METHOD_DATA = {"smotenc": "mixed", "smoten": "codes"}
#: KMeans-SMOTE's cluster filter on both sides: imbalanced-learn's "auto" threshold (half of
#: a cluster of the minority) keeps no cluster of these shapes and its fit fails; 0 keeps every
#: cluster with k_neighbors + 1 minority rows, as the Lightning strategy kmeans_smote does.
KMEANS_BALANCE_THRESHOLD = 0.0


def method_data(method: str, shape: Shape) -> tuple[np.ndarray, np.ndarray]:
    """The data set ``method`` is timed on (see :data:`METHOD_DATA`)."""
    kind = METHOD_DATA.get(method, "numeric")
    if kind == "codes":
        return make_codes(shape)
    return make_data(shape, categorical=kind == "mixed")


def parse_methods(text: str) -> list[str]:
    names = [s.strip().lower() for s in text.split(",") if s.strip()]
    unknown = [n for n in names if n not in METHODS]
    if unknown:
        raise SystemExit(f"unknown method(s) {unknown}; choose from {list(METHODS)}")
    return names


def ours(method: str, shape: Shape):
    """An unfitted imbalance-torch oversampler (imbalanced-learn's default settings)."""
    import imbalance_torch as it

    if method == "smote":
        return it.SMOTE(k_neighbors=5)
    if method == "borderline":
        return it.BorderlineSMOTE(kind="borderline-1", k_neighbors=5, m_neighbors=10)
    if method == "adasyn":
        return it.ADASYN(n_neighbors=5)
    if method == "smotenc":
        return it.SMOTENC(categorical_features=categorical_columns(shape), k_neighbors=5)
    if method == "svm_smote":
        return it.SVMSMOTE(k_neighbors=5, m_neighbors=10)
    if method == "kmeans_smote":
        return it.KMeansSMOTE(k_neighbors=2, cluster_balance_threshold=KMEANS_BALANCE_THRESHOLD)
    if method == "smoten":
        return it.SMOTEN(k_neighbors=5)
    if method == "smote_tomek":  # the Lightning strategies smote_tomek / smote_enn
        return it.SMOTE(k_neighbors=5, filter=it.TomekLinks())
    if method == "smote_enn":
        return it.SMOTE(k_neighbors=5, filter=it.EditedNearestNeighbours(kind_sel="mode"))
    raise ValueError(method)


def ours_cleaner(method: str):
    """The unfitted cleaning of the real rows that goes with ``method`` (fitted once per
    training run, by ``BalancedSampler(cleaning=...)``), or None."""
    import imbalance_torch as it

    if method == "smote_tomek":
        return it.TomekLinks()
    if method == "smote_enn":
        return it.EditedNearestNeighbours()
    return None


def theirs(method: str, shape: Shape, random_state: int = 0):
    """The imbalanced-learn sampler with the same settings."""
    from imblearn import over_sampling as ios

    if method == "smote":
        return ios.SMOTE(k_neighbors=5, random_state=random_state)
    if method == "borderline":
        return ios.BorderlineSMOTE(kind="borderline-1", k_neighbors=5, m_neighbors=10, random_state=random_state)
    if method == "adasyn":
        return ios.ADASYN(n_neighbors=5, random_state=random_state)
    if method == "smotenc":
        return ios.SMOTENC(categorical_features=categorical_columns(shape), k_neighbors=5, random_state=random_state)
    if method == "svm_smote":
        return ios.SVMSMOTE(k_neighbors=5, m_neighbors=10, random_state=random_state)
    if method == "kmeans_smote":
        return ios.KMeansSMOTE(k_neighbors=2, cluster_balance_threshold=KMEANS_BALANCE_THRESHOLD, random_state=random_state)
    if method == "smoten":
        return ios.SMOTEN(k_neighbors=5, random_state=random_state)
    from imblearn import combine

    if method == "smote_tomek":
        return combine.SMOTETomek(smote=ios.SMOTE(k_neighbors=5, random_state=random_state), random_state=random_state)
    if method == "smote_enn":
        return combine.SMOTEENN(smote=ios.SMOTE(k_neighbors=5, random_state=random_state), random_state=random_state)
    raise ValueError(method)


def dataset_options(args: argparse.Namespace) -> dict[str, Any]:
    """Extra ``SMOTEDataset`` keyword arguments from the command line (only those asked for,
    so the scripts keep working with library versions without them)."""
    return {"compile": True} if getattr(args, "compile", False) else {}


def epoch_chunks(num_real: int, total: int, chunk: int):
    """The synthetic index range of one epoch, ``chunk`` indices at a time (made lazily, so
    the harness holds no epoch-sized index tensor)."""
    import torch

    for start in range(num_real, total, chunk):
        yield torch.arange(start, min(start + chunk, total), dtype=torch.int64)


def run_synthetic_epoch(ds, epoch: int, chunk: int, sync: Callable[[], None] | None = None) -> int:
    """Generate one epoch's synthetic rows through ``ds.fetch`` in chunks; returns the rows."""
    ds.set_epoch(epoch)
    count = 0
    for index in epoch_chunks(ds.num_real, len(ds), chunk):
        features, _ = ds.fetch(index)
        count += features.shape[0]
    if sync is not None:
        sync()
    return count


# --------------------------------------------------------------------------------------------
# Threads and environment
# --------------------------------------------------------------------------------------------

_LIMITS: Any = None


def set_threads(threads: int | None) -> int:
    """Use ``threads`` threads in torch, numpy's BLAS and scikit-learn's OpenMP (None: leave
    the defaults). Returns the torch thread count in effect."""
    global _LIMITS
    import torch

    if threads:
        torch.set_num_threads(threads)
        try:
            from threadpoolctl import threadpool_limits

            _LIMITS = threadpool_limits(limits=threads)
        except ImportError:  # pragma: no cover - scikit-learn depends on threadpoolctl
            pass
    return torch.get_num_threads()


def environment(args: argparse.Namespace) -> list[str]:
    import torch

    lines = [
        f"- command: `python {' '.join(sys.argv)}`",
        f"- python {platform.python_version()}, torch {torch.__version__}, imbalanced-learn {module_version('imblearn')}, "
        f"scikit-learn {module_version('sklearn')}, numpy {np.__version__}",
        f"- CPU: {os.cpu_count()} logical cores, {platform.machine()}; torch threads {torch.get_num_threads()}"
        + ("" if not getattr(args, "threads", None) else f" (--threads {args.threads}: torch, BLAS and scikit-learn's OpenMP)"),
        f"- load average at start: {', '.join(f'{v:.2f}' for v in os.getloadavg())}",
    ]
    lines.append(f"- imbalance_torch: {library_version()}")
    if getattr(args, "device", "cpu") == "cuda":
        lines.append(f"- device: {torch.cuda.get_device_name(0)}")
    return lines


def module_version(name: str) -> str:
    try:
        return __import__(name).__version__
    except ImportError:
        return "(not installed)"


def has_imblearn() -> bool:
    try:
        import imblearn  # noqa: F401
    except ImportError:
        return False
    return True


def library_version() -> str:
    """Where imbalance_torch was imported from and which commit (if a git checkout), or the
    contents of a SNAPSHOT file next to the package (a copy made with ``git archive``)."""
    import subprocess

    import imbalance_torch

    package = os.path.dirname(os.path.abspath(imbalance_torch.__file__))
    text = f"{imbalance_torch.__version__} from {package}"
    try:
        commit = subprocess.run(["git", "-C", package, "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", package, "status", "--porcelain", "--", "."], capture_output=True,
                               text=True, check=True).stdout.strip()
        return text + f", git {commit}" + (" with uncommitted changes in imbalance_torch/" if dirty else " (clean)")
    except (OSError, subprocess.CalledProcessError):
        snapshot = os.path.join(os.path.dirname(package), "SNAPSHOT")
        if os.path.exists(snapshot):
            with open(snapshot) as f:
                return text + f", {f.read().strip()}"
        return text


# --------------------------------------------------------------------------------------------
# Timing
# --------------------------------------------------------------------------------------------


@dataclass
class Timing:
    """Median of ``runs`` timed runs (seconds), after ``warmup`` untimed ones."""

    times: list[float] = field(default_factory=list)
    warmup: int = 1
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def runs(self) -> int:
        return len(self.times)

    @property
    def best(self) -> float:
        return min(self.times)

    def __str__(self) -> str:
        spread = f", min {fmt_seconds(self.best)}" if self.runs > 1 else ""
        return f"{fmt_seconds(self.median)} (n={self.runs}{spread}{self.note})"


def cuda_sync() -> None:
    import torch

    torch.cuda.synchronize()


def measure(
    fn: Callable[[int], Any],
    *,
    repeats: int = 5,
    slow_repeats: int = 3,
    slow_after: float = 5.0,
    huge_after: float = 90.0,
    warmup: int = 1,
    sync: Callable[[], None] | None = None,
) -> Timing:
    """Time ``fn(run)`` (``run`` = 0, 1, ...: use it as the epoch or random state so every run
    does fresh work). ``warmup`` untimed runs first; then ``repeats`` timed runs, or
    ``slow_repeats`` when the warm-up took ``slow_after`` seconds or more. When the warm-up
    took ``huge_after`` seconds or more, it is kept as the single measurement (marked
    "warm-up only"): one-off costs are negligible next to a run that long.
    """

    def once(run: int) -> float:
        gc.collect()
        if sync is not None:
            sync()
        start = time.perf_counter()
        fn(run)
        if sync is not None:
            sync()
        return time.perf_counter() - start

    first = 0.0
    for w in range(warmup):
        first = once(w)
    if warmup and first >= huge_after:
        return Timing([first], warmup=0, note=", warm-up only")
    count = slow_repeats if warmup and first >= slow_after else repeats
    return Timing([once(warmup + i) for i in range(count)], warmup=warmup)


def cuda_time(fn: Callable[[int], Any], *, iters: int, repeats: int = 5) -> float:
    """Median seconds per call of ``fn(i)`` on the current CUDA stream, by CUDA events
    (``iters`` calls per timed run, one warm-up run first)."""
    import torch

    results = []
    for run in range(repeats + 1):
        start = torch.cuda.Event(enable_timing=True)
        end = torch.cuda.Event(enable_timing=True)
        torch.cuda.synchronize()
        start.record()
        for i in range(iters):
            fn(run * iters + i)
        end.record()
        end.synchronize()
        if run:
            results.append(start.elapsed_time(end) / 1e3 / iters)
    return statistics.median(results)


def fmt_seconds(seconds: float) -> str:
    if seconds >= 100:
        return f"{seconds:.0f} s"
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds * 1e6:.0f} us"


def fmt_ratio(value: float) -> str:
    if value >= 100:
        return f"{value:.0f}x"
    if value >= 10:
        return f"{value:.1f}x"
    return f"{value:.2f}x"


def fmt_mib(nbytes: float) -> str:
    return f"{nbytes / 2**20:,.1f} MiB"


# --------------------------------------------------------------------------------------------
# Peak memory in a fresh process
# --------------------------------------------------------------------------------------------


def _status_kib(key: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise KeyError(key)


class PeakRSS:
    """Peak resident memory since :meth:`reset`, in bytes.

    On Linux the kernel's high-water mark (``VmHWM``) is reset by writing 5 to
    ``/proc/self/clear_refs``, so the peak of each phase is exact (page-granular, no polling).
    Elsewhere it falls back to ``ru_maxrss``, which only grows (phases after the first are then
    reported as their peak since process start).
    """

    def __init__(self) -> None:
        self.exact = False
        try:
            with open("/proc/self/clear_refs", "w") as f:
                f.write("5")
            _status_kib("VmHWM")
            self.exact = True
        except OSError:
            pass

    def current(self) -> int:
        if self.exact:
            return _status_kib("VmRSS") * 1024
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * (1 if sys.platform == "darwin" else 1024)

    def reset(self) -> int:
        """Reset the high-water mark; returns the current RSS (the new baseline)."""
        gc.collect()
        if self.exact:
            with open("/proc/self/clear_refs", "w") as f:
                f.write("5")
        return self.current()

    def peak(self) -> int:
        if self.exact:
            return _status_kib("VmHWM") * 1024
        return self.current()


def _child(conn, target: str, kwargs: dict[str, Any]) -> None:
    try:
        module_name, func_name = target.split(":")
        module = __import__(module_name)
        result = getattr(module, func_name)(**kwargs)
        conn.send(("ok", result))
    except BaseException as error:  # report anything to the parent
        import traceback

        conn.send(("error", f"{type(error).__name__}: {error}\n{traceback.format_exc()}"))
    finally:
        conn.close()


def in_fresh_process(target: str, timeout: float | None = None, **kwargs: Any) -> Any:
    """Run ``module:function(**kwargs)`` in a fresh (spawned) Python process and return its
    result. The module must be importable from this directory (benchmarks/)."""
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    process = ctx.Process(target=_child, args=(child, target, kwargs))
    process.start()
    child.close()
    if not parent.poll(timeout):
        process.kill()
        process.join()
        raise TimeoutError(f"{target} did not finish in {timeout} s")
    status, payload = parent.recv()
    process.join()
    if status != "ok":
        raise RuntimeError(f"{target} failed in the subprocess:\n{payload}")
    return payload


def prepare_process(threads: int | None) -> None:
    """Imports and thread settings done before the memory baseline, so both sides pay them."""
    import sklearn.neighbors  # noqa: F401
    import torch

    if has_imblearn():
        import imblearn.over_sampling  # noqa: F401

    import imbalance_torch  # noqa: F401

    set_threads(threads)
    # start torch's thread pool and BLAS (its GEMM buffers) and numpy's BLAS
    torch.addmm(torch.zeros(1, 256), torch.randn(256, 64), torch.randn(64, 256)).topk(4, dim=1)
    np.ones((256, 64)) @ np.ones((64, 256))


# --------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(cells[0], widths)) + " |"]
    lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in cells[1:]:
        lines.append("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths)) + " |")
    return "\n".join(lines)


class Report:
    """Collects what a script prints; prints as it goes and writes ``--output`` at the end."""

    def __init__(self, title: str, args: argparse.Namespace) -> None:
        self.args = args
        self.lines: list[str] = []
        self.verdicts: list[tuple[str, bool]] = []
        self.start = time.time()
        self.add(f"# {title}\n")
        for line in environment(args):
            self.add(line)
        if getattr(args, "quick", False):
            self.add("- **--quick: smaller shapes, a smoke run; the targets do not apply**")
        self.add("")

    def add(self, text: str = "") -> None:
        print(text, flush=True)
        self.lines.append(text)

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        self.add(markdown_table(headers, rows))
        self.add("")

    def verdict(self, text: str, met: bool | None) -> None:
        """One target line, e.g. "SMOTE fraud: 23.1x faster ... (target 15x): MET"."""
        status = "n/a (--quick)" if getattr(self.args, "quick", False) and met is not None else (
            "MET" if met else "MISSED" if met is not None else "n/a")
        if met is not None and not getattr(self.args, "quick", False):
            self.verdicts.append((text, bool(met)))
        self.add(f"- {text}: {status}")

    def finish(self, summary: str | None = None) -> None:
        met = sum(1 for _, ok in self.verdicts if ok)
        self.add("")
        self.add(f"- load average at end: {', '.join(f'{v:.2f}' for v in os.getloadavg())}; wall time {time.time() - self.start:.0f} s")
        self.add("")
        line = summary or ""
        if self.verdicts:
            missed = [t.split(":")[0] for t, ok in self.verdicts if not ok]
            line = (line + " " if line else "") + f"Targets met: {met}/{len(self.verdicts)}" + (
                f" (missed: {'; '.join(missed)})" if missed else "")
        if line:
            self.add(f"**Summary:** {line}")
        output = getattr(self.args, "output", None)
        if output:
            os.makedirs(os.path.dirname(os.path.abspath(output)), exist_ok=True)
            with open(output, "w") as f:
                f.write("\n".join(self.lines) + "\n")


def common_arguments(parser: argparse.ArgumentParser, default_shapes: str = "fraud,fraud10x,wide") -> None:
    parser.add_argument("--shapes", default=default_shapes, help=f"comma-separated, from {list(SHAPES)} (default: %(default)s)")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per case after one warm-up (default: %(default)s)")
    parser.add_argument("--slow-repeats", type=int, default=3,
                        help="timed runs of imbalance-torch when the warm-up took >= 5 s (default: %(default)s)")
    parser.add_argument("--imblearn-repeats", type=int, default=3,
                        help="timed runs of imbalanced-learn / scikit-learn when the warm-up took >= 5 s (default: %(default)s)")
    parser.add_argument("--huge-after", type=float, default=90.0,
                        help="a warm-up of at least this many seconds is kept as the single measurement (default: %(default)s)")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument("--threads", type=int, default=None,
                        help="threads for torch, BLAS and scikit-learn (default: torch's default, all cores)")
    parser.add_argument("--quick", action="store_true", help="smaller shapes: a smoke run, not a measurement")
    parser.add_argument("--output", default=None, help="also write the report (markdown) here")


def check_cuda(args: argparse.Namespace) -> None:
    if args.device == "cuda":
        import torch

        if not torch.cuda.is_available():
            raise SystemExit("--device cuda: no CUDA device is available to torch")
