"""Where the data comes from: the dataset files, the embedder, the Qdrant collection."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from config.base import Frozen
from config.reranker import CohereSettings

DEFAULT_EMBEDDER = "all-MiniLM-L6-v2"


class DatasetSettings(Frozen):
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


EmbedBackend = Literal["sentence-transformers", "flag", "cohere", "precomputed"]
DEFAULT_COHERE_EMBED_MODEL = "embed-v4.0"
DEFAULT_EMBED_BACKEND: EmbedBackend = "sentence-transformers"


class EmbedderSettings(Frozen):
    """How queries (and, at `rerankflow index`, documents) become vectors. A collection must be
    queried with the embedder that built it: same backend, model and prefixes."""

    backend: EmbedBackend = DEFAULT_EMBED_BACKEND
    # sentence-transformers: model id or local path, default the packaged all-MiniLM-L6-v2
    # (loads offline); flag: hub id or local directory (required); cohere: Cohere model name,
    # default embed-v4.0; precomputed: optionally the model that made the vectors (checked
    # against the index record of a collection rerankflow built).
    model: str | None = None
    batch_size: int = Field(64, ge=1)
    device: str | None = None
    # Prepended to every query / document before embedding. For flag this is FlagEmbedding's
    # query instruction (query_instruction_for_retrieval, e.g. BGE v1.5's "Represent this
    # sentence for searching relevant passages: ") and passage instruction.
    query_prefix: str = ""
    document_prefix: str = ""
    # flag: which FlagEmbedding class loads the model; auto = bge-m3 when the model directory
    # holds BGE-M3's colbert_linear.pt and sparse_linear.pt, else bge (FlagModel).
    flag_model: Literal["auto", "bge", "bge-m3"] = "auto"
    # cohere: the client, key and call budget (the same settings as the reranker's).
    cohere: CohereSettings = CohereSettings()

    @model_validator(mode="before")
    @classmethod
    def _default_model(cls, data: Any) -> Any:
        # Before, not after: an after-validator's copy is dropped when built via __init__.
        if not isinstance(data, dict) or data.get("model"):
            return data
        default = {
            "sentence-transformers": DEFAULT_EMBEDDER,
            "cohere": DEFAULT_COHERE_EMBED_MODEL,
        }.get(data.get("backend", DEFAULT_EMBED_BACKEND))
        return {**data, "model": default} if default else data

    @model_validator(mode="after")
    def _model_needed(self) -> EmbedderSettings:
        if self.backend == "flag" and not self.model:
            raise ValueError(
                "embedder.model is required for backend 'flag' (a hub id such as "
                "BAAI/bge-base-en-v1.5, or a local model directory)"
            )
        return self


class SearchParamsSettings(Frozen):
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


class QdrantSettings(Frozen):
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
