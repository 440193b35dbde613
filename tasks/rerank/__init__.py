"""Reranking, the GPU worker's stage: a retrieved batch's candidates rescored, top_k kept.

base           the one interface (Reranker, RerankResult) and the helpers every backend shares
registry       the table of backends (BACKENDS: model, device, hosted) and the one in config,
               built once per process
none, bm25, cross_encoder, flag, cohere   one file per backend, imported when chosen
batch          one query batch: rerank, then the batch's tables and stats
device         the device a local model runs on, and the limit of one run per device
pair_scoring   the fast cross-encoder scoring loop (flag)
cache          the on-disk cache of billed answers; cohere_answer: a Cohere answer checked

It starts from the retrieval stage's hits part, so nothing here imports the vector store.
"""

from tasks.rerank.base import LocalReranker, MissingPackageError, Reranker, RerankResult
from tasks.rerank.batch import rerank, tie_break_order, to_tables
from tasks.rerank.device import device_slot, resolve_device
from tasks.rerank.registry import (
    BACKENDS,
    FREE_BACKENDS,
    HOSTED_BACKENDS,
    MODEL_BACKENDS,
    BackendInfo,
    check_model,
    check_ready,
    get_reranker,
    prepare_reranker,
)

__all__ = [
    "BACKENDS",
    "FREE_BACKENDS",
    "HOSTED_BACKENDS",
    "MODEL_BACKENDS",
    "BackendInfo",
    "LocalReranker",
    "MissingPackageError",
    "RerankResult",
    "Reranker",
    "check_model",
    "check_ready",
    "device_slot",
    "get_reranker",
    "prepare_reranker",
    "rerank",
    "resolve_device",
    "tie_break_order",
    "to_tables",
]
