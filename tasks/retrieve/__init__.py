"""Retrieval, the CPU worker's stage: a query batch embedded and searched in Qdrant.

batch        one query batch: embed (and sparse vectors if hybrid), search top fetch_k (its
             hits are the hand-off to rerank)
search       the batch query (dense, or hybrid: fused prefetches), each scored point as a Hit
             (Layout: where a collection keeps what)
collection   what a run knows about the collection: creator, vectors, existence, fingerprint
vectorstore  the connection: one Qdrant client per path or URL per process
existing     a collection rerankflow did not create: checked, measured, never written
hybrid       hybrid queries: the query's sparse vectors (by qdrant.sparse_query), their check
sparse       how sparse vectors are made (bm25 hashed tokens, BGE-M3 lexical weights), both sides

The GPU worker imports none of this (tasks.rerank starts from the hits part).
"""

from tasks.retrieve.batch import retrieve
from tasks.retrieve.collection import (
    CREATED_BY,
    ForeignCollectionError,
    collection_state,
    created_by_rerankflow,
    describe_vectors,
    require_collection,
    vector_configs,
)
from tasks.retrieve.existing import (
    check_existing_collection,
    collection_checks,
    ids_in_collection,
    label_key,
    require_some_labels_found,
)
from tasks.retrieve.search import MISSING, Layout, payload_value, query_filter, search_batch
from tasks.retrieve.vectorstore import close_clients, open_client

__all__ = [
    "CREATED_BY",
    "MISSING",
    "ForeignCollectionError",
    "Layout",
    "check_existing_collection",
    "close_clients",
    "collection_checks",
    "collection_state",
    "created_by_rerankflow",
    "describe_vectors",
    "ids_in_collection",
    "label_key",
    "open_client",
    "payload_value",
    "query_filter",
    "require_collection",
    "require_some_labels_found",
    "retrieve",
    "search_batch",
    "vector_configs",
]
