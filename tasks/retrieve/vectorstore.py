"""Qdrant access: one client per process, collection checks, upserts and batch queries.

Writes (upsert, delete) only ever reach a collection rerankflow created: `ensure_collection`
refuses any other before the first write. An existing collection (`qdrant.existing`) is only
read: queried, counted and scrolled.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import threading
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from qdrant_client import QdrantClient, models

from config.settings import QdrantSettings
from tasks.errors import NotReadyError, SettingsError
from tasks.types import Hit

# Point ids must be ints or UUIDs; derive a stable UUID from the document id.
_ID_NAMESPACE = uuid.UUID("6f1d2c3e-8a4b-4c5d-9e0f-a1b2c3d4e5f6")
_CLIENTS: dict[str, QdrantClient] = {}
_LOCK = threading.Lock()


# Stamped on every collection `rerankflow index` creates; only those are ever written to.
CREATED_BY = "rerankflow"
# Points hashed into a collection's fingerprint (the lowest ids, in scroll order).
FINGERPRINT_SAMPLE = 64


class IndexMismatchError(NotReadyError):
    """The collection was built with another embedder or dimension."""


class ForeignCollectionError(NotReadyError):
    """The collection was not created by rerankflow: it is never written to."""


def created_by_rerankflow(metadata: dict[str, Any] | None) -> bool:
    """rerankflow's marker; collections from before the marker carry embedder and dim."""
    md = metadata or {}
    return md.get("created_by") == CREATED_BY or ("embedder" in md and "dim" in md)


def vector_configs(info: models.CollectionInfo) -> dict[str, models.VectorParams]:
    """Dense vectors of a collection by name; the unnamed default vector is ''."""
    params = info.config.params.vectors
    if isinstance(params, models.VectorParams):
        return {"": params}
    return dict(params or {})


def describe_vectors(configs: dict[str, models.VectorParams]) -> str:
    return (
        ", ".join(
            f"{repr(name) if name else '(unnamed)'} {v.size}-d {v.distance.value.lower()}"
            for name, v in configs.items()
        )
        or "none"
    )


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
        return cls(None, "text", "doc_id", None)  # what `upsert` writes

    @property
    def payload_keys(self) -> list[str]:
        return [k for k in (self.text_key, self.id_key, self.group_key) if k]


def query_filter(q: QdrantSettings) -> models.Filter | None:
    return models.Filter.model_validate(q.filter) if q.filter else None


def search_params(q: QdrantSettings) -> models.SearchParams | None:
    p = q.search_params
    return models.SearchParams(hnsw_ef=p.hnsw_ef, exact=p.exact) if p else None


def point_id(doc_id: str) -> str:
    return str(uuid.uuid5(_ID_NAMESPACE, doc_id))


def open_client(settings: QdrantSettings) -> QdrantClient:
    """Embedded Qdrant admits one client per path, so every caller in a process shares one."""
    key = settings.url or str(settings.path.resolve())
    with _LOCK:
        if key not in _CLIENTS:
            if settings.url:
                _CLIENTS[key] = QdrantClient(url=settings.url, api_key=settings.api_key)
            else:
                settings.path.mkdir(parents=True, exist_ok=True)
                try:
                    _CLIENTS[key] = QdrantClient(path=key)
                except RuntimeError as exc:
                    if "already accessed" not in str(exc):
                        raise
                    # Embedded Qdrant locks its folder: a second run at once is refused.
                    raise NotReadyError(
                        f"qdrant.path {settings.path} is in use by another process (embedded "
                        "Qdrant admits one at a time): wait for it, or use a Qdrant server "
                        "(qdrant.url) for concurrent runs"
                    ) from None
        return _CLIENTS[key]


def close_clients() -> None:
    """Release embedded stores (and their locks) so another process may open them."""
    with _LOCK:
        for client in _CLIENTS.values():
            client.close()
        _CLIENTS.clear()


# Close before interpreter teardown, when qdrant's own __del__ can no longer import.
atexit.register(close_clients)


def refuse_foreign(client: QdrantClient, name: str) -> None:
    """Before any write: a collection rerankflow did not create is never written to."""
    if client.collection_exists(name) and not created_by_rerankflow(
        client.get_collection(name).config.metadata
    ):
        raise ForeignCollectionError(
            f"collection '{name}' was not created by rerankflow (no created_by marker): "
            "`rerankflow index` would overwrite and delete its points, so it wrote nothing; "
            "to measure it read-only set qdrant.existing: true, or index into another "
            "qdrant.collection"
        )


