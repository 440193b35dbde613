"""`cohere`: Cohere Rerank through the `cohere` SDK, under a request budget, with retries,
an on-disk cache (never billed twice) and a call-log row for every attempt.
"""

from __future__ import annotations

import logging
import math
import os
import random
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import numpy as np

from config.settings import CohereSettings
from tasks.calls.calllog import new_call_id
from tasks.calls.journal import CallJournal
from tasks.calls.ratelimit import RequestBudget, limiter_db, prefect_server_configured
from tasks.errors import NotReadyError, one_line
from tasks.rerank.base import RerankResult, call_row, require
from tasks.rerank.cache import RerankCache, cache_key
from tasks.types import Hit

# Worth another try: rate limited, server-side trouble, or no answer at all (status None).
RETRYABLE = {408, 429, 500, 502, 503, 504}
BACKOFF_BASE_S = 0.5
BACKOFF_CAP_S = 30.0
MISSING_KEY = (
    "the cohere reranker needs an API key: set CO_API_KEY, or name a Prefect Secret block "
    "in reranker.cohere.api_key_secret"
)

log = logging.getLogger(__name__)


class CohereAuthError(NotReadyError):
    """The key was refused: every further call would fail too, so the run stops."""


class InvalidAnswer(ValueError):
    """A 200 whose body does not answer the request that was sent."""


def resolve_api_key(settings: CohereSettings) -> str:
    if settings.api_key_secret:
        from prefect.blocks.system import Secret

        try:
            value = Secret.load(settings.api_key_secret).get()
        except ValueError as exc:
            raise NotReadyError(
                f"reranker.cohere.api_key_secret: no Prefect Secret block "
                f"'{settings.api_key_secret}' ({type(exc).__name__}); create it "
                f"(Secret(value=...).save('{settings.api_key_secret}')) or unset the setting "
                "and set CO_API_KEY"
            ) from None
        if not value:
            raise NotReadyError(
                f"reranker.cohere.api_key_secret: Prefect Secret block "
                f"'{settings.api_key_secret}' is empty; save the key in it"
            )
        return str(value)
    key = os.environ.get("CO_API_KEY")
    if not key:
        raise NotReadyError(MISSING_KEY)
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


def answer_scores(results: Any, n_documents: int, top_n: int | None) -> np.ndarray:
    """A request's scores from Cohere's `results`, checked against what was asked: one result
    per document (or top_n of them), every index in range and seen once, every score finite.
    Documents left out by top_n score -inf (ranked last). Raises InvalidAnswer otherwise."""
    if not isinstance(results, Sequence) or isinstance(results, str | bytes):
        raise InvalidAnswer(f"no list of results ({type(results).__name__})")
    expected = min(top_n, n_documents) if top_n else n_documents
    if len(results) != expected:
        raise InvalidAnswer(f"{len(results)} results for {n_documents} documents, {expected} asked")
    scores = np.full(n_documents, -np.inf)
    seen: set[int] = set()
    for item in results:
        index, score = _field(item, "index"), _field(item, "relevance_score")
        if not _is_int(index) or not 0 <= index < n_documents:
            raise InvalidAnswer(f"index {index!r} outside 0..{n_documents - 1}")
        if index in seen:
            raise InvalidAnswer(f"index {index} answered twice")
        if not _is_number(score) or not math.isfinite(score):
            raise InvalidAnswer(f"relevance_score {score!r} of index {index} is not a number")
        seen.add(index)
        scores[index] = float(score)
    return scores


def _field(item: Any, name: str) -> Any:
    return item.get(name) if isinstance(item, Mapping) else getattr(item, name, None)


