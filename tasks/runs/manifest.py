"""What a run records about itself: config, models, versions, input hashes, timings, counts."""

from __future__ import annotations

import platform
from datetime import UTC, datetime
from importlib import metadata
from typing import Any

from config.settings import Settings
from tasks.inputs.batch import BatchInputs

_PACKAGES = (
    "rerankflow",
    "prefect",
    "torch",
    "transformers",
    "sentence-transformers",
    "FlagEmbedding",
    "qdrant-client",
    "bm25s",
    "pyarrow",
    "duckdb",
)


def package_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def start_manifest(
    settings: Settings,
    run_id: str,
    inputs: BatchInputs,
    n_batches: int,
    collection: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """`collection` is the searched collection's state (retrieve.collection.collection_state):
    its fingerprint sits with the input hashes, so a comparison sees the data changed."""
    return {
        "run_id": run_id,
        "status": "running",
        "created_at": datetime.now(UTC).isoformat(),
        "profile": settings.profile,
        "config": settings.model_dump(mode="json"),
        "backend": settings.reranker.backend,
        "models": {"embedder": settings.embedder.model, "reranker": settings.reranker.model},
        "packages": package_versions(),
        "hashes": {
            "corpus": inputs.corpus_hash,
            "query_set": inputs.query_set_hash,
            "labels": inputs.labels_hash,
            "collection": (collection or {}).get("fingerprint"),
        },
        "collection": collection,
        "counts": {"queries": len(inputs.queries), "batches": n_batches},
        "attempts": 1,
    }


def sum_stage_seconds(batch_stats: list[dict[str, Any]]) -> dict[str, float]:
    totals: dict[str, float] = {}
    for stats in batch_stats:
        for stage, seconds in stats["seconds"].items():
            totals[stage] = totals.get(stage, 0.0) + seconds
    return {k: round(v, 4) for k, v in totals.items()}


def complete_manifest(
    manifest: dict[str, Any],
    batch_stats: list[dict[str, Any]],
    counts: dict[str, int],
    seconds: dict[str, float],
) -> None:
    """Mark a run completed; stage timings sum every batch, whichever attempt ran it."""
    manifest.update(
        status="completed",
        completed_at=datetime.now(UTC).isoformat(),
        counts={
            **manifest["counts"],
            **counts,
            "pairs_scored": sum(s["pairs_scored"] for s in batch_stats),
            "queries_without_hits": sum(s["queries_without_hits"] for s in batch_stats),
            **{
                key: sum(s.get(key, 0) for s in batch_stats)
                for key in ("failed_queries", "cache_hits", "cache_misses")
            },
        },
        seconds={"stages": sum_stage_seconds(batch_stats), **seconds},
    )
