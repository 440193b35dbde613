"""What a run knows about the collection it searches, read-only: who created it, its vectors,
that it exists before any work, and a fingerprint of its state for the manifest."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from qdrant_client import QdrantClient, models

from config.settings import QdrantSettings
from tasks.errors import NotReadyError
from tasks.retrieve.search import Layout
from tasks.retrieve.vectorstore import open_client

# Stamped on every collection `rerankflow index` creates; only those are ever written to.
CREATED_BY = "rerankflow"
# Points hashed into a collection's fingerprint (the lowest ids, in scroll order).
FINGERPRINT_SAMPLE = 64


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


def searched_vector(client: QdrantClient, q: QdrantSettings) -> tuple[str, int | None]:
    """The vector a run searches, described for messages, and its size (None: absent)."""
    name = Layout.of(q).vector
    configs = vector_configs(client.get_collection(q.collection))
    label = f"vector {name!r} (qdrant.vector)" if name else "its unnamed vector"
    found = configs.get(name or "")
    return label, found.size if found else None


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


def _searched_vectors(point: models.Record, names: list[str]) -> list[Any]:
    """The point's vectors a run searches, in `names` order ('' is the unnamed one)."""
    if not isinstance(point.vector, dict):
        return [point.vector]
    return [
        v.model_dump() if isinstance(v := point.vector.get(name), models.SparseVector) else v
        for name in names
    ]


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
    # A hybrid run also searches the sparse vector: recomputing it (new BM25 statistics, another
    # model) is a different collection to compare against.
    searched = [using] + ([q.sparse_vector] if q.sparse_vector else [])
    points, _ = client.scroll(
        q.collection,
        limit=FINGERPRINT_SAMPLE,
        with_payload=True,
        with_vectors=searched if using else True,
    )
    sample = [[str(p.id), p.payload, *_searched_vectors(p, searched)] for p in points]
    vectors = {name: {"size": v.size, "distance": v.distance.value} for name, v in configs.items()}
    hashed: dict[str, Any] = {"points": count, "vectors": vectors, "sample": sample}
    sparse = {
        name: (v.modifier.value if v.modifier else None)
        for name, v in (info.config.params.sparse_vectors or {}).items()
    }
    if sparse:  # absent from collections without sparse vectors: their fingerprints stay as were
        hashed["sparse_vectors"] = sparse
    digest = hashlib.sha256(
        json.dumps(hashed, sort_keys=True, default=str).encode("utf-8")
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
