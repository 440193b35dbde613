"""Access to Cohere's API under one key, for any endpoint (rerank, embed): the key (environment
or a Prefect Secret block), the SDK client, the request budget, the key gate, and one call with
its retries, each attempt a call-log row with its billing as reported.

What an endpoint adds: the request it sends and how its answer is checked (`parse`, raising
InvalidAnswer for a 200 that does not answer); see tasks.rerank.cohere and tasks.embed.cohere.
"""

from __future__ import annotations

import math
import os
import random
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from types import ModuleType
from typing import Any, TypeVar

import numpy as np

from config.settings import CohereAccessSettings
from tasks.calls.calllog import new_call_id
from tasks.calls.http_retry import REFUSED, backoff_seconds, retry_after_seconds, worth_retrying
from tasks.calls.key_gate import KeyGate
from tasks.calls.ratelimit import RequestBudget, limiter_db, prefect_server_configured
from tasks.errors import NotReadyError, one_line

T = TypeVar("T")

# Where an endpoint's settings live in the profile: its messages name them.
RERANK_SECTION = "reranker.cohere"
EMBED_SECTION = "embedder.cohere"


def missing_key_message(section: str = RERANK_SECTION) -> str:
    role = section.split(".")[0]  # reranker, embedder
    return (
        f"the cohere {role} needs an API key: set CO_API_KEY, or name a Prefect Secret block "
        f"in {section}.api_key_secret"
    )


class CohereAuthError(NotReadyError):
    """The key was refused: every further call would fail too, so the run stops."""


class InvalidAnswer(ValueError):
    """A 200 whose body does not answer the request that was sent."""


def resolve_api_key(settings: CohereAccessSettings, section: str = RERANK_SECTION) -> str:
    """The key from the Secret block `{section}.api_key_secret` names, else CO_API_KEY."""
    if settings.api_key_secret:
        from prefect.blocks.system import Secret

        try:
            value = Secret.load(settings.api_key_secret).get()
        except ValueError as exc:
            raise NotReadyError(
                f"{section}.api_key_secret: no Prefect Secret block "
                f"'{settings.api_key_secret}' ({type(exc).__name__}); create it "
                f"(Secret(value=...).save('{settings.api_key_secret}')) or unset the setting "
                "and set CO_API_KEY"
            ) from None
        if not value:
            raise NotReadyError(
                f"{section}.api_key_secret: Prefect Secret block "
                f"'{settings.api_key_secret}' is empty; save the key in it"
            )
        return str(value)
    key = os.environ.get("CO_API_KEY")
    if not key:
        raise NotReadyError(missing_key_message(section))
    return key


def refused_message(error: str | None, section: str = RERANK_SECTION) -> str:
    return (
        f"Cohere refused the API key ({error}): set a valid key in CO_API_KEY or in the Secret "
        f"block named by {section}.api_key_secret, then rerankflow run --resume RUN_ID"
    )


