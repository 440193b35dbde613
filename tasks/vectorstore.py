"""Qdrant access: one client per process, collection checks, upserts and batch queries."""

from __future__ import annotations

import atexit
import threading
import uuid
from collections.abc import Iterator, Sequence

import numpy as np
from qdrant_client import QdrantClient, models

from config.settings import QdrantSettings
from tasks.errors import NotReadyError
from tasks.types import Hit

# Point ids must be ints or UUIDs; derive a stable UUID from the document id.
_ID_NAMESPACE = uuid.UUID("6f1d2c3e-8a4b-4c5d-9e0f-a1b2c3d4e5f6")
_CLIENTS: dict[str, QdrantClient] = {}
_LOCK = threading.Lock()


class IndexMismatchError(NotReadyError):
    """The collection was built with another embedder or dimension."""


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


def ensure_collection(client: QdrantClient, name: str, dim: int, embedder: str) -> bool:
    """Create the collection if absent; refuse one built for another embedder. True if created."""
    if client.collection_exists(name):
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
        metadata={"embedder": embedder, "dim": dim},
    )
    return True


def require_collection(settings: QdrantSettings) -> None:
    """Fail before any work, with the fix, when the corpus was never indexed."""
    if not open_client(settings).collection_exists(settings.collection):
        where = settings.url or settings.path
        raise NotReadyError(
            f"Qdrant collection '{settings.collection}' does not exist at {where}; "
            "run `rerankflow index` with the same profile first"
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


def search_batch(
    client: QdrantClient, name: str, vectors: np.ndarray, limit: int
) -> list[list[Hit]]:
    """Top `limit` per query vector with Qdrant's batch query API, best first."""
    responses = client.query_batch_points(
        name,
        requests=[
            models.QueryRequest(query=vec.tolist(), limit=limit, with_payload=["doc_id", "text"])
            for vec in vectors
        ],
    )
    return [
        [Hit(p.payload["doc_id"], p.payload["text"], float(p.score)) for p in resp.points]
        for resp in responses
    ]


def chunks(n: int, size: int) -> Iterator[slice]:
    for start in range(0, n, size):
        yield slice(start, min(start + size, n))
