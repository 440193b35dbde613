"""Search: a batch of query vectors against the collection, each scored point as a Hit.

The same call for the embedded store and a server, for rerankflow's collections and existing
ones; `Layout` says where a collection keeps what a Hit needs.
"""

from __future__ import annotations

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


def search_batch(
    client: QdrantClient, q: QdrantSettings, vectors: np.ndarray, limit: int
) -> list[list[Hit]]:
    """Top `limit` per query vector with Qdrant's batch query API, best first.

    The named vector, the filter and the search parameters apply to every query, and only the
    payload keys a Hit needs are fetched.
    """
    layout = Layout.of(q)
    flt, params = query_filter(q), search_params(q)
    responses = client.query_batch_points(
        q.collection,
        requests=[
            models.QueryRequest(
                query=vec.tolist(),
                using=layout.vector,
                filter=flt,
                params=params,
                limit=limit,
                with_payload=layout.payload_keys,
            )
            for vec in vectors
        ],
    )
    return [[to_hit(client, q.collection, p, layout) for p in resp.points] for resp in responses]
