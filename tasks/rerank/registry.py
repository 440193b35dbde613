"""The backends: what each one is (one table the rest of the project asks), and the backend
named in config, built once per process."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from config.settings import RerankerSettings
from tasks.index.side_index import BM25_DIR
from tasks.model_location import check_model_location
from tasks.rerank.base import Reranker

_LOCAL_MODEL_FIX = "set reranker.model to a hub id (needs network) or a local model directory"


@dataclass(frozen=True)
class BackendInfo:
    """What the rest of the project needs to know about a backend without loading it."""

    takes_model: bool  # reranker.model names what it runs (none and bm25 take no model)
    on_device: bool  # holds model weights on a device: needs a model, runs on the gpu pool
    hosted: bool  # a hosted API billed per request: an API key, the cache, the call journal
    fix: str  # what to do when it does not load (doctor's hint)


# Keys are config.settings.RerankBackend (a test checks they match).
BACKENDS: dict[str, BackendInfo] = {
    "none": BackendInfo(takes_model=False, on_device=False, hosted=False, fix=""),
    "bm25": BackendInfo(
        takes_model=False,
        on_device=False,
        hosted=False,
        fix="run `rerankflow index` with this profile (it builds the BM25 side index)",
    ),
    "cross-encoder": BackendInfo(
        takes_model=True, on_device=True, hosted=False, fix=_LOCAL_MODEL_FIX
    ),
    "flag": BackendInfo(
        takes_model=True,
        on_device=True,
        hosted=False,
        fix=f"{_LOCAL_MODEL_FIX}; pip install FlagEmbedding",
    ),
    "cohere": BackendInfo(
        takes_model=True,
        on_device=False,
        hosted=True,
        fix="set CO_API_KEY or reranker.cohere.api_key_secret (a Prefect Secret block)",
    ),
}
# Backends that hold a model on a device; the others score on the CPU in microseconds or remotely.
MODEL_BACKENDS = tuple(name for name, b in BACKENDS.items() if b.on_device)
# Backends billed per request by a hosted API (the other side of a bake-off's break-even volume).
HOSTED_BACKENDS = tuple(name for name, b in BACKENDS.items() if b.hosted)
# Neither a device nor a bill: they score on the retrieving CPU worker, at no cost to price.
FREE_BACKENDS = tuple(name for name, b in BACKENDS.items() if not b.on_device and not b.hosted)


@functools.cache
def get_reranker(settings: RerankerSettings, side_index_dir: Path | None) -> Reranker:
    """`side_index_dir` holds the index step's BM25 statistics; None (an existing collection):
    bm25 computes them from each query's candidates."""
    match settings.backend:
        case "none":
            from tasks.rerank.none import RetrievalOrder

            return RetrievalOrder()
        case "bm25":
            from tasks.rerank.bm25 import BM25Fusion

            bm25_dir = side_index_dir / BM25_DIR if side_index_dir is not None else None
            return BM25Fusion(bm25_dir, settings.bm25_weight)
        case "cross-encoder":
            from tasks.rerank.cross_encoder import CrossEncoderReranker

            return CrossEncoderReranker(
                settings.model,
                batch_size=settings.batch_size,
                max_length=settings.max_length,
                device=settings.device,
            )
        case "flag":
            from tasks.rerank.flag import FlagRerankerBackend

            return FlagRerankerBackend(
                settings.model,
                batch_size=settings.batch_size,
                max_length=settings.max_length,
                device=settings.device,
                dtype=settings.dtype,
                batch_tokens=settings.batch_tokens,
            )
        case "cohere":
            from tasks.rerank.cache import RerankCache
            from tasks.rerank.cohere import CohereReranker

            cache = RerankCache(settings.cache_dir) if settings.cache else None
            return CohereReranker(settings.model or "rerank-v3.5", settings.cohere, cache)
    raise ValueError(f"unknown reranker backend '{settings.backend}'")


def prepare_reranker(settings: RerankerSettings) -> None:
    """Run-level set-up before the first call: the shared request budget of a remote backend."""
    if settings.backend == "cohere":
        from tasks.calls.ratelimit import ensure_global_limit, prefect_server_configured

        cohere = settings.cohere
        if cohere.global_limit and prefect_server_configured():
            ensure_global_limit(
                cohere.global_limit, cohere.requests_per_minute, cohere.rate_window_s
            )


def check_ready(settings: RerankerSettings) -> None:
    """Fail before any work when the backend cannot run: for cohere, the API key must be
    found (CO_API_KEY or the Prefect Secret block). Raises NotReadyError with the fix."""
    if settings.backend == "cohere":
        from tasks.calls.cohere_client import resolve_api_key

        resolve_api_key(settings.cohere)


def check_model(settings: RerankerSettings) -> None:
    """Before a run whose rerank stage runs on this host: the model backends' weights can be
    loaded (a local directory that exists, or a hub id that is cached when the hub is off)."""
    if settings.backend not in MODEL_BACKENDS or not settings.model:
        return
    check_model_location("reranker.model", settings.model, "BAAI/bge-reranker-v2-m3")
