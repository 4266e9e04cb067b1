"""The most memory this process could ever hold, to refuse impossible sizes before allocating.

A requested size (rows to generate, runs to plan, rows to sample) that implies more bytes than
the machine has is a mistake, not a job: numpy would raise its own ``MemoryError`` deep inside
(or, on a host that overcommits, start and be killed). :func:`check_fits_in_memory` refuses
it first, with the size in the message. The limit is the least of physical memory, the
process's address-space limit (``RLIMIT_AS``) and the cgroup's ``memory.max``: an upper bound
on what could ever fit, never a prediction that a smaller request will.
"""

from __future__ import annotations

import os

__all__ = ["check_fits_in_memory", "format_bytes", "memory_limit"]

_CGROUP_LIMIT_FILES = (
    "/sys/fs/cgroup/memory.max",  # cgroup v2
    "/sys/fs/cgroup/memory/memory.limit_in_bytes",  # cgroup v1
)


def format_bytes(size: float) -> str:
    """``1536 -> '1.5 KiB'``, ``2 * 2**40 -> '2.0 TiB'``."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(size) < 1024 or unit == "PiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


def memory_limit() -> tuple[int, str] | None:
    """``(bytes, what sets it)`` for the tightest known memory limit, or None if none is known."""
    limits: list[tuple[int, str]] = []
    try:
        limits.append((os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"), "physical memory"))
    except (AttributeError, OSError, ValueError):  # not POSIX
        pass
    try:
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_AS)
        if soft != resource.RLIM_INFINITY:
            limits.append((soft, "the address-space limit (ulimit -v)"))
    except (ImportError, OSError, ValueError):
        pass
    for path in _CGROUP_LIMIT_FILES:
        try:
            with open(path, encoding="ascii") as handle:
                text = handle.read(64).strip()
        except OSError:
            continue
        if text.isdigit():
            limits.append((int(text), f"the cgroup limit ({path})"))
    positive = [limit for limit in limits if limit[0] > 0]
    return min(positive) if positive else None


def check_fits_in_memory(size: int, *, what: str, fix: str) -> None:
    """Refuse ``size`` bytes for ``what`` when they exceed :func:`memory_limit`.

    Args:
        size: the bytes the request implies (a lower estimate is fine: the check only refuses
            what could never fit).
        what: the request, with its value, e.g. ``"rows=10**12 of the fraud-like generator"``.
        fix: what to do instead, e.g. ``"lower rows"``.

    Raises:
        ValueError: ``size`` exceeds the memory limit; the message gives both sizes.
    """
    limit = memory_limit()
    if limit is not None and size > limit[0]:
        raise ValueError(
            f"{what} needs at least {format_bytes(size)} of memory, more than the "
            f"{format_bytes(limit[0])} this process could ever hold ({limit[1]}); {fix}."
        )
