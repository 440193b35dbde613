"""What a run records about itself (`manifest.json`): config, models, versions, input hashes,
timings, counts. One typed model, validated on read with one strictness; every reader and
writer goes through `read_manifest` / `write_manifest`."""

from __future__ import annotations

import platform
from datetime import UTC, datetime
from importlib import metadata
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from tasks.errors import InputError
from tasks.runs import storage
from tasks.runs.layout import MANIFEST_FILE
from tasks.runs.storage import PathLike

RunStatus = Literal["running", "completed", "failed"]

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


class Hashes(BaseModel):
    """Input fingerprints: a comparison or resume sees the data changed."""

    model_config = ConfigDict(extra="allow")

    corpus: str | None = None
    query_set: str | None = None
    labels: str | None = None
    collection: str | None = None


class SharedRetrieval(BaseModel):
    """A bake-off column reads the hits parts of this directory instead of its own. Relative to
    the runs root (the run directory's grandparent), so a runs root that moves or is reached by
    URL still resolves."""

    dir: str


class RunManifest(BaseModel):
    """A run's manifest. Unknown keys are kept (a newer version's fields survive a resume)."""

    model_config = ConfigDict(extra="allow", validate_assignment=True)

    run_id: str
    status: RunStatus = "running"
    kind: Literal["run", "faq"] = "run"
    created_at: datetime | None = None
    completed_at: datetime | None = None
    profile: str | None = None
    # The settings as run, a JSON tree: `settings()` validates it (after the caller has put
    # where the runs root is now, since a run directory can move).
    config: dict[str, Any] = Field(default_factory=dict)
    backend: str | None = None
    models: dict[str, str | None] = Field(default_factory=dict)
    packages: dict[str, str] = Field(default_factory=dict)
    hashes: Hashes = Field(default_factory=Hashes)
    collection: dict[str, Any] | None = None
    counts: dict[str, int] = Field(default_factory=dict)
    attempts: int = 1
    seconds: dict[str, Any] = Field(default_factory=dict)
    cost: dict[str, Any] | None = None
    metrics_summary: dict[str, float | None] | None = None
    shared_retrieval: SharedRetrieval | None = None
    bakeoff: dict[str, str] | None = None

    @field_validator("created_at", "completed_at")
    @classmethod
    def _aware(cls, when: datetime | None) -> datetime | None:
        # Naive stamps (hand-written manifests) are taken as UTC, so runs sort together.
        return when.replace(tzinfo=UTC) if when is not None and when.tzinfo is None else when

    def section(self, name: str) -> dict[str, Any]:
        """One settings section of the config (`run`, `qdrant`, ...), {} when absent."""
        value = self.config.get(name)
        return value if isinstance(value, dict) else {}

    def run_int(self, field: str) -> int | None:
        """config.run's fetch_k or top_k (checked positive on read), None when absent."""
        return self.section("run").get(field)

    @property
    def ks(self) -> tuple[int, ...]:
        return tuple(self.section("run").get("ks") or ())

    @property
    def group_key(self) -> str | None:
        """The qdrant.group_key the run was scored with: set, the unit is the source document."""
        return self.section("qdrant").get("group_key")

    @property
    def reranker_backend(self) -> str | None:
        return self.section("reranker").get("backend", self.backend)


def _field_error(path: PathLike, exc: ValidationError) -> InputError:
    error = exc.errors()[0]
    field = ".".join(str(part) for part in error["loc"]) or "(top level)"
    return InputError(f"{path}: field '{field}': {error['msg']}; not a run's manifest")


def manifest_path(run_dir: PathLike) -> Any:
    return storage.location(run_dir) / MANIFEST_FILE


def has_manifest(run_dir: PathLike) -> bool:
    return manifest_path(run_dir).is_file()


