"""`cohere`: Cohere Rerank through the `cohere` SDK, under a request budget, with retries,
an on-disk cache (never billed twice) and a call-log row for every attempt.

The key, budget, retries and billing are Cohere's for any endpoint (tasks.calls.cohere_client);
here: a query's candidates cut into requests, answers checked (tasks.rerank.cohere_answer),
and what was bought reused (the batch's journal, the cache).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from config.settings import CohereSettings
from tasks.calls.answer_cache import AnswerCache
from tasks.calls.cohere_client import CohereAccess, CohereAuthError
from tasks.calls.journal import CallJournal
from tasks.errors import one_line
from tasks.rerank.base import RerankResult, call_row, require
from tasks.rerank.cache import cache_key
from tasks.rerank.cohere_answer import answer_scores
from tasks.types import Hit


class CohereReranker:
    backend = "cohere"

    def __init__(self, model: str, settings: CohereSettings, cache: AnswerCache | None) -> None:
        cohere = require("cohere", "cohere", self.backend)
        self.model = model
        self._settings = settings
        self._cache = cache
        self._access = CohereAccess(cohere, settings)
        self._pool = ThreadPoolExecutor(settings.max_in_flight, thread_name_prefix="cohere")

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
                scores, why = self._request(qid, query, chunk, key, rows, journal)
                if why is not None:
                    return why
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
    ) -> tuple[np.ndarray | None, str | None]:
        """One request with retries: its validated scores, or why it failed."""
        s = self._settings

        def send(client: Any, options: dict[str, Any]) -> Any:
            return client.rerank(
                model=self.model,
                query=query,
                documents=[h.text for h in chunk],
                top_n=s.top_n,
                max_tokens_per_doc=s.max_tokens_per_doc,
                request_options=options,
            )

        def keep(row: dict[str, Any], scores: np.ndarray | None) -> None:
            rows.append(row)
            self._keep(row, key, scores, journal)

        return self._access.call(
            lambda: call_row(self.backend, self.model, qid, query, chunk, datetime.now(UTC)),
            send,
            lambda response: answer_scores(getattr(response, "results", None), len(chunk), s.top_n),
            keep,
        )

    def _keep(
        self, row: dict[str, Any], key: str, scores: np.ndarray | None, journal: CallJournal | None
    ) -> None:
        """On record now: the attempt in the journal, a valid answer in the cache too."""
        if journal is not None and journal.record(row, key, scores):
            row["journaled"] = True  # the batch's own part leaves it out
        if scores is not None and self._cache:
            row.update(key=key, scores=scores, cache_part=self._cache.put_many({key: scores}))


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
