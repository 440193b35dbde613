"""Request budget for a rate-limited API: pacing shared by every process on this host (a
SQLite log under a file lock), an in-flight cap, and a Prefect global concurrency limit shared
by every worker when a server is configured.
"""

from __future__ import annotations

import hashlib
import math
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pyrate_limiter import InMemoryBucket, Rate, RateItem, SQLiteBucket

# Requests leave the client a little before they reach the server: count the window slightly
# long so network jitter cannot squeeze one request too many into the server's window.
WINDOW_MARGIN_S = 0.25
# Sleep this long past the computed wait before trying again (pyrate-limiter's default: 50 ms).
LIMITER_BUFFER_MS = 1
# How often another process's hold on the bucket's file lock is checked (filelock: 50 ms).
FILE_LOCK_POLL_S = 0.001
# Entries older than every window are deleted after this many admissions.
LEAK_EVERY = 200
# Requests are let through in small groups about this far apart, not R at once then a stall.
PACE_GROUP_S = 0.5


def local_rates(requests: int, window_s: float) -> list[Rate]:
    """pyrate-limiter rates: at most `requests` per window (counted `WINDOW_MARGIN_S` long),
    released in groups of ~PACE_GROUP_S so the server sees a steady stream; a group of several
    requests spreads the limiter's per-acquire overhead (a millisecond or two) thin."""
    window_ms = math.ceil((window_s + WINDOW_MARGIN_S) * 1000)
    cap = Rate(requests, window_ms)
    group = math.ceil(PACE_GROUP_S * 1000 * requests / window_ms)
    if group >= requests:
        return [cap]
    # Rounded down: the short rate must be at least as generous as the cap (pyrate-limiter's
    # rule for rate lists); the cap is what keeps every window within the budget.
    return [Rate(group, group * window_ms // requests), cap]


def prefect_server_configured() -> bool:
    from prefect.settings import PREFECT_API_URL

    return bool(PREFECT_API_URL.value())


def leaky_bucket(requests: int, window_s: float) -> tuple[int, float]:
    """Prefect limit (burst) and slot decay per second that never exceed `requests` per window.

    A leaky bucket admits at most burst + decay * window requests in any window, so the burst
    is kept small (1% of the budget) and the decay takes the rest.
    """
    burst = max(1, requests // 100)
    # A budget of one request per window: the burst holds it, the slot drains over the window.
    return burst, (requests - burst) / window_s if requests > burst else 1 / window_s


def ensure_global_limit(name: str, requests: int, window_s: float) -> None:
    """Create the shared limit, or check an existing one matches this budget."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
    from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound

    burst, decay = leaky_bucket(requests, window_s)
    with get_client(sync_client=True) as client:
        try:
            found = client.read_global_concurrency_limit_by_name(name)
        except ObjectNotFound:
            try:
                client.create_global_concurrency_limit(
                    GlobalConcurrencyLimitCreate(
                        name=name, limit=burst, slot_decay_per_second=decay, active=True
                    )
                )
                return
            except ObjectAlreadyExists:
                # Another worker created it first: check it like any existing limit.
                found = client.read_global_concurrency_limit_by_name(name)
    if (
        found.limit != burst
        or not math.isclose(found.slot_decay_per_second or 0.0, decay, rel_tol=1e-6)
        or not found.active
    ):
        # Two workers on one key with different budgets would silently break both.
        raise ValueError(
            f"Prefect global concurrency limit '{name}' has limit={found.limit}, "
            f"slot_decay_per_second={found.slot_decay_per_second}, active={found.active}; "
            f"{requests} requests per {window_s:g} s needs limit={burst}, "
            f"slot_decay_per_second={decay:.6g}, active: update or delete it "
            f"(prefect gcl update/delete {name}) or use the same rate on every worker"
        )


def prepare_global_limit(name: str | None, requests: int, window_s: float) -> None:
    """Run-level set-up before an endpoint's first call: its shared limit, when there is one
    and a Prefect server to hold it (a request under a missing limit fails: strict)."""
    if name and prefect_server_configured():
        ensure_global_limit(name, requests, window_s)


def limiter_db(directory: Path | None, key: str, endpoint: str = "rerank") -> Path:
    """The host-wide request log of one API key's endpoint (each has a budget of its own):
    named by the key's hash, never the key. Rerank's keeps its first name (no suffix)."""
    root = Path(directory) if directory else Path(tempfile.gettempdir()) / "rerankflow-limits"
    root.mkdir(parents=True, exist_ok=True)
    suffix = "" if endpoint == "rerank" else f"-{endpoint}"
    return root / f"key-{hashlib.sha256(key.encode()).hexdigest()[:24]}{suffix}.sqlite"


class Pacer:
    """Blocks until `rates` admit one more request.

    With `db`, the log is pyrate-limiter's SQLite bucket behind a file lock: every process on
    this host that uses the same file (the same key) counts against the same rates, so two
    runs on one key without a Prefect server never exceed the budget together. Each attempt
    is stamped with the time it is made (pyrate-limiter's Limiter stamps a retry with its
    first stamp plus the sleeps, which lags the clock when a sleep or the lock runs long).
    """

    def __init__(self, rates: list[Rate], db: Path | None = None) -> None:
        self._local = threading.Lock()  # one thread of this process at the file lock at a time
        self._admitted = 0
        if db is None:
            self._bucket: InMemoryBucket | SQLiteBucket = InMemoryBucket(rates)
            self._file_lock = None
        else:
            self._bucket = SQLiteBucket.init_from_file(
                rates, table="requests", db_path=str(db), use_file_lock=True
            )
            self._file_lock = self._bucket.lock

    @contextmanager
    def _exclusive(self) -> Iterator[None]:
        if self._file_lock is None:
            yield
            return
        self._file_lock.acquire(poll_interval=FILE_LOCK_POLL_S)
        try:
            yield
        finally:
            self._file_lock.release()

    def acquire(self) -> None:
        with self._local:
            while True:
                with self._exclusive():
                    item = RateItem("requests", self._bucket.now())
                    if self._bucket.put(item):
                        self._admitted += 1
                        if self._admitted % LEAK_EVERY == 0:
                            self._bucket.leak(item.timestamp)
                        return
                    wait_ms = self._bucket.waiting(item)
                if wait_ms < 0:
                    raise ValueError("the request budget can never admit a request")
                time.sleep((wait_ms + LIMITER_BUFFER_MS) / 1000)


class RequestBudget:
    """Blocks each request until the in-flight cap, the local pace and the shared rate allow.

    `db`: the host-wide log file (`limiter_db`); None keeps the pace in this process only.
    """

    def __init__(
        self,
        requests: int,
        window_s: float,
        max_in_flight: int,
        global_limit: str | None,
        db: Path | None = None,
    ) -> None:
        self._pacer = Pacer(local_rates(requests, window_s), db)
        self._in_flight = threading.BoundedSemaphore(max_in_flight)
        self._global_limit = global_limit

    @contextmanager
    def request(self) -> Iterator[None]:
        with self._in_flight:
            self._pacer.acquire()
            if self._global_limit:
                from prefect.concurrency.sync import rate_limit

                # strict: a limit deleted under a running flow is an error, not a free pass.
                rate_limit(self._global_limit, occupy=1, strict=True)
            yield
