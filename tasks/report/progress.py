"""Progress of long work as lines a person reads: done/total, rate, ETA.

One `Progress` per loop (documents embedded, queries retrieved, batches reranked); the loop calls
`advance` once per step. A line is logged when another 10% is done or 30 s have passed since the
last one, and when the work ends: a few lines on a short job, a steady pulse on an hour-long
one, never one per batch. Inside a Prefect flow or task run the lines go to its run logger, so
the terminal and the run's logs in the UI show the same lines.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

EVERY_FRACTION = 0.1
EVERY_SECONDS = 30.0

log = logging.getLogger(__name__)


def run_logger() -> logging.Logger | logging.LoggerAdapter:
    """The current Prefect run's logger (terminal and the run's logs), else this module's."""
    from prefect import get_run_logger
    from prefect.exceptions import MissingContextError

    try:
        return get_run_logger()
    except MissingContextError:  # a plain call: a test, a script
        return log


def duration(seconds: float) -> str:
    """`42 s`, `3 min 05 s`, `1 h 02 min`: as precise as a person needs."""
    s = max(0, round(seconds))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"


class Progress:
    """Counts `done` of `total` `unit`s of `what`, and logs a line at a readable pace."""

    def __init__(
        self,
        what: str,
        total: int,
        unit: str,
        logger: logging.Logger | logging.LoggerAdapter | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.what, self.total, self.unit = what, total, unit
        self.logger = logger if logger is not None else run_logger()
        self.clock = clock
        self.done = 0
        self.started = self._last_time = clock()
        self._last_done = 0

    def line(self) -> str:
        """`indexing: 128/302 documents (42%), 15.2 documents/s, ETA 11 s`."""
        elapsed = self.clock() - self.started
        rate = self.done / elapsed if elapsed > 0 else 0.0
        share = f" ({100 * self.done / self.total:.0f}%)" if self.total else ""
        head = f"{self.what}: {self.done:,}/{self.total:,} {self.unit}{share}"
        # Two significant digits below 1/s: a slow reranker's 0.028 batches/s is not 0.0.
        head += f", {rate:.1f} {self.unit}/s" if rate >= 1 else f", {rate:.2g} {self.unit}/s"
        if self.done >= self.total:
            return f"{head}, {duration(elapsed)} in all"
        if rate == 0:
            return head
        return f"{head}, ETA {duration((self.total - self.done) / rate)}"

    def advance(self, n: int = 1) -> None:
        """`n` more done; log a line if 10% more or 30 s passed since the last, or at the end."""
        self.done += n
        now = self.clock()
        finished = self.done >= self.total
        step = self.total and (self.done - self._last_done) / self.total >= EVERY_FRACTION
        if finished or step or now - self._last_time >= EVERY_SECONDS:
            self.logger.info("%s", self.line())
            self._last_time, self._last_done = now, self.done
