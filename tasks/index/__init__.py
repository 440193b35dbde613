"""The index step: a corpus embedded into rerankflow's own Qdrant collection (only changed
documents), and the BM25 statistics beside it.

indexing    bring the collection in line with the corpus file; the checks before a run
store       writes to rerankflow's own collection (create, upsert, delete), never another's
lexical     BM25 statistics (bm25s), built here and read by the bm25 reranker (used by
            module name: lexical.build, lexical.load)
side_index  where those statistics and the record of a finished index live

The GPU worker's bm25 reranker reads `lexical` and `side_index` without a vector store client,
so the names below are imported from their modules on first use (PEP 562), not here: importing
this package loads no qdrant_client.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

# Public name -> the module that defines it.
_HOME = {
    "check_indexable": "indexing",
    "content_hash": "indexing",
    "index_corpus": "indexing",
    "require_index": "indexing",
    "BM25_DIR": "side_index",
    "MARKER": "side_index",
    "side_index_dir": "side_index",
    "IndexMismatchError": "store",
    "ensure_collection": "store",
    "refuse_foreign": "store",
}

__all__ = sorted(_HOME)


def __getattr__(name: str) -> Any:
    if name in _HOME:
        return getattr(import_module(f"{__name__}.{_HOME[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
