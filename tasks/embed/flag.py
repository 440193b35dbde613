"""`flag`: FlagEmbedding's BGE embedders, dense output. `FlagModel` for BGE (v1/v1.5, CLS
pooling) and `BGEM3FlagModel` for BGE-M3, chosen by `embedder.flag_model` (auto: BGE-M3 when
the model directory holds its colbert_linear.pt and sparse_linear.pt).

FlagEmbedding itself applies the prefixes, as its query and passage instructions
(`query_instruction_for_retrieval`), so the vectors are the ones a production stack calling
`encode_queries` / `encode_corpus` gets. fp16 on CUDA, float32 on the CPU; one model per
process, pinned to one device.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Literal

import numpy as np

from config.settings import EmbedderSettings
from tasks.errors import SettingsError
from tasks.model_location import check_model_location, local_dir

FlagKind = Literal["bge", "bge-m3"]
# The files BGEM3FlagModel loads besides the transformer (FlagEmbedding's M3 runner).
M3_HEADS = ("colbert_linear.pt", "sparse_linear.pt")


def flag_kind(settings: EmbedderSettings) -> FlagKind:
    """The FlagEmbedding class the model needs: the setting, or for auto its files."""
    if settings.flag_model != "auto":
        return settings.flag_model
    assert settings.model is not None  # required for flag (settings)
    where = local_dir(settings.model)
    if where is None:
        raise SettingsError(
            f"embedder.flag_model: auto cannot tell BGE from BGE-M3 for {settings.model} "
            "before it is downloaded; set embedder.flag_model to bge or bge-m3"
        )
    return "bge-m3" if all((where / f).is_file() for f in M3_HEADS) else "bge"


def check(settings: EmbedderSettings) -> None:
    """Before any work: FlagEmbedding is installed, the model is there, its class is known."""
    from tasks.rerank.base import require

    require("FlagEmbedding", "FlagEmbedding", "flag", what="embedder")
    assert settings.model is not None  # required for flag (settings)
    check_model_location("embedder.model", settings.model, "BAAI/bge-base-en-v1.5")
    flag_kind(settings)


@functools.cache
def load_model(
    model: str,
    kind: FlagKind,
    device: str | None,
    query_instruction: str,
    passage_instruction: str,
):  # -> FlagModel | BGEM3FlagModel
    """Load once per process (per model, device and instructions)."""
    from tasks.rerank.base import require
    from tasks.rerank.device import resolve_device

    flag = require("FlagEmbedding", "FlagEmbedding", "flag", what="embedder")
    device = resolve_device(device)
    cls = flag.BGEM3FlagModel if kind == "bge-m3" else flag.FlagModel
    return cls(
        model,
        # fp16 only where it is fast: FlagEmbedding casts back to float32 on the CPU anyway.
        use_fp16=device.startswith("cuda"),
        # Pinned to one device: FlagEmbedding otherwise spreads over every visible GPU.
        devices=[device],
        query_instruction_for_retrieval=query_instruction or None,
        passage_instruction_for_retrieval=passage_instruction or None,
    )


def loaded_model(settings: EmbedderSettings):
    """The FlagEmbedding model for these settings, loaded once per process (the hybrid
    search reuses it for BGE-M3's lexical weights)."""
    assert settings.model is not None  # required for flag (settings)
    return load_model(
        settings.model,
        flag_kind(settings),
        settings.device,
        settings.query_prefix,
        settings.document_prefix,
    )


def _dense(out: np.ndarray | dict) -> np.ndarray:
    """float32 unit rows: BGE-M3 answers a dict; fp16 output is re-normalised in float32."""
    vectors = np.asarray(out["dense_vecs"] if isinstance(out, dict) else out)
    if vectors.ndim == 1:
        vectors = vectors[None, :]
    if vectors.dtype == np.float32:
        return vectors  # FlagEmbedding normalised it (normalize_embeddings=True)
    vectors = vectors.astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def _encode(method: str, texts: Sequence[str], settings: EmbedderSettings) -> np.ndarray:
    model = loaded_model(settings)
    # BGE-M3: only the dense vector; the sparse and ColBERT heads cost time and are not
    # searched here.
    outputs = (
        {"return_dense": True, "return_sparse": False, "return_colbert_vecs": False}
        if flag_kind(settings) == "bge-m3"
        else {}
    )
    return _dense(getattr(model, method)(list(texts), batch_size=settings.batch_size, **outputs))


def encode_queries(texts: Sequence[str], settings: EmbedderSettings) -> np.ndarray:
    return _encode("encode_queries", texts, settings)


def encode_documents(texts: Sequence[str], settings: EmbedderSettings) -> np.ndarray:
    return _encode("encode_corpus", texts, settings)


def dimension(settings: EmbedderSettings) -> int:
    return int(encode_queries(["dimension"], settings).shape[1])
