"""Cohere's settings: what every endpoint shares (the key, the budget, retries), then what
Rerank (reranker.cohere) and Embed (embedder.cohere) add. The key is never read from YAML."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from config.base import Frozen


class CohereAccessSettings(Frozen):
    """One endpoint's access under one key: tasks.calls.cohere_client.CohereAccess."""

    base_url: str | None = None
    # Name of a Prefect Secret block holding the key; unset: the CO_API_KEY environment variable.
    api_key_secret: str | None = None
    # Trial keys allow 10 rerank calls/min, production keys 1,000/min.
    requests_per_minute: int = Field(10, ge=1)
    # The window the limit is counted over (60 s for Cohere; tests shorten it).
    rate_window_s: float = Field(60.0, gt=0)
    max_in_flight: int = Field(4, ge=1)
    timeout_s: float = Field(30.0, gt=0)
    # Retries on 429, 5xx, timeouts and dropped connections, bounded both ways.
    max_attempts: int = Field(5, ge=1)
    max_retry_seconds: float = Field(120.0, ge=0)
    # Prefect global concurrency limit shared by every worker on this key, used when a Prefect
    # server is configured (PREFECT_API_URL); null turns the cross-process budget off.
    global_limit: str | None = "rerankflow-cohere"
    # Where the host-wide request log of each key lives (a SQLite file named by the key's
    # hash and the endpoint): every process on this host using the key paces against it.
    # Unset: the system temporary directory (rerankflow-limits/). A local directory, never a
    # network share.
    limiter_dir: Path | None = None


class CohereSettings(CohereAccessSettings):
    """Cohere Rerank through the `cohere` SDK."""

    # Cohere recommends at most 1,000 documents per request; larger candidate lists are split.
    max_documents_per_request: int = Field(1000, ge=1, le=10_000)
    top_n: int | None = Field(None, ge=1)
    max_tokens_per_doc: int | None = Field(None, ge=1)


class CohereEmbedSettings(CohereAccessSettings):
    """Cohere Embed through the `cohere` SDK: a budget and a shared limit of its own (Cohere
    limits each endpoint apart), and a cache of the vectors it bought."""

    # Cohere limits Embed by inputs: 2,000 texts/min on trial and production keys, so 20
    # requests of 96 texts.
    requests_per_minute: int = Field(20, ge=1)
    global_limit: str | None = "rerankflow-cohere-embed"
    # Cohere takes at most 96 texts per request.
    texts_per_request: int = Field(96, ge=1, le=96)
    # embed-v4 and newer: 256, 512, 1024 or 1536 (unset: the model's default, 1536).
    output_dimension: int | None = Field(None, ge=1)
    # Each text's vector is looked up here before it is bought, and kept the moment it is.
    cache: bool = True
    cache_dir: Path = Path("data/cache/embed")
