"""`cohere`: Cohere Embed through the `cohere` SDK's ClientV2.embed, under the same access as
Cohere Rerank (tasks.calls.cohere_client: key, budget, shared limit, key gate, retries, billing),
with a cache of the vectors it bought and a call-log row for every attempt.

Texts go in requests of at most 96 (Cohere's limit); each text's vector is cached under its
model, input type, output dimension and text, so a resumed run or a re-index never buys a
vector twice. An answer that does not answer (a vector short, the wrong length, a value that
is not a finite number) is a failed attempt: retried, logged, never a vector.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np

from config.settings import CohereEmbedSettings, EmbedderSettings
from tasks.calls.answer_cache import AnswerCache
from tasks.calls.calllog import EMBED
from tasks.calls.cohere_client import (
    EMBED_SECTION,
    CohereAccess,
    InvalidAnswer,
    field_of,
    is_number,
)
from tasks.calls.journal import CallJournal
from tasks.calls.ratelimit import prepare_global_limit
from tasks.errors import SettingsError
from tasks.rerank.base import MissingPackageError

InputType = Literal["search_query", "search_document"]
BACKEND = "cohere"

# Vector size of Cohere's embed models (docs.cohere.com, Embed models), for a collection's size
# before any call; embed-v4.0 also takes output_dimension 256, 512 or 1024.
MODEL_DIMENSIONS = {
    "embed-v4.0": 1536,
    "embed-english-v3.0": 1024,
    "embed-multilingual-v3.0": 1024,
    "embed-english-light-v3.0": 384,
    "embed-multilingual-light-v3.0": 384,
}


class EmbedFailed(RuntimeError):
    """Some texts have no vector after every retry: the stage cannot go on without them (the
    attempts are on the call log; a task retry or a resume asks only for the missing ones)."""


def cohere_dimension(settings: EmbedderSettings) -> int:
    """The vector size the settings ask for, known without a call."""
    dim = settings.cohere.output_dimension or MODEL_DIMENSIONS.get(settings.model or "")
    if dim is None:
        raise SettingsError(
            f"embedder.model '{settings.model}': its vector size is not known here; set "
            "embedder.cohere.output_dimension to the model's dimension"
        )
    return dim


def text_key(model: str, input_type: str, output_dimension: int | None, text: str) -> str:
    """Everything that decides one text's vector."""
    payload = {
        "backend": BACKEND,
        "model": model,
        "input_type": input_type,
        "output_dimension": output_dimension,
        "text": hashlib.sha256(text.encode("utf-8")).hexdigest(),
    }
    blob = json.dumps(payload, sort_keys=True).encode("utf-8")
    return hashlib.sha256(blob).hexdigest()


def answer_vectors(response: Any, n_texts: int, dim: int) -> np.ndarray:
    """The float vectors of an embed answer, checked against the request: one per text, each
    `dim` long, every value a finite number, none all zeros (it could not be normalised).
    Raises InvalidAnswer otherwise."""
    embeddings = field_of(response, "embeddings")
    vectors = getattr(embeddings, "float_", None) if embeddings is not None else None
    if vectors is None:
        vectors = field_of(embeddings, "float")
    if not isinstance(vectors, Sequence) or isinstance(vectors, str | bytes):
        raise InvalidAnswer(f"no float embeddings ({type(vectors).__name__})")
    if len(vectors) != n_texts:
        raise InvalidAnswer(f"{len(vectors)} embeddings for {n_texts} texts")
    for i, vector in enumerate(vectors):
        if not isinstance(vector, Sequence) or len(vector) != dim:
            size = len(vector) if isinstance(vector, Sequence) else type(vector).__name__
            raise InvalidAnswer(f"embedding {i} has {size} values, {dim} expected")
        if not all(is_number(v) and math.isfinite(v) for v in vector):
            raise InvalidAnswer(f"embedding {i} holds a value that is not a finite number")
    out = np.asarray(vectors, dtype=np.float64)
    if not np.all(np.linalg.norm(out, axis=1) > 0):
        raise InvalidAnswer("an embedding is all zeros")
    return out