def ensure_collection(client: QdrantClient, name: str, dim: int, embedder: str) -> bool:
    """Create the collection if absent; refuse one built for another embedder. True if created."""
    if client.collection_exists(name):
        refuse_foreign(client, name)
        info = client.get_collection(name)
        params = info.config.params.vectors
        have_dim = params.size if isinstance(params, models.VectorParams) else None
        have_model = (info.config.metadata or {}).get("embedder")
        if have_dim != dim or (have_model is not None and have_model != embedder):
            raise IndexMismatchError(
                f"collection '{name}' holds {have_dim}-d vectors from embedder "
                f"'{have_model}', but the configured embedder '{embedder}' makes {dim}-d vectors; "
                "use another qdrant.collection or delete this one"
            )
        return False
    client.create_collection(
        name,
        vectors_config=models.VectorParams(size=dim, distance=models.Distance.COSINE),
        metadata={"created_by": CREATED_BY, "embedder": embedder, "dim": dim},
    )
    return True


def require_collection(settings: QdrantSettings) -> None:
    """Fail before any work, with the fix, when the corpus was never indexed."""
    client = open_client(settings)
    where = settings.url or settings.path
    if not client.collection_exists(settings.collection):
        fix = (
            "check qdrant.collection and qdrant.url/path (rerankflow does not create an "
            "existing collection)"
            if settings.existing
            else "run `rerankflow index` with the same profile first"
        )
        raise NotReadyError(
            f"Qdrant collection '{settings.collection}' does not exist at {where}; {fix}"
        )
    metadata = client.get_collection(settings.collection).config.metadata
    if not settings.existing and not created_by_rerankflow(metadata):
        raise ForeignCollectionError(
            f"collection '{settings.collection}' at {where} was not created by rerankflow: to "
            "measure it read-only set qdrant.existing: true (and qdrant.vector, text_key, "
            "id_key, group_key to its layout), with no dataset.corpus"
        )


def stored_hashes(client: QdrantClient, name: str) -> dict[str, str]:
    """doc_id -> content hash of every point, scrolled without vectors."""
    hashes: dict[str, str] = {}
    offset = None
    while True:
        points, offset = client.scroll(
            name, limit=1024, offset=offset, with_payload=["doc_id", "hash"], with_vectors=False
        )
        for p in points:
            hashes[p.payload["doc_id"]] = p.payload["hash"]
        if offset is None:
            return hashes


def upsert(
    client: QdrantClient,
    name: str,
    rows: Sequence[tuple[str, str, str]],
    vectors: np.ndarray,
) -> None:
    """rows are (doc_id, text, content hash), aligned with vectors."""
    client.upsert(
        name,
        points=[
            models.PointStruct(
                id=point_id(doc_id),
                vector=vec.tolist(),
                payload={"doc_id": doc_id, "text": text, "hash": h},
            )
            for (doc_id, text, h), vec in zip(rows, vectors, strict=True)
        ],
        wait=True,
    )


def delete(client: QdrantClient, name: str, doc_ids: Sequence[str]) -> None:
    client.delete(name, points_selector=models.PointIdsList(points=[point_id(d) for d in doc_ids]))


MISSING = object()


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

    The same call for the embedded store and a server, for rerankflow's collections and
    existing ones: the named vector, the filter and the search parameters apply to every query,
    and only the payload keys a Hit needs are fetched.
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


def collection_state(client: QdrantClient, q: QdrantSettings) -> dict[str, Any]:
    """What a run records about the collection it searched: size, vectors, a fingerprint.

    The fingerprint hashes the exact point count, the vector configuration, and
    the ids, payloads and vectors of the FINGERPRINT_SAMPLE lowest-id points (one small scroll,
    cheap on any size): adding or deleting points, re-embedding, or editing a sampled point
    changes it. An edit confined to unsampled points at a constant count does not.
    """
    info = client.get_collection(q.collection)
    configs = vector_configs(info)
    count = client.count(q.collection, exact=True).count
    layout = Layout.of(q)
    using = layout.vector or ""
    points, _ = client.scroll(
        q.collection,
        limit=FINGERPRINT_SAMPLE,
        with_payload=True,
        with_vectors=[using] if using else True,
    )
    sample = [
        [str(p.id), p.payload, p.vector.get(using) if isinstance(p.vector, dict) else p.vector]
        for p in points
    ]
    vectors = {name: {"size": v.size, "distance": v.distance.value} for name, v in configs.items()}
    digest = hashlib.sha256(
        json.dumps(
            {"points": count, "vectors": vectors, "sample": sample}, sort_keys=True, default=str
        ).encode("utf-8")
    ).hexdigest()
    return {
        "name": q.collection,
        "existing": q.existing,
        "created_by_rerankflow": created_by_rerankflow(info.config.metadata),
        "points": count,
        "vectors": vectors,
        "vector": layout.vector,
        "fingerprint": digest[:16],
    }


def chunks(n: int, size: int) -> Iterator[slice]:
    for start in range(0, n, size):
        yield slice(start, min(start + size, n))
