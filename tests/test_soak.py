"""Short soak (the full one is benchmarks/soak.py): memory and descriptors stay flat."""

import importlib.util
from pathlib import Path

import pytest

SOAK = Path(__file__).resolve().parents[1] / "benchmarks" / "soak.py"


@pytest.mark.slow
def test_fifty_epochs_with_workers_do_not_grow():
    spec = importlib.util.spec_from_file_location("soak", SOAK)
    soak = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(soak)
    result = soak.soak(epochs=50, rows=10_000, features=16, workers=2, batch_size=512)
    first, last = result["record"][10], result["record"][50]
    assert last["rss"] <= first["rss"] * 1.05, (first, last)
    assert last["fds"] <= first["fds"], (first, last)