class CohereEmbedder:
    """One model's embedder under one key: the access, the cache and a pool of requests."""

    def __init__(self, model: str, settings: CohereEmbedSettings, dim: int) -> None:
        try:
            import cohere
        except ImportError as exc:
            raise MissingPackageError(
                "embedder 'cohere' needs the 'cohere' package: pip install 'cohere'"
            ) from exc
        self.model = model
        self.dim = dim
        self._settings = settings
        self._access = CohereAccess(cohere, settings, endpoint=EMBED, section=EMBED_SECTION)
        # The shared Prefect limit, before the first call (once a process: get_embedder), so
        # every flow that retrieves (runs, FAQ refreshes, bake-offs) and `index` have it.
        prepare_global_limit(
            settings.global_limit, settings.requests_per_minute, settings.rate_window_s
        )
        self._cache = AnswerCache(settings.cache_dir) if settings.cache else None
        self._pool = ThreadPoolExecutor(settings.max_in_flight, thread_name_prefix="cohere-embed")

    def embed(
        self, texts: Sequence[str], input_type: InputType, journal: CallJournal | None = None
    ) -> np.ndarray:
        """Unit-normalised float32 vectors, one row per text. Vectors in the cache are not
        bought again; every attempt (and a row for the cache's share) goes to `journal`."""
        s = self._settings
        keys = [text_key(self.model, input_type, s.output_dimension, t) for t in texts]
        known = self._cache.get_many(keys) if self._cache else {}
        known = {k: v for k, v in known.items() if len(v) == self.dim}
        todo: dict[str, str] = {}  # key -> text, each text once
        for key, text in zip(keys, texts, strict=True):
            if key not in known:
                todo.setdefault(key, text)
        cached = [t for k, t in zip(keys, texts, strict=True) if k in known]
        if cached and journal is not None:
            row = {**self._row(cached), "attempt": 0, "cache_hit": True, "latency_s": 0.0}
            journal.record({**row, "billed_tokens": 0})
        items = list(todo.items())
        size = s.texts_per_request
        chunks = [items[o : o + size] for o in range(0, len(items), size)]
        parts: list[Path] = []  # this call's one-request cache parts
        futures: list[Future[dict[str, np.ndarray] | str]] = [
            self._pool.submit(self._request, chunk, input_type, journal, parts) for chunk in chunks
        ]
        fresh: dict[str, np.ndarray] = {}
        failures: list[str] = []
        try:
            for future in futures:
                outcome = future.result()  # a refused key raises here (CohereAuthError)
                if isinstance(outcome, str):
                    failures.append(outcome)
                else:
                    fresh.update(outcome)
        except BaseException:
            for future in futures:
                future.cancel()  # not started: not paid for; in flight: finishes
            raise  # the parts written stay as they are: nothing bought is lost
        self._compact(parts, fresh)
        known.update(fresh)
        if failures:
            missing = sum(1 for k in keys if k not in known)
            raise EmbedFailed(
                f"Cohere Embed: {missing} of {len(texts)} texts have no vector ({failures[0]})"
            )
        vectors = np.stack([known[k] for k in keys]) if keys else np.empty((0, self.dim))
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors.astype(np.float32)

    def _row(self, texts: Sequence[str]) -> dict[str, Any]:
        return {
            "endpoint": EMBED,
            "backend": BACKEND,
            "model": self.model,
            "qid": None,
            "documents": len(texts),
            "document_chars": sum(len(t) for t in texts),
            "started_at": datetime.now(UTC),
        }

    def _request(
        self,
        chunk: list[tuple[str, str]],
        input_type: InputType,
        journal: CallJournal | None,
        parts: list[Path],
    ) -> dict[str, np.ndarray] | str:
        """One request with retries: the chunk's vectors by key (cached the moment they
        arrive), or why it failed."""
        s = self._settings
        texts = [t for _, t in chunk]

        def send(client: Any, options: dict[str, Any]) -> Any:
            extra = {"output_dimension": s.output_dimension} if s.output_dimension else {}
            return client.embed(
                model=self.model,
                texts=texts,
                input_type=input_type,
                embedding_types=["float"],
                request_options=options,
                **extra,
            )

        def keep(row: dict[str, Any], vectors: np.ndarray | None) -> None:
            if journal is not None:
                journal.record(row)
            if vectors is not None and self._cache:
                entries = {k: v for (k, _), v in zip(chunk, vectors, strict=True)}
                part = self._cache.put_many(entries)
                if part is not None:
                    parts.append(part)

        vectors, why = self._access.call(
            lambda: self._row(texts),
            send,
            lambda response: answer_vectors(response, len(texts), self.dim),
            keep,
        )
        if vectors is None:
            return why or "no answer"
        return {k: v for (k, _), v in zip(chunk, vectors, strict=True)}

    def _compact(self, parts: list[Path], fresh: dict[str, np.ndarray]) -> None:
        """The call's one-request cache parts (their vectors: `fresh`) folded into one,
        written before they go."""
        if not self._cache or len(parts) < 2:
            return
        self._cache.put_many(fresh)
        for part in parts:
            part.unlink(missing_ok=True)


@functools.cache
def get_embedder(model: str, settings: CohereEmbedSettings, dim: int) -> CohereEmbedder:
    """Built once per process: the key gate and the budget span every batch."""
    return CohereEmbedder(model, settings, dim)


def embed_cohere(
    texts: Sequence[str],
    settings: EmbedderSettings,
    input_type: InputType,
    journal: CallJournal | None = None,
) -> np.ndarray:
    """Unit-normalised float32 embeddings from Cohere Embed, one row per text.

    `input_type`: "search_query" for queries, "search_document" for documents. `journal`:
    where every attempt goes on record as it returns (the run's or the index's call log).
    """
    if not texts:
        return np.empty((0, cohere_dimension(settings)), dtype=np.float32)
    embedder = get_embedder(settings.model or "", settings.cohere, cohere_dimension(settings))
    return embedder.embed(texts, input_type, journal)