def _is_int(value: Any) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | np.number) and not isinstance(value, bool)


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
            limiter_db(settings.limiter_dir, self._key),
        )
        self._pool = ThreadPoolExecutor(settings.max_in_flight, thread_name_prefix="cohere")
        self._rng = random.Random()
        # Until one answer shows the key is accepted, requests go one at a time: a refused key
        # costs one request, not one per thread; once refused, nothing more is sent.
        self._key_checked = threading.Event()
        self._key_probe = threading.Lock()
        self._refused: CohereAuthError | None = None

    @property
    def params(self) -> dict[str, Any]:
        """What, besides model, query and candidates, changes the scores (the cache key)."""
        return {
            "top_n": self._settings.top_n,
            "max_tokens_per_doc": self._settings.max_tokens_per_doc,
        }

    def _chunks(self, hits: Sequence[Hit]) -> list[Sequence[Hit]]:
        size = self._settings.max_documents_per_request
        return [hits[o : o + size] for o in range(0, len(hits), size)]

    def rerank(
        self,
        qids: Sequence[str],
        queries: Sequence[str],
        candidates: Sequence[Sequence[Hit]],
        journal: CallJournal | None = None,
    ) -> RerankResult:
        """Scores for the batch. Answers already bought (the batch's journal, the cache) are
        reused; each new answer is journaled and cached the moment it arrives. A refused key
        or an unexpected error stops the batch: requests in flight finish (they are paid for),
        the queries not done are failures, and the error is returned in `fatal`."""
        result = RerankResult(scores=[None] * len(qids))
        # One cache key per request (a query's candidates in chunks of the per-request limit):
        # the unit that is paid for, so a query cut short keeps the chunks it bought.
        keys = [
            [cache_key(self.backend, self.model, self.params, q, c) for c in self._chunks(h)]
            for q, h in zip(queries, candidates, strict=True)
        ]
        known = journal.answers() if journal else {}
        if self._cache:
            known.update(self._cache.get_many([k for ks in keys for k in ks if k not in known]))
        todo: list[tuple[int, Future[np.ndarray | str], list[dict[str, Any]]]] = []
        for i, (qid, query, hits) in enumerate(zip(qids, queries, candidates, strict=True)):
            chunks = self._chunks(hits)
            if all(_fits(known.get(k), c) for k, c in zip(keys[i], chunks, strict=True)):
                result.scores[i] = _assemble([known[k] for k in keys[i]], len(hits))
                if not hits:
                    continue  # nothing to score, nothing asked
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
                continue
            rows: list[dict[str, Any]] = []
            future = self._pool.submit(
                self._rerank_query, qid, query, hits, keys[i], known, rows, journal
            )
            todo.append((i, future, rows))
        result.cache_misses = len(todo)
        cache_parts: list[Path] = []
        try:
            for i, future, rows in todo:
                try:
                    outcome = future.result()
                except CancelledError:
                    outcome = f"not sent: the batch stopped ({_reason(result.fatal)})"
                except Exception as exc:  # noqa: BLE001 - kept, and re-raised by the caller
                    if result.fatal is None:
                        result.fatal = exc
                        for _, other, _ in todo:
                            other.cancel()  # not started: not paid for; in flight: finishes
                    outcome = _reason(exc)
                result.calls.extend(rows)
                if isinstance(outcome, str):
                    result.failures[i] = outcome
                else:
                    result.scores[i] = outcome
                cache_parts.extend(r["cache_part"] for r in rows if r.get("cache_part"))
        except BaseException:
            for _, future, _ in todo:
                future.cancel()
            raise
        finally:
            self._compact_cache(cache_parts, [r for _, _, rows in todo for r in rows])
        return result

    def _compact_cache(self, parts: list[Path], rows: list[dict[str, Any]]) -> None:
        """The batch's one-answer cache parts folded into one (written before they go)."""
        if not self._cache or len(parts) < 2:
            return
        fresh = {r["key"]: r["scores"] for r in rows if r.get("cache_part")}
        self._cache.put_many(fresh)
        for part in parts:
            part.unlink(missing_ok=True)

    def _rerank_query(
        self,
        qid: str,
        query: str,
        hits: Sequence[Hit],
        keys: list[str],
        known: Mapping[str, np.ndarray],
        rows: list[dict[str, Any]],
        journal: CallJournal | None,
    ) -> np.ndarray | str:
        """All of a query's candidates, in as few requests as the per-request limit allows;
        its scores, or why it failed. Chunks bought before are not bought again."""
        parts = []
        for key, chunk in zip(keys, self._chunks(hits), strict=True):
            scores = known.get(key)
            if not _fits(scores, chunk):
                scores = self._request(qid, query, chunk, key, rows, journal)
                if isinstance(scores, str):
                    return scores
            parts.append(scores)
        return _assemble(parts, len(hits))

    def _request(
        self,
        qid: str,
        query: str,
        chunk: Sequence[Hit],
        key: str,
        rows: list[dict[str, Any]],
        journal: CallJournal | None,
    ) -> np.ndarray | str:
        """One request with retries: its validated scores, or why it failed."""
        s = self._settings
        # Retry time runs from the first attempt, not from the wait for budget before it.
        deadline: float | None = None
        for attempt in range(1, s.max_attempts + 1):
            row, scores, wait = self._attempt(qid, query, chunk, attempt)
            if deadline is None:
                deadline = time.monotonic() - row["latency_s"] + s.max_retry_seconds
            rows.append(row)
            self._keep(row, key, scores, journal)
            if scores is not None:
                return scores
            status = row["http_status"]
            if status in (401, 403):
                raise self._refused or CohereAuthError(_refused_message(row["error"]))
            invalid = status is not None and 200 <= status < 300
            if status is not None and not invalid and status not in RETRYABLE:
                return row["error"]
            if wait is None:
                wait = backoff_seconds(attempt, self._rng)
            if attempt == s.max_attempts or time.monotonic() + wait > deadline:
                return f"gave up after {attempt} attempt(s): {row['error']}"
            time.sleep(wait)
        raise AssertionError("unreachable: the loop returns on its last attempt")

    def _attempt(
        self, qid: str, query: str, chunk: Sequence[Hit], attempt: int
    ) -> tuple[dict[str, Any], np.ndarray | None, float | None]:
        """One HTTP request: its call-log row, its scores when the answer is valid, and how
        long the server asked us to wait (Retry-After)."""
        import httpx
        from cohere.core.api_error import ApiError

        s = self._settings
        row = call_row(self.backend, self.model, qid, query, chunk, datetime.now(UTC))
        row.update(attempt=attempt, http_status=None, error=None, call_id=new_call_id())
        row.update(search_units=None, input_tokens=None)
        scores, wait = None, None
        options = {"max_retries": 0, "timeout_in_seconds": s.timeout_s}  # retries are ours
        with self._key_gate(), self._budget.request():
            row["started_at"] = datetime.now(UTC)
            t0 = time.perf_counter()
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
                if exc.status_code is not None and 200 <= exc.status_code < 300:
                    # The SDK raises this for a success status whose body is not JSON.
                    row["error"] = f"invalid answer (HTTP {exc.status_code}): body is not JSON"
                else:
                    row["error"] = f"HTTP {exc.status_code}: {_message(exc.body)}"
                    wait = retry_after_seconds(exc.headers)
            except (httpx.TimeoutException, httpx.TransportError) as exc:
                row["error"] = f"{type(exc).__name__}: {exc}"
            else:
                row.update(http_status=200, **_billing(response))
                try:
                    scores = answer_scores(getattr(response, "results", None), len(chunk), s.top_n)
                except InvalidAnswer as exc:
                    row["error"] = f"invalid answer (HTTP 200): {exc}"
            row["latency_s"] = time.perf_counter() - t0
        if row["error"] is not None:
            row["error"] = self._redact(one_line(row["error"]))
        if row["http_status"] in (401, 403):
            self._refused = self._refused or CohereAuthError(_refused_message(row["error"]))
        elif row["http_status"] is not None:
            self._key_checked.set()
        return row, scores, wait

    def _key_gate(self):
        """Held around a request while the key is unproven (see __init__)."""
        if self._refused is not None:
            raise self._refused
        if self._key_checked.is_set():
            return _NoGate()
        return _ProbeGate(self)

    def _keep(
        self, row: dict[str, Any], key: str, scores: np.ndarray | None, journal: CallJournal | None
    ) -> None:
        """On record now: the attempt in the journal, a valid answer in the cache too."""
        if journal is not None and journal.record(row, key, scores):
            row["journaled"] = True  # the batch's own part leaves it out
        if scores is not None and self._cache:
            row.update(key=key, scores=scores, cache_part=self._cache.put_many({key: scores}))

    def _redact(self, text: str) -> str:
        return text.replace(self._key, "***") if self._key else text