class CohereAccess:
    """One key's client, budget and gate, shared by every request a backend sends."""

    def __init__(
        self,
        sdk: ModuleType,
        settings: CohereAccessSettings,
        endpoint: str = "rerank",
        section: str = RERANK_SECTION,
    ) -> None:
        """`sdk`: the imported `cohere` package (the backend checked it is installed);
        `endpoint`: what the budget is for (Cohere limits each endpoint apart), stamped on
        every call-log row; `section`: where its settings live, for the messages."""
        self.settings = settings
        self.endpoint = endpoint
        self.section = section
        self.key = resolve_api_key(settings, section)
        self.client = sdk.ClientV2(
            api_key=self.key,
            base_url=settings.base_url or os.environ.get("CO_API_URL"),
            timeout=settings.timeout_s,
            client_name="rerankflow",
        )
        # The Prefect limit shared by every worker needs a server; without one, pace locally.
        global_limit = settings.global_limit if prefect_server_configured() else None
        self.budget = RequestBudget(
            settings.requests_per_minute,
            settings.rate_window_s,
            settings.max_in_flight,
            global_limit,
            limiter_db(settings.limiter_dir, self.key, endpoint),
        )
        self.gate = KeyGate()
        self._rng = random.Random()

    def call(
        self,
        new_row: Callable[[], dict[str, Any]],
        send: Callable[[Any, dict[str, Any]], Any],
        parse: Callable[[Any], T],
        keep: Callable[[dict[str, Any], T | None], None],
    ) -> tuple[T | None, str | None]:
        """One request with retries: its parsed answer, or why it failed.

        `new_row()` starts an attempt's call-log row (the endpoint's fields); `send(client,
        options)` makes the SDK call; `keep(row, answer)` puts each attempt on record as it
        ends. Retry time runs from the first attempt, not from the wait for budget before it.
        A refused key raises CohereAuthError.
        """
        s = self.settings
        deadline: float | None = None
        for attempt in range(1, s.max_attempts + 1):
            row = {**new_row(), "endpoint": self.endpoint, "attempt": attempt}
            answer, wait = self.attempt(row, send, parse)
            if deadline is None:
                deadline = time.monotonic() - row["latency_s"] + s.max_retry_seconds
            keep(row, answer)
            if answer is not None:
                return answer, None
            status = row["http_status"]
            if status in REFUSED:
                raise self.gate.refuse(self.refusal(row["error"]))
            if not worth_retrying(status):
                return None, row["error"]
            if wait is None:
                wait = backoff_seconds(attempt, self._rng)
            if attempt == s.max_attempts or time.monotonic() + wait > deadline:
                return None, f"gave up after {attempt} attempt(s): {row['error']}"
            time.sleep(wait)
        raise AssertionError("unreachable: the loop returns on its last attempt")

    def attempt(
        self,
        row: dict[str, Any],
        send: Callable[[Any, dict[str, Any]], Any],
        parse: Callable[[Any], T],
    ) -> tuple[T | None, float | None]:
        """One HTTP request, under the key gate and the budget: fills the row (status, error,
        latency, billing) and returns the parsed answer when valid, and how long the server
        asked us to wait (Retry-After)."""
        import httpx
        from cohere.core.api_error import ApiError

        row.update(http_status=None, error=None, call_id=new_call_id())
        row.update(search_units=None, input_tokens=None, billed_tokens=None)
        answer, wait = None, None
        options = {"max_retries": 0, "timeout_in_seconds": self.settings.timeout_s}  # ours
        with self.gate.hold(), self.budget.request():
            row["started_at"] = datetime.now(UTC)
            t0 = time.perf_counter()
            try:
                response = send(self.client, options)
            except ApiError as exc:
                row["http_status"] = exc.status_code
                if exc.status_code is not None and 200 <= exc.status_code < 300:
                    # The SDK raises this for a success status whose body is not JSON.
                    row["error"] = f"invalid answer (HTTP {exc.status_code}): body is not JSON"
                else:
                    row["error"] = f"HTTP {exc.status_code}: {_message(exc.body)}"
                    wait = retry_after_seconds(exc.headers)
            except (httpx.TimeoutException, httpx.TransportError) as exc:
                row["error"] = f"{type(exc).__name__}: {exc}"
            else:
                row.update(http_status=200, **billing(response))
                try:
                    answer = parse(response)
                except InvalidAnswer as exc:
                    row["error"] = f"invalid answer (HTTP 200): {exc}"
            row["latency_s"] = time.perf_counter() - t0
            if row["error"] is not None:
                row["error"] = self.redact(one_line(row["error"]))
            # Still inside the gate: a request waiting its turn sees the verdict.
            if row["http_status"] in REFUSED:
                self.gate.refuse(self.refusal(row["error"]))
            elif row["http_status"] is not None:
                self.gate.accept()
        return answer, wait

    def refusal(self, error: str | None) -> CohereAuthError:
        return CohereAuthError(refused_message(error, self.section))

    def redact(self, text: str) -> str:
        return text.replace(self.key, "***") if self.key else text


def field_of(item: Any, name: str) -> Any:
    """A field of an SDK object or of a plain dict (the SDK's answers come as either)."""
    return item.get(name) if isinstance(item, Mapping) else getattr(item, name, None)


def is_number(value: Any) -> bool:
    return isinstance(value, int | float | np.number) and not isinstance(value, bool)


def billing(response: Any) -> dict[str, Any]:
    """Billed units and input tokens as reported; kept even when the answer is invalid (it may
    have been billed). Anything that is not a finite number is left out.

    Rerank bills search units, Embed billed input tokens (billed_units.input_tokens); `tokens`
    is what the model read, which may differ from what is billed."""
    meta = getattr(response, "meta", None)
    billed = field_of(meta, "billed_units")
    return {
        "search_units": _count(field_of(billed, "search_units")),
        "billed_tokens": _count(field_of(billed, "input_tokens")),
        "input_tokens": _count(field_of(field_of(meta, "tokens"), "input_tokens")),
    }


def _count(value: Any) -> int | None:
    if is_number(value) and math.isfinite(value) and value >= 0:
        return int(value)
    return None


def _message(body: Any) -> str:
    if isinstance(body, Mapping) and "message" in body:
        return str(body["message"])
    return str(body)[:300]
