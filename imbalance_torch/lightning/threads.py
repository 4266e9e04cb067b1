"""How many torch threads a training process uses: one rule for ``compare`` and ``train``.

NOTE [training threads]
The comparison's runs and ``train`` fit small MLPs in batches of at most a few thousand rows:
each step is a handful of short intra-op parallel regions, and every region waits for its
slowest thread. When another process keeps a core busy, that thread is descheduled and the
step waits for it: on the shared 2-core machine a KEEL comparison with ``--jobs 1`` took 636 s
and 750 s with torch's 2 threads against 43 s and 66 s with one (11-15x), with the same numbers
to the last digit. On a quiet machine the second thread bought nothing (``--quick``: 35-41 s
with one thread, 37-44 s with two). So a training process uses ONE thread unless told
otherwise; parallelism comes from ``--jobs`` (one process per run), which degrades gently
under load. The README gives the measured figures and the command
(benchmarks/threads_training.py). The core's generation made the same choice
(NOTE [generation threads] in data/_dataset.py).

What the user set always wins, in this order: ``--threads N`` (0 keeps torch's own default);
then ``OMP_NUM_THREADS`` in the environment; then, for a call from Python, a thread count the
caller already set with ``torch.set_num_threads`` (anything other than torch's default for
this process's CPUs); else :data:`TRAINING_THREADS`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

__all__ = ["TRAINING_THREADS", "apply_training_threads", "training_threads"]

TRAINING_THREADS = 1
"""torch threads per training process when nothing else is set (NOTE [training threads])."""


def _available_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


def _caller_set_threads() -> int | None:
    """A thread count set with ``torch.set_num_threads`` before this call, if any.

    torch starts with one thread per available CPU (OpenMP's default); a different count was
    set on purpose. Only looked at when torch is already imported (a call from Python)."""
    torch = sys.modules.get("torch")
    if torch is None:
        return None
    current = torch.get_num_threads()
    return current if current != _available_cpus() else None


def training_threads(
    requested: int | None = None, environ: Mapping[str, str] | None = None
) -> tuple[int, str]:
    """The torch threads of one training process and what decided it (NOTE [training threads]).

    Args:
        requested: ``--threads`` (``None``: not given; 0 keeps torch's default).
        environ: the environment to read ``OMP_NUM_THREADS`` from (default ``os.environ``).

    Returns:
        ``(threads, source)``: ``threads`` 0 means torch's own default; ``source`` is
        ``"--threads"``, ``"OMP_NUM_THREADS"``, ``"torch.set_num_threads"`` or ``"default"``.

    Raises:
        TypeError: ``requested`` not an int (a bool is refused).
        ValueError: ``requested`` negative, or ``OMP_NUM_THREADS`` not a positive integer.
    """
    if requested is not None:
        if isinstance(requested, bool) or not isinstance(requested, int):
            raise TypeError(f"threads must be an int, got {requested!r} of type {type(requested).__name__}.")
        if requested < 0:
            raise ValueError(
                f"threads must be >= 0 (0 keeps torch's default), got {requested}."
            )
        return requested, "--threads"
    environ = os.environ if environ is None else environ
    text = environ.get("OMP_NUM_THREADS", "").strip()
    if text:
        if not text.isdigit() or int(text) < 1:
            raise ValueError(
                f"OMP_NUM_THREADS={text!r} is not a positive integer; set it to a thread count "
                "such as 1, or unset it."
            )
        return int(text), "OMP_NUM_THREADS"
    caller = _caller_set_threads()
    if caller is not None:
        return caller, "torch.set_num_threads"
    return TRAINING_THREADS, "default"


def apply_training_threads(threads: int) -> int:
    """Set this process's torch threads (0 leaves torch's default); returns the count in use."""
    import torch

    if threads > 0 and torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
    return torch.get_num_threads()
