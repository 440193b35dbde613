"""The reranker section: which backend, its model and batching, and Cohere's call budget."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, model_validator

from config.base import Frozen

RerankBackend = Literal["none", "bm25", "cross-encoder", "flag", "cohere"]
DEFAULT_COHERE_MODEL = "rerank-v3.5"


class CohereSettings(Frozen):
    """Cohere Rerank or Embed through the `cohere` SDK. The key is never read from YAML."""

    base_url: str | None = None
    # Name of a Prefect Secret block holding the key; unset: the CO_API_KEY environment variable.
    api_key_secret: str | None = None
    # Trial keys allow 10 rerank calls/min, production keys 1,000/min.
    requests_per_minute: int = Field(10, ge=1)
    # The window the limit is counted over (60 s for Cohere; tests shorten it).
    rate_window_s: float = Field(60.0, gt=0)
    max_in_flight: int = Field(4, ge=1)
    # Cohere recommends at most 1,000 documents per request; larger candidate lists are split.
    max_documents_per_request: int = Field(1000, ge=1, le=10_000)
    top_n: int | None = Field(None, ge=1)
    max_tokens_per_doc: int | None = Field(None, ge=1)
    timeout_s: float = Field(30.0, gt=0)
    # Retries on 429, 5xx, timeouts and dropped connections, bounded both ways.
    max_attempts: int = Field(5, ge=1)
    max_retry_seconds: float = Field(120.0, ge=0)
    # Prefect global concurrency limit shared by every worker on this key, used when a Prefect
    # server is configured (PREFECT_API_URL); null turns the cross-process budget off.
    global_limit: str | None = "rerankflow-cohere"
    # Where the host-wide request log of each key lives (a SQLite file named by the key's
    # hash): every process on this host using the key paces against it. Unset: the system
    # temporary directory (rerankflow-limits/). A local directory, never a network share.
    limiter_dir: Path | None = None


class RerankerSettings(Frozen):
    backend: RerankBackend = "none"
    # Hub id or local directory for cross-encoder and flag; Cohere model name for cohere
    # (default rerank-v3.5); unused by none/bm25.
    model: str | None = None
    batch_size: int = Field(32, ge=1)
    max_length: int = Field(512, ge=8)
    device: str | None = None
    # flag: weights' precision on the device; auto = float16 on CUDA, float32 on the CPU.
    dtype: Literal["auto", "float32", "float16", "bfloat16"] = "auto"
    # flag: padded tokens a batch; unset: on CUDA sized from the device's free memory (at most
    # 65,536), on the CPU batch_size x max_length. A batch that runs out of memory is halved.
    batch_tokens: int | None = Field(None, ge=8)
    # bm25: weight of the lexical score in the fused ranking (0 = dense order, 1 = BM25 only).
    bm25_weight: float = Field(0.5, ge=0.0, le=1.0)
    cohere: CohereSettings = CohereSettings()
    # Remote (billed) backends look results up in an on-disk cache before calling out.
    cache: bool = True
    cache_dir: Path = Path("data/cache/rerank")

    @model_validator(mode="before")
    @classmethod
    def _cohere_default_model(cls, data: Any) -> Any:
        # Before, not after: an after-validator's copy is dropped when built via __init__.
        if isinstance(data, dict) and data.get("backend") == "cohere" and not data.get("model"):
            return {**data, "model": DEFAULT_COHERE_MODEL}
        return data

    @model_validator(mode="after")
    def _model_needed(self) -> RerankerSettings:
        if self.backend in ("cross-encoder", "flag") and not self.model:
            raise ValueError(f"reranker.model is required for backend '{self.backend}'")
        return self