def read_manifest(run_dir: PathLike) -> RunManifest:
    """The run's manifest; a missing, damaged or mistyped one is an InputError naming the file
    (and line or field)."""
    path = manifest_path(run_dir)
    if not path.is_file():
        raise InputError(f"{path}: manifest not found; not a run directory")
    raw = storage.read_json(path)
    if not isinstance(raw, dict):
        raise InputError(f"{path}: expected a JSON object; not a run's manifest")
    try:
        manifest = RunManifest.model_validate(raw)
    except ValidationError as exc:
        raise _field_error(path, exc) from None
    _check_config(manifest, path)
    return manifest


def _check_config(manifest: RunManifest, path: PathLike) -> None:
    """The config fields readers rely on have the type they need (a hand-edited or foreign
    manifest is named here, not as a DuckDB error later)."""
    for field in ("fetch_k", "top_k"):
        value = manifest.section("run").get(field)
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or value < 1
        ):
            raise InputError(f"{path}: field 'config.run.{field}': expected a positive integer")
    ks = manifest.section("run").get("ks") or []
    if not isinstance(ks, list) or not all(
        isinstance(k, int) and not isinstance(k, bool) for k in ks
    ):
        raise InputError(f"{path}: field 'config.run.ks': expected a list of integers")
    key = manifest.section("qdrant").get("group_key")
    if key is not None and (not isinstance(key, str) or not key):
        raise InputError(f"{path}: field 'config.qdrant.group_key': expected a name, got {key!r}")


def write_manifest(manifest: RunManifest, run_dir: PathLike) -> None:
    """Atomic (temp file, then rename): a reader never sees half a manifest."""
    storage.write_json(manifest.model_dump(mode="json", exclude_none=True), manifest_path(run_dir))


def _package_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def start_manifest(
    settings: Any,  # config.settings.Settings (not imported: config imports tasks.runs)
    run_id: str,
    inputs: Any,  # tasks.inputs.BatchInputs
    n_batches: int,
    collection: dict[str, Any] | None = None,
    *,
    kind: Literal["run", "faq"] = "run",
) -> RunManifest:
    """`collection` is the searched collection's state (its fingerprint sits with the input
    hashes, so a comparison sees the data changed)."""
    return RunManifest(
        run_id=run_id,
        kind=kind,
        created_at=datetime.now(UTC),
        profile=settings.profile,
        config=settings.model_dump(mode="json"),
        backend=settings.reranker.backend,
        models={"embedder": settings.embedder.model, "reranker": settings.reranker.model},
        packages=_package_versions(),
        hashes=Hashes(
            corpus=inputs.corpus_hash,
            query_set=inputs.query_set_hash,
            labels=inputs.labels_hash,
            collection=(collection or {}).get("fingerprint"),
        ),
        collection=collection,
        counts={"queries": len(inputs.queries), "batches": n_batches},
    )


def _sum_stage_seconds(batch_stats: list[dict[str, Any]]) -> dict[str, float]:
    totals: dict[str, float] = {}
    for stats in batch_stats:
        for stage, seconds in stats["seconds"].items():
            totals[stage] = totals.get(stage, 0.0) + seconds
    return {k: round(v, 4) for k, v in totals.items()}


def complete_manifest(
    manifest: RunManifest,
    batch_stats: list[dict[str, Any]],
    counts: dict[str, int],
    seconds: dict[str, float],
) -> None:
    """Mark a run completed; stage timings sum every batch, whichever attempt ran it."""
    manifest.status = "completed"
    manifest.completed_at = datetime.now(UTC)
    manifest.counts = {
        **manifest.counts,
        **counts,
        "pairs_scored": sum(s["pairs_scored"] for s in batch_stats),
        "queries_without_hits": sum(s["queries_without_hits"] for s in batch_stats),
        **{
            key: sum(s.get(key, 0) for s in batch_stats)
            for key in ("failed_queries", "cache_hits", "cache_misses")
        },
    }
    manifest.seconds = {"stages": _sum_stage_seconds(batch_stats), **seconds}