class _NoGate:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


class _ProbeGate:
    def __init__(self, owner: CohereReranker) -> None:
        self._owner = owner

    def __enter__(self) -> None:
        self._owner._key_probe.acquire()
        if self._owner._refused is not None:  # refused while this thread waited its turn
            self._owner._key_probe.release()
            raise self._owner._refused
        if self._owner._key_checked.is_set():
            self._owner._key_probe.release()
            self._owner = None  # type: ignore[assignment]

    def __exit__(self, *exc: object) -> None:
        if self._owner is not None:
            self._owner._key_probe.release()


def _refused_message(error: str | None) -> str:
    return (
        f"Cohere refused the API key ({error}): set a valid key in CO_API_KEY or in the Secret "
        "block named by reranker.cohere.api_key_secret, then rerankflow run --resume RUN_ID"
    )


def _reason(exc: BaseException | None) -> str:
    if exc is None:
        return "stopped"
    if isinstance(exc, CohereAuthError):
        return one_line(exc)
    return f"{type(exc).__name__}: {one_line(exc)}"


def _fits(scores: np.ndarray | None, chunk: Sequence[Hit]) -> bool:
    return scores is not None and len(scores) == len(chunk)


def _assemble(parts: list[np.ndarray], n: int) -> np.ndarray:
    return np.concatenate(parts) if parts else np.empty(n, dtype=np.float64)


def _message(body: Any) -> str:
    if isinstance(body, Mapping) and "message" in body:
        return str(body["message"])
    return str(body)[:300]


def _billing(response: Any) -> dict[str, Any]:
    """Billed units and input tokens as reported; kept even when the answer is invalid (it may
    have been billed). Anything that is not a finite number is left out."""
    meta = getattr(response, "meta", None)
    units = _field(_field(meta, "billed_units"), "search_units")
    tokens = _field(_field(meta, "tokens"), "input_tokens")
    return {
        "search_units": _count(units),
        "input_tokens": _count(tokens),
    }


def _count(value: Any) -> int | None:
    if _is_number(value) and math.isfinite(value) and value >= 0:
        return int(value)
    return None
