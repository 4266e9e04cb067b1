"""Progress of a comparison: a line per finished run with the elapsed time and an estimate of
the time left; a ``tqdm`` bar on a terminal, plain lines when the output is piped or logged."""

from __future__ import annotations

import math
import sys
import time
from typing import Any, TextIO

__all__ = ["RunProgress", "format_duration"]


def format_duration(seconds: float) -> str:
    """``75.2 -> '1:15'``, ``3725 -> '1:02:05'``; ``'?'`` for an unknown (NaN) duration."""
    if not math.isfinite(seconds):
        return "?"
    whole = int(round(max(seconds, 0.0)))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class RunProgress:
    """Counts finished runs and estimates the time left from the runs finished so far.

    The estimate is the wall time per freshly finished run (runs read from the cache take no
    time) times the runs still to do, so parallel jobs are accounted for; it is unknown until
    the first run finishes.

    Args:
        total: runs in the plan (cached ones included).
        stream: where lines go (default ``sys.stdout``).
        bar: draw a ``tqdm`` bar (default: when ``stream`` is a terminal and tqdm is
            installed); run lines are then written above the bar.
        clock: a monotonic clock in seconds (tests pass their own).
    """

    def __init__(
        self,
        total: int,
        *,
        stream: TextIO | None = None,
        bar: bool | None = None,
        clock: Any = time.monotonic,
    ) -> None:
        self.total = total
        self.stream = sys.stdout if stream is None else stream
        self.clock = clock
        self.start = clock()
        self.done = 0
        self.fresh = 0
        self._bar = None
        if bar is None:
            bar = bool(getattr(self.stream, "isatty", lambda: False)())
        if bar:
            try:
                from tqdm import tqdm
            except ImportError:  # the recipes extra brings it; plain lines without it
                tqdm = None
            if tqdm is not None:
                self._bar = tqdm(total=total, unit="run", file=self.stream, dynamic_ncols=True,
                                 bar_format="{l_bar}{bar}| {n}/{total} runs [{elapsed}<{postfix}]")
                self._bar.set_postfix_str("estimating", refresh=True)

    def elapsed(self) -> float:
        return self.clock() - self.start

    def remaining(self) -> float:
        """Estimated seconds left (NaN before the first fresh run finishes)."""
        if self.fresh == 0:
            return math.nan if self.done < self.total else 0.0
        return self.elapsed() / self.fresh * (self.total - self.done)

    def status(self) -> str:
        left = self.remaining()
        text = "estimating" if not math.isfinite(left) else f"~{format_duration(left)} left"
        return f"[{self.done}/{self.total}] {format_duration(self.elapsed())} elapsed, {text}"

    def finished(self, line: str, *, cached: bool = False) -> None:
        """Count one finished (or cached) run and show ``line`` with the progress."""
        self.done += 1
        self.fresh += not cached
        if self._bar is None:
            print(f"{self.status()}: {line}", file=self.stream, flush=True)
            return
        self._bar.write(f"[{self.done}/{self.total}] {line}", file=self.stream)
        left = self.remaining()
        self._bar.set_postfix_str(
            "estimating" if not math.isfinite(left) else f"~{format_duration(left)} left", refresh=False
        )
        self._bar.update(1)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
