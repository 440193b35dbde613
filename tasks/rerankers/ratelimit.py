"""Request budget for a rate-limited API: in-process pacing, in-flight cap, and a Prefect
global concurrency limit shared by every worker process when a server is configured.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from pyrate_limiter import Limiter, Rate

# Requests leave the client a little before they reach the server: count the window slightly
# long so network jitter cannot squeeze one request too many into the server's window.
WINDOW_MARGIN_S = 0.25
# pyrate-limiter sleeps this long past the computed wait before trying again (default 50 ms).
LIMITER_BUFFER_MS = 1
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


class RequestBudget:
    """Blocks each request until the in-flight cap, the local pace and the shared rate allow."""

    def __init__(
        self,
        requests: int,
        window_s: float,
        max_in_flight: int,
        global_limit: str | None,
    ) -> None:
        self._limiter = Limiter(local_rates(requests, window_s), buffer_ms=LIMITER_BUFFER_MS)
        self._in_flight = threading.BoundedSemaphore(max_in_flight)
        self._global_limit = global_limit

    @contextmanager
    def request(self) -> Iterator[None]:
        with self._in_flight:
            self._limiter.try_acquire("requests", blocking=True)
            if self._global_limit:
                from prefect.concurrency.sync import rate_limit

                # strict: a limit deleted under a running flow is an error, not a free pass.
                rate_limit(self._global_limit, occupy=1, strict=True)
            yield
