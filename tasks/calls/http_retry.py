"""When to try an HTTP request again, and how long to wait first: the retry policy of every
paid API call (the server's Retry-After when it gives one, else exponential backoff)."""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

# Worth another try: rate limited, server-side trouble, or no answer at all (status None).
RETRYABLE = {408, 429, 500, 502, 503, 504}
# The key was refused: every further call would fail too.
REFUSED = {401, 403}
BACKOFF_BASE_S = 0.5
BACKOFF_CAP_S = 30.0


def retry_after_seconds(headers: Mapping[str, str] | None) -> float | None:
    """Seconds to wait from a Retry-After (seconds or HTTP date) or retry-after-ms header."""
    if not headers:
        return None
    lower = {k.lower(): v for k, v in headers.items()}
    try:
        if "retry-after-ms" in lower:
            return max(0.0, float(lower["retry-after-ms"]) / 1000)
        if "retry-after" in lower:
            value = lower["retry-after"]
            try:
                return max(0.0, float(value))
            except ValueError:
                return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError):
        return None
    return None


def backoff_seconds(attempt: int, rng: random.Random) -> float:
    """Exponential backoff with jitter, so retrying workers do not stampede together."""
    return min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2 ** (attempt - 1)) * rng.uniform(0.5, 1.0)


def worth_retrying(status: int | None) -> bool:
    """A failed attempt another try may fix: no answer, a retryable status, or a success status
    whose body did not answer the request (an invalid answer)."""
    return status is None or status in RETRYABLE or 200 <= status < 300
