"""Where the index step keeps what Qdrant does not: the BM25 statistics and the record that
indexing finished. No vector store import: the GPU worker's bm25 reranker reads it."""

from __future__ import annotations

from pathlib import Path

from config.settings import Settings

# Written last by `index`: its presence says the collection and BM25 match the corpus, whole.
MARKER = "index.json"
# The BM25 statistics (tasks.index.lexical), read by the bm25 reranker.
BM25_DIR = "bm25"
# The paid embedder's calls of every `index` (tasks.calls.journal parts; run_id index-<time>).
CALLS_DIR = "calls"
# An index's id in its calls (`rerankflow costs --run index-...` prices one).
INDEX_ID_PREFIX = "index-"


def side_index_dir(settings: Settings) -> Path | None:
    """BM25 statistics built by `index`; None for an existing collection (no index step: the
    bm25 reranker takes its statistics from each query's candidates)."""
    if settings.qdrant.existing:
        return None
    return settings.index_dir / settings.qdrant.collection
