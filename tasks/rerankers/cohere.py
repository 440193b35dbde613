"""`cohere`: Cohere Rerank through the `cohere` SDK, under a request budget, with retries,
an on-disk cache (never billed twice) and a call-log row for every attempt.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import numpy as np

from config.settings import CohereSettings
from tasks.rerank_cache import RerankCache, cache_key
from tasks.rerankers.base import RerankResult, call_row, require
from tasks.rerankers.ratelimit import RequestBudget, prefect_server_configured
from tasks.types import Hit

# Worth another try: rate limited, server-side trouble, or no answer at all (status None).
RETRYABLE = {408, 429, 500, 502, 503, 504}
BACKOFF_BASE_S = 0.5
BACKOFF_CAP_S = 30.0


class CohereAuthError(RuntimeError):
    """The key was refused: every further call would fail too, so the run stops."""


def resolve_api_key(settings: CohereSettings) -> str:
    if settings.api_key_secret:
        from prefect.blocks.system import Secret

        try:
            value = Secret.load(settings.api_key_secret).get()
        except ValueError as exc:
            raise ValueError(
                f"reranker.cohere.api_key_secret: no Prefect Secret block "
                f"'{settings.api_key_secret}' ({type(exc).__name__})"
            ) from None
        return str(value)
    key = os.environ.get("CO_API_KEY")
    if not key:
        raise ValueError(
            "the cohere reranker needs an API key: set CO_API_KEY, or name a Prefect Secret "
            "block in reranker.cohere.api_key_secret"
        )
    return key


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


@dataclass
class _QueryOutcome:
    scores: np.ndarray | None
    failure: str | None = None
    calls: list[dict[str, Any]] = field(default_factory=list)


class CohereReranker:
    backend = "cohere"

    def __init__(self, model: str, settings: CohereSettings, cache: RerankCache | None) -> None:
        cohere = require("cohere", "cohere", self.backend)
        self.model = model
        self._settings = settings
        self._cache = cache
        self._key = resolve_api_key(settings)
        self._client = cohere.ClientV2(
            api_key=self._key,
            base_url=settings.base_url or os.environ.get("CO_API_URL"),
            timeout=settings.timeout_s,
            client_name="rerankflow",
        )
        self.global_limit = settings.global_limit if prefect_server_configured() else None
        self._budget = RequestBudget(
            settings.requests_per_minute,
            settings.rate_window_s,
            settings.max_in_flight,
            self.global_limit,
        )
        self._pool = ThreadPoolExecutor(settings.max_in_flight, thread_name_prefix="cohere")
        self._rng = random.Random()

    @property
    def params(self) -> dict[str, Any]:
        """What, besides model, query and candidates, changes the scores (the cache key)."""
        return {
            "top_n": self._settings.top_n,
            "max_tokens_per_doc": self._settings.max_tokens_per_doc,
        }

    def rerank(
        self, qids: Sequence[str], queries: Sequence[str], candidates: Sequence[Sequence[Hit]]
    ) -> RerankResult:
        result = RerankResult(scores=[None] * len(qids))
        keys = [
            cache_key(self.backend, self.model, self.params, q, h)
            for q, h in zip(queries, candidates, strict=True)
        ]
        cached = self._cache.get_many(keys) if self._cache else {}
        todo: list[tuple[int, Future[_QueryOutcome]]] = []
        for i, (qid, query, hits) in enumerate(zip(qids, queries, candidates, strict=True)):
            hit = cached.get(keys[i])
            if hit is not None and len(hit) == len(hits):
                result.scores[i] = hit
                result.cache_hits += 1
                result.calls.append(
                    {
                        **call_row(self.backend, self.model, qid, query, hits, datetime.now(UTC)),
                        "attempt": 0,
                        "cache_hit": True,
                        "search_units": 0,
                        "latency_s": 0.0,
                    }
                )
            else:
                todo.append((i, self._pool.submit(self._rerank_query, qid, query, hits)))
        result.cache_misses = len(todo)
        fresh: dict[str, np.ndarray] = {}
        try:
            for i, future in todo:
                outcome = future.result()
                result.calls.extend(outcome.calls)
                if outcome.scores is None:
                    result.failures[i] = outcome.failure or "failed"
                else:
                    result.scores[i] = outcome.scores
                    fresh[keys[i]] = outcome.scores
        except BaseException:
            for _, future in todo:
                future.cancel()
            raise
        finally:
            # Whatever was paid for is kept, even when the batch stops on a fatal error.
            if self._cache:
                self._cache.put_many(fresh)
        return result

    def _rerank_query(self, qid: str, query: str, hits: Sequence[Hit]) -> _QueryOutcome:
        """All of a query's candidates, in as few requests as the per-request limit allows."""
        scores = np.full(len(hits), -np.inf)  # beyond top_n Cohere returns nothing: rank last
        outcome = _QueryOutcome(scores=scores)
        size = self._settings.max_documents_per_request
        for offset in range(0, len(hits), size):
            chunk = hits[offset : offset + size]
            response, failure = self._request(qid, query, chunk, outcome.calls)
            if response is None:
                return _QueryOutcome(scores=None, failure=failure, calls=outcome.calls)
            for item in response.results:
                scores[offset + item.index] = item.relevance_score
        return outcome

    def _request(
        self, qid: str, query: str, chunk: Sequence[Hit], calls: list[dict[str, Any]]
    ) -> tuple[Any, str | None]:
        """One request with retries; returns (response, None) or (None, why it failed)."""
        import httpx
        from cohere.core.api_error import ApiError

        s = self._settings
        # Retry time runs from the first attempt, not from the wait for budget before it.
        deadline: float | None = None
        options = {"max_retries": 0, "timeout_in_seconds": s.timeout_s}  # retries are ours
        for attempt in range(1, s.max_attempts + 1):
            row = call_row(self.backend, self.model, qid, query, chunk, datetime.now(UTC))
            row.update(attempt=attempt, http_status=None, error=None)
            wait = None
            with self._budget.request():
                row["started_at"] = datetime.now(UTC)
                t0 = time.perf_counter()
                if deadline is None:
                    deadline = time.monotonic() + s.max_retry_seconds
                try:
                    response = self._client.rerank(
                        model=self.model,
                        query=query,
                        documents=[h.text for h in chunk],
                        top_n=s.top_n,
                        max_tokens_per_doc=s.max_tokens_per_doc,
                        request_options=options,
                    )
                except ApiError as exc:
                    row["http_status"] = exc.status_code
                    row["error"] = self._redact(f"HTTP {exc.status_code}: {_message(exc.body)}")
                    wait = retry_after_seconds(exc.headers)
                except (httpx.TimeoutException, httpx.TransportError) as exc:
                    row["error"] = self._redact(f"{type(exc).__name__}: {exc}")
                else:
                    row.update(http_status=200, **_billing(response))
                row["latency_s"] = time.perf_counter() - t0
            calls.append(row)
            status = row.get("http_status")
            if status == 200:
                return response, None
            if status in (401, 403):
                raise CohereAuthError(f"Cohere refused the API key: {row['error']}")
            if status is not None and status not in RETRYABLE:
                return None, row["error"]
            if wait is None:
                wait = backoff_seconds(attempt, self._rng)
            if attempt == s.max_attempts or time.monotonic() + wait > (deadline or 0.0):
                return None, f"gave up after {attempt} attempt(s): {row['error']}"
            time.sleep(wait)
        raise AssertionError("unreachable: the loop returns on its last attempt")

    def _redact(self, text: str) -> str:
        return text.replace(self._key, "***") if self._key else text


def _message(body: Any) -> str:
    if isinstance(body, Mapping) and "message" in body:
        return str(body["message"])
    return str(body)[:300]


def _billing(response: Any) -> dict[str, Any]:
    meta = getattr(response, "meta", None)
    units = getattr(getattr(meta, "billed_units", None), "search_units", None)
    tokens = getattr(getattr(meta, "tokens", None), "input_tokens", None)
    return {
        "search_units": int(units) if units is not None else None,
        "input_tokens": int(tokens) if tokens is not None else None,
    }
