"""Search: a batch of query vectors against the collection, each scored point as a Hit.

The same call for the embedded store and a server, for rerankflow's collections and existing
ones; `Layout` says where a collection keeps what a Hit needs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from qdrant_client import QdrantClient, models

from config.settings import QdrantSettings
from tasks.errors import SettingsError
from tasks.types import Hit

# What payload_value returns for a key the payload lacks (a stored None is a value).
MISSING = object()


@dataclass(frozen=True)
class Layout:
    """Where a collection keeps what a run reads: vector name and payload keys."""

    vector: str | None
    text_key: str
    id_key: str | None  # None: the point id
    group_key: str | None

    @classmethod
    def of(cls, q: QdrantSettings) -> Layout:
        if q.existing:
            return cls(q.vector, q.text_key, q.id_key, q.group_key)
        return cls(None, "text", "doc_id", None)  # what tasks.index.store.upsert writes

    @property
    def payload_keys(self) -> list[str]:
        return [k for k in (self.text_key, self.id_key, self.group_key) if k]


def query_filter(q: QdrantSettings) -> models.Filter | None:
    return models.Filter.model_validate(q.filter) if q.filter else None


def search_params(q: QdrantSettings) -> models.SearchParams | None:
    p = q.search_params
    return models.SearchParams(hnsw_ef=p.hnsw_ef, exact=p.exact) if p else None


def payload_value(payload: dict[str, Any] | None, key: str) -> Any:
    """payload[key]; a dotted key also walks nested objects ("meta.source")."""
    payload = payload or {}
    if key in payload:
        return payload[key]
    node: Any = payload
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return MISSING
        node = node[part]
    return node


def _missing_key(client: QdrantClient, name: str, point: Any, key: str, setting: str) -> Exception:
    found = client.retrieve(name, [point.id], with_payload=True, with_vectors=False)
    keys = sorted((found[0].payload or {}) if found else {})
    return SettingsError(
        f"collection '{name}': point {point.id} has no payload key '{key}' ({setting}); its "
        f"payload keys are: {', '.join(keys) or 'none'}; set {setting} to the right key"
    )


def to_hit(client: QdrantClient, name: str, point: Any, layout: Layout) -> Hit:
    """A scored point as a Hit: doc_id from id_key or the point id, text, group id.

    A point without a configured key stops the run (naming the key and the point): skipping it
    would quietly shrink the candidate lists the metrics are computed on.
    """
    text = payload_value(point.payload, layout.text_key)
    if text is MISSING or not isinstance(text, str):
        raise _missing_key(client, name, point, layout.text_key, "qdrant.text_key")
    doc_id = str(point.id)
    if layout.id_key:
        value = payload_value(point.payload, layout.id_key)
        if value is MISSING or value is None:
            raise _missing_key(client, name, point, layout.id_key, "qdrant.id_key")
        doc_id = str(value)
    group = None
    if layout.group_key:
        value = payload_value(point.payload, layout.group_key)
        if value is MISSING or value is None:
            raise _missing_key(client, name, point, layout.group_key, "qdrant.group_key")
        group = str(value)
    return Hit(doc_id, text, float(point.score), group)


def _request(
    q: QdrantSettings,
    layout: Layout,
    dense: np.ndarray,
    sparse: models.SparseVector | None,
    limit: int,
) -> models.QueryRequest:
    """One query: the dense vector alone, or (hybrid) dense and sparse prefetches fused.

    In a hybrid query the filter sits on the fused query, and Qdrant applies it inside both
    prefetches (each level's filter propagates to its leaves), so each list is drawn from the
    filtered points; the search parameters go to the prefetches, where the vector search runs.
    """
    flt, params = query_filter(q), search_params(q)
    common = {"filter": flt, "limit": limit, "with_payload": layout.payload_keys}
    if sparse is None:
        return models.QueryRequest(
            query=dense.tolist(), using=layout.vector, params=params, **common
        )
    each = q.prefetch_limit or limit
    return models.QueryRequest(
        prefetch=[
            models.Prefetch(query=dense.tolist(), using=layout.vector, params=params, limit=each),
            models.Prefetch(query=sparse, using=q.sparse_vector, params=params, limit=each),
        ],
        query=models.FusionQuery(fusion=models.Fusion(q.fusion)),
        **common,
    )


def search_batch(
    client: QdrantClient,
    q: QdrantSettings,
    vectors: np.ndarray,
    limit: int,
    sparse: Sequence[models.SparseVector] | None = None,
) -> list[list[Hit]]:
    """Top `limit` per query vector with Qdrant's batch query API, best first.

    The named vector, the filter and the search parameters apply to every query, and only the
    payload keys a Hit needs are fetched. With qdrant.sparse_vector each query also needs its
    sparse vector (tasks.retrieve.hybrid.sparse_queries), and its hits' scores are the fusion's.
    """
    if (sparse is None) != (q.sparse_vector is None):
        raise ValueError("sparse query vectors go with qdrant.sparse_vector, and only with it")
    layout = Layout.of(q)
    sparse_of = list(sparse) if sparse is not None else [None] * len(vectors)
    responses = client.query_batch_points(
        q.collection,
        requests=[
            _request(q, layout, vec, sp, limit) for vec, sp in zip(vectors, sparse_of, strict=True)
        ],
    )
    return [[to_hit(client, q.collection, p, layout) for p in resp.points] for resp in responses]
