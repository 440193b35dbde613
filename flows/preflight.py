"""What every command checks before it starts a flow (and so before any Prefect server or
write): settings, input files, the index, the reranker's key, a resumable run.

The flows call the same functions, so a deployment run refuses the same things; the CLI calls
them first so that a user's mistake is one line in a second, not a line after a server start.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from upath import UPath

from config.settings import RerankerSettings, Settings
from tasks import bakeoff, faq
from tasks.bakeoff import RerankerSpec
from tasks.embed import check_embedder
from tasks.errors import InputError, SettingsError, UserError
from tasks.index.indexing import check_indexable, require_index
from tasks.inputs.batch import BatchInputs, load_inputs
from tasks.inputs.loaders import dataset_hash, load_corpus, load_queries
from tasks.rerank.registry import check_model, check_ready
from tasks.retrieve.existing import check_existing_collection
from tasks.runs import layout, storage
from tasks.runs.manifest import RunManifest, manifest_path, read_manifest
from tasks.types import Query


def check_run(settings: Settings) -> BatchInputs:
    """A new run's inputs, read and checked, and the index it needs."""
    check_ready(settings.reranker)  # a missing key stops the run before anything is written
    check_embedder(settings.embedder)  # its package, model directory or key
    if not settings.run.rerank_deployment:  # else the weights live on the gpu worker
        check_model(settings.reranker)
    # An existing collection is checked before anything else reads it (labels are looked up in
    # it); a collection rerankflow indexed must match its index record.
    check_existing_collection(settings)
    inputs = load_inputs(settings)
    if not settings.qdrant.existing:
        assert inputs.corpus_hash is not None  # required unless existing (settings)
        require_index(settings, inputs.corpus_hash)
    check_query_vectors(settings, inputs.queries)
    return inputs


def check_query_vectors(settings: Settings, queries: Sequence[Query]) -> None:
    """Precomputed query vectors have the length of the vector the collection is searched on
    (the loader already checked every row against the first)."""
    if settings.embedder.backend != "precomputed":
        return
    from tasks.embed import precomputed
    from tasks.retrieve.collection import searched_vector
    from tasks.retrieve.vectorstore import open_client

    dim = precomputed.dimension(queries)
    label, size = searched_vector(open_client(settings.qdrant), settings.qdrant)
    if size is None:
        return  # an existing collection without that vector: check_existing_collection said so
    if dim != size:
        raise SettingsError(
            f"{settings.dataset.queries}: field 'vector': {dim}-d query vectors, but collection "
            f"'{settings.qdrant.collection}' {label} holds {size}-d; give vectors from the "
            "model the collection was embedded with"
        )


def refuse_precomputed_faq(settings: Settings) -> None:
    """The FAQ table is keyed by question text: a vector given beside it could change without
    the answer being recomputed."""
    if settings.embedder.backend == "precomputed":
        raise SettingsError(
            "embedder.backend precomputed: the FAQ table embeds its questions itself; set "
            "embedder.backend (and model) to the embedder the collection was built with"
        )


@dataclass(frozen=True)
class Resumable:
    settings: Settings
    run_dir: UPath
    manifest: RunManifest
    # Overrides that a resume ignores (a run keeps the settings it started with).
    ignored: list[str]


def _started_with(settings: Settings, config: Any, where: UPath, what: str) -> Settings:
    """The settings a run (or bake-off) started with, from the config in its manifest at
    `where`; where it is now wins (it may have been moved, or its store's endpoint changed)."""
    if not isinstance(config, dict) or not isinstance(config.get("run"), dict):
        raise InputError(f"{where}: field 'config': missing; not a {what}")
    run = {
        **config["run"],
        "runs_root": str(settings.run.runs_root),
        "storage_options": settings.run.storage_options,
    }
    config = {**config, "run": run}
    try:
        return Settings.model_validate(config)
    except ValueError as exc:
        raise InputError(
            f"{where}: its settings no longer validate ({' '.join(str(exc).split())[:200]}); "
            f"start a new {what}"
        ) from None


def _unchanged(hashes: Mapping[str, Any], inputs: BatchInputs, name: str, what: str) -> None:
    """Refuse to resume when the query set or corpus changed since it started."""
    now = {"query_set": inputs.query_set_hash, "corpus": inputs.corpus_hash}
    changed = [key for key, h in now.items() if hashes.get(key) != h]
    if changed:
        raise UserError(
            f"{name}: the {' and '.join(changed)} changed since it started; "
            f"start a new {what} instead of resuming"
        )


