"""One API key's gate: until an answer shows the key is accepted, requests go one at a time,
so a refused key costs one request, not one per thread; once refused, nothing more is sent."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class KeyGate:
    """Thread-safe; `hold()` around each request, `accept()` or `refuse()` inside it."""

    def __init__(self) -> None:
        self._accepted = threading.Event()
        self._probe = threading.Lock()
        self.refusal: Exception | None = None

    @contextmanager
    def hold(self) -> Iterator[None]:
        """Around one request: raises the refusal when the key was refused; waits for the
        probing request while the key is unproven, then goes alone (or, accepted meanwhile,
        along with the others)."""
        if self.refusal is not None:
            raise self.refusal
        if self._accepted.is_set():
            yield
            return
        with self._probe:
            if self.refusal is not None:  # refused while this thread waited its turn
                raise self.refusal
            if not self._accepted.is_set():
                yield  # the probe: the next request waits for its answer
                return
        yield

    def accept(self) -> None:
        """An answer came back, whatever its status but a refusal: the key is good."""
        self._accepted.set()

    def refuse(self, error: Exception) -> Exception:
        """The key was refused: every later request raises the first refusal, which is
        returned."""
        if self.refusal is None:
            self.refusal = error
        return self.refusal
