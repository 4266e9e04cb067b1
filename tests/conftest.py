import logging
import os
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