def check_resume(
    settings: Settings, overrides: dict[str, Any] | None, run_id: str
) -> tuple[Resumable, BatchInputs]:
    """The run to finish, with the settings it started with; refused when its inputs changed."""
    run_dir = layout.find_run(settings.run.runs_root, run_id)
    manifest = read_manifest(run_dir)
    resumed = _started_with(settings, manifest.config, manifest_path(run_dir), "run")
    inputs = check_run(resumed)
    # Finishing it would mix batches computed on different inputs in one run.
    _unchanged(manifest.hashes.model_dump(), inputs, f"run {run_id}", "run")
    ignored = sorted(
        k for k in overrides or {} if k != "run.runs_root" and not k.startswith("run.storage_")
    )
    return Resumable(resumed, run_dir, manifest, ignored), inputs


def check_index(settings: Settings) -> None:
    """The collection may be written to, and the corpus file reads (a bad line is named before
    any embedding)."""
    if settings.dataset.corpus is not None:  # refused with qdrant.existing (settings)
        load_corpus(settings.dataset.corpus)
    check_indexable(settings)
    check_embedder(settings.embedder)


def check_nightly(settings: Settings, baseline_run_id: str | None) -> BatchInputs:
    """A nightly run needs labels, and a pinned baseline that exists."""
    if settings.dataset.labels is None:
        raise SettingsError(
            f"profile '{settings.profile}': the regression set needs labels; set dataset.labels"
        )
    pinned = baseline_run_id or settings.regression.baseline_run
    if pinned:
        layout.find_run(settings.run.runs_root, pinned)
    return check_run(settings)


def check_faq(settings: Settings, faq_dir: str | None) -> None:
    """The FAQ questions read, the serving folder is known, the index is there."""
    check_ready(settings.reranker)
    refuse_precomputed_faq(settings)
    check_embedder(settings.embedder)
    faq.serving_dir(settings, faq_dir)
    load_queries(settings.dataset.queries)
    if settings.qdrant.existing:
        check_existing_collection(settings)
    else:
        assert settings.dataset.corpus is not None  # required unless existing (settings check)
        require_index(settings, dataset_hash(settings.dataset.corpus))


def _retrieval_only(settings: Settings) -> Settings:
    """A bake-off's shared checks: its columns' rerankers are checked (and fail) one by one."""
    return settings.model_copy(update={"reranker": RerankerSettings()})


@dataclass(frozen=True)
class BakeoffPlan:
    """What a bake-off runs: its settings, its columns (`none` first), the headline metric, and
    on resume the bake-off's manifest and directory."""

    settings: Settings
    specs: list[RerankerSpec]
    metric: str
    alpha: float
    inputs: BatchInputs
    manifest: dict[str, Any] | None = None
    bakeoff_dir: UPath | None = None


def check_bakeoff(
    settings: Settings, rerankers: Sequence[str], metric: str, alpha: float
) -> BakeoffPlan:
    """The rerankers parse and each makes valid settings, the metric is measured, the run's
    inputs and index are there. A reranker that cannot load (no weights, no key) is not
    refused here: it fails its own column, not the bake-off."""
    specs = bakeoff.parse_specs(rerankers)
    if settings.dataset.labels is None:
        raise SettingsError(
            f"profile '{settings.profile}': a bake-off compares quality, so it needs labels; "
            "set dataset.labels"
        )
    bakeoff.parse_metric(metric, settings)
    if not 0 < alpha < 1:
        raise SettingsError(f"--alpha {alpha}: expected a significance level between 0 and 1")
    for spec in specs:
        bakeoff.column_settings(settings, spec)
    return BakeoffPlan(settings, specs, metric, alpha, check_run(_retrieval_only(settings)))


def check_bakeoff_resume(settings: Settings, bakeoff_id: str) -> BakeoffPlan:
    """The bake-off to finish, with the settings it started with; refused when its queries or
    corpus changed since (its columns would be measured on different inputs)."""
    path = bakeoff.find_bakeoff(settings.run.runs_root, bakeoff_id)
    where = path / bakeoff.BAKEOFF_FILE
    manifest = storage.read_json(where)
    config = manifest.get("config") if isinstance(manifest, dict) else None
    resumed = _started_with(settings, config, where, "bake-off")
    inputs = check_run(_retrieval_only(resumed))
    # Its columns would be measured on different inputs.
    _unchanged(manifest.get("hashes") or {}, inputs, f"bake-off {bakeoff_id}", "bake-off")
    specs = [bakeoff.RerankerSpec(c["backend"], c["model"]) for c in manifest["columns"]]
    return BakeoffPlan(
        resumed,
        specs,
        manifest["metric"],
        float(manifest["alpha"]),
        inputs,
        manifest=manifest,
        bakeoff_dir=path,
    )
