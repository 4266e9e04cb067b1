"""Running a case in a child process under a memory limit and a timeout (hostile-input tests).

Shared by tests/lightning/test_sizes.py and tests/recipes/test_hostile_configs.py; importable
because pytest puts ``tests/`` (the folder of the root conftest.py) on ``sys.path``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

resource = pytest.importorskip("resource")

REPO = Path(__file__).resolve().parents[1]
MEMORY_MIB = 1024  # torch and Lightning imported need about 0.5 GiB
TIMEOUT_S = 90.0  # imports take ~10 s on a loaded machine


def run_limited(*args: str, memory_mib: int = MEMORY_MIB, timeout_s: float = TIMEOUT_S):
    """``python *args`` from the repo root under ``memory_mib`` of address space and a timeout.

    Returns:
        ``(completed process, seconds)``; a child still running at the timeout fails the test.
    """
    limit = memory_mib << 20

    def cap_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
    start = time.monotonic()
    try:
        done = subprocess.run(
            [sys.executable, *args], cwd=REPO, env=env, capture_output=True, text=True,
            timeout=timeout_s, preexec_fn=cap_memory,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"{args[:2]} still running after {timeout_s} s under {memory_mib} MiB")
    return done, time.monotonic() - start
