import logging
import os
import sys
import threading
import warnings

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

torch.set_num_threads(min(2, torch.get_num_threads()))

cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


@pytest.fixture(autouse=True)
def _single_thread():
    """Small tensors and MLPs on shared cores run fastest (and steadiest) on one thread."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    logging.getLogger("lightning.pytorch").setLevel(logging.WARNING)
    logging.getLogger("lightning.fabric").setLevel(logging.WARNING)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*does not have many workers.*")
        warnings.filterwarnings("ignore", message=".*LeafSpec.*")
        yield
    torch.set_num_threads(threads)


def make_blobs(rows: int = 2000, positive_fraction: float = 0.1, features: int = 4, seed: int = 0):
    """Two overlapping Gaussian classes: ``(X float32, y int64)``."""
    rng = np.random.default_rng(seed)
    y = (rng.random(rows) < positive_fraction).astype(np.int64)
    x = rng.standard_normal((rows, features)) + 1.5 * y[:, None]
    return x.astype(np.float32), y


@pytest.fixture
def blobs():
    return make_blobs()


# NOTE [test memory]
# Users run this suite on 16 GB laptops, so no test may need more than about 2 GB resident.
# The session summary states the peak resident memory of the pytest process and of the
# largest child process it waited for (DDP ranks, limited children); `.ci/run` records it.
# With IMBALANCE_TORCH_TEST_MEMORY=1 a thread samples this process's resident memory every
# 20 ms and the summary lists each test whose peak rose more than 1 GiB above its start
# (how the offenders were found); off by default, it costs a thread and nothing else.
_RSS_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
_test_peaks: list[tuple[float, str]] = []


def _resident_bytes() -> int:
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * _RSS_PAGE
    except OSError:
        return 0


class _RssSampler:
    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, _resident_bytes())

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return max(self.peak, _resident_bytes())


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    if os.environ.get("IMBALANCE_TORCH_TEST_MEMORY") != "1":
        return (yield)
    start = _resident_bytes()
    sampler = _RssSampler()
    try:
        return (yield)
    finally:
        peak = sampler.stop()
        _test_peaks.append(((peak - start) / 2**30, item.nodeid))


def _max_rss_gib(who: int) -> float:
    import resource

    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB elsewhere
    return resource.getrusage(who).ru_maxrss * scale / 2**30


def pytest_terminal_summary(terminalreporter):
    try:
        import resource
    except ImportError:  # not on Windows
        return
    own, child = _max_rss_gib(resource.RUSAGE_SELF), _max_rss_gib(resource.RUSAGE_CHILDREN)
    terminalreporter.write_line(
        f"peak resident memory: pytest process {own:.2f} GiB, largest child process {child:.2f} GiB"
    )
    for growth, nodeid in sorted(_test_peaks, reverse=True):
        if growth > 1.0:
            terminalreporter.write_line(f"  test grew resident memory by {growth:.2f} GiB: {nodeid}")
