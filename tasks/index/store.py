"""Writing rerankflow's own collection: create it, upsert and delete points, read back hashes.

Writes only ever reach a collection rerankflow created: `ensure_collection` (and
`refuse_foreign`, called before anything is loaded) refuse any other before the first write.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import numpy as np
from qdrant_client import QdrantClient, models

from config.settings import DEFAULT_EMBED_BACKEND
from tasks.errors import NotReadyError
from tasks.retrieve.collection import CREATED_BY, ForeignCollectionError, created_by_rerankflow

# Point ids must be ints or UUIDs; derive a stable UUID from the document id.
_ID_NAMESPACE = uuid.UUID("6f1d2c3e-8a4b-4c5d-9e0f-a1b2c3d4e5f6")


class IndexMismatchError(NotReadyError):
    """The collection was built with another embedder or dimension."""


def point_id(doc_id: str) -> str:
    return str(uuid.uuid5(_ID_NAMESPACE, doc_id))


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


def ensure_collection(
    client: QdrantClient,
    name: str,
    dim: int,
    embedder: str,
    backend: str = DEFAULT_EMBED_BACKEND,
) -> bool:
    """Create the collection if absent; refuse one built for another embedder (model or
    backend: the same model name through another library may pool differently). True if
    created. `backend` is recorded only when not the default, as before it existed."""
    if client.collection_exists(name):
        refuse_foreign(client, name)
        info = client.get_collection(name)
        params = info.config.params.vectors
        have_dim = params.size if isinstance(params, models.VectorParams) else None
        metadata = info.config.metadata or {}
        have_model = metadata.get("embedder")
        have_backend = metadata.get("backend", DEFAULT_EMBED_BACKEND)
        if (
            have_dim != dim
            or (have_model is not None and have_model != embedder)
            or have_backend != backend
        ):
            raise IndexMismatchError(
                f"collection '{name}' holds {have_dim}-d vectors from embedder "
                f"'{have_model}' ({have_backend}), but the configured embedder '{embedder}' "
                f"({backend}) makes {dim}-d vectors; use another qdrant.collection or delete "
                "this one"
            )
        return False
    metadata = {"created_by": CREATED_BY, "embedder": embedder, "dim": dim}
    if backend != DEFAULT_EMBED_BACKEND:
        metadata["backend"] = backend
    client.create_collection(
        name,
        vectors_config=models.VectorParams(size=dim, distance=models.Distance.COSINE),
        metadata=metadata,
    )
    return True


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
    """rows are (doc_id, text, content hash), aligned with vectors (the payload
    tasks.retrieve.search.Layout reads)."""
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
