"""The reranker section: which backend, its model and batching, and Cohere's call budget."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, model_validator

from config.base import Frozen
from config.cohere import CohereSettings

RerankBackend = Literal["none", "bm25", "cross-encoder", "flag", "cohere"]
DEFAULT_COHERE_MODEL = "rerank-v3.5"


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
    # 65,536), on the CPU batch_size x max_length up to 4,096. A batch out of memory is halved.
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
