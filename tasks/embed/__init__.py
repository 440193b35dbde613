"""Embeddings for queries and documents, by `embedder.backend`: sentence-transformers (the
default), flag (FlagEmbedding BGE / BGE-M3), cohere (Cohere Embed), precomputed (vectors in the
queries file). One module per backend; `registry` dispatches. The retrieval stage embeds
queries, `rerankflow index` documents, each model loaded once per process."""

from __future__ import annotations

from tasks.embed.registry import (
    PRECOMPUTED_INDEX,
    check_embedder,
    embed_documents,
    embed_queries,
    embedding_dim,
)

__all__ = [
    "PRECOMPUTED_INDEX",
    "check_embedder",
    "embed_documents",
    "embed_queries",
    "embedding_dim",
]
