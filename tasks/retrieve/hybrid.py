"""Hybrid queries (`qdrant.sparse_vector`): the query's sparse vectors, made the way the
collection's were (tasks.retrieve.sparse), and the check that the collection can answer them.

tasks.retrieve.search sends them beside the dense vectors through Qdrant's Query API (two
prefetches fused by RRF or DBSF).
"""

from __future__ import annotations

from collections.abc import Sequence

from qdrant_client import models

from config.settings import EmbedderSettings, QdrantSettings, Settings
from tasks.doctor import Check
from tasks.errors import SettingsError
from tasks.retrieve import sparse
from tasks.retrieve.search import Layout, payload_value
from tasks.retrieve.vectorstore import open_client

# Points whose stored sparse vector is compared with the query side's convention.
SPARSE_SAMPLE = 8
# Share of a stored vector's indices the convention must reproduce from the point's text: a
# little under 1, since the payload text may differ slightly from what was indexed (a title).
MIN_INDEX_OVERLAP = 0.8


def require_bge_m3(embedder: EmbedderSettings) -> None:
    """BGE-M3 lexical weights come from the embedder's own BGEM3FlagModel, so one model makes
    a query's dense and sparse vectors, as in production."""
    from tasks.embed import flag

    if embedder.backend != "flag" or flag.flag_kind(embedder) != "bge-m3":
        raise SettingsError(
            "qdrant.sparse_query: bge-m3 takes the lexical weights from the embedder's "
            f"BGEM3FlagModel, but embedder.backend is {embedder.backend}"
            + (f" with flag_model {flag.flag_kind(embedder)}" if embedder.backend == "flag" else "")
            + "; set embedder.backend: flag and embedder.flag_model: bge-m3 with the BGE-M3 "
            "model the collection was built with"
        )


def bge_m3_vectors(
    texts: Sequence[str], embedder: EmbedderSettings, *, queries: bool
) -> list[models.SparseVector]:
    """BGE-M3 lexical weights as sparse vectors: queries with encode_queries, documents with
    encode_corpus (FlagEmbedding adds the instruction and applies its max length for each)."""
    from tasks.embed import flag

    require_bge_m3(embedder)
    model = flag.loaded_model(embedder)  # the dense leg's model, loaded once
    encode = model.encode_queries if queries else model.encode_corpus
    out = encode(
        list(texts),
        batch_size=embedder.batch_size,
        return_dense=False,
        return_sparse=True,
        return_colbert_vecs=False,
    )
    return [sparse.lexical_weights_vector(w) for w in out["lexical_weights"]]


def sparse_queries(settings: Settings, texts: Sequence[str]) -> list[models.SparseVector]:
    """The sparse vector of each query text, by qdrant.sparse_query, from the text the dense
    leg embeds (query prefix or instruction included)."""
    if settings.qdrant.sparse_query == "bge-m3":
        return bge_m3_vectors(texts, settings.embedder, queries=True)
    return sparse.bm25_query_vectors([settings.embedder.query_prefix + t for t in texts])


# --------------------------------------------------------------------------- checks


def _sparse_configs(info: models.CollectionInfo) -> dict[str, models.SparseVectorParams]:
    return dict(info.config.params.sparse_vectors or {})


def _describe(configs: dict[str, models.SparseVectorParams]) -> str:
    return ", ".join(f"{name!r} ({_modifier(p)})" for name, p in configs.items()) or "none"


def _modifier(params: models.SparseVectorParams) -> str:
    return "idf" if params.modifier == models.Modifier.IDF else "no modifier"


def _expected_indices(settings: Settings):  # -> Callable[[str], set[int]]
    if settings.qdrant.sparse_query == "bm25":
        return sparse.bm25_indices
    from transformers import AutoTokenizer

    from tasks.model_location import local_dir

    model = settings.embedder.model
    assert model is not None  # required for flag (settings)
    tokenizer = AutoTokenizer.from_pretrained(str(local_dir(model) or model))
    # Lexical weights are keyed by the ids of the text's own tokens.
    return lambda text: set(tokenizer(text, truncation=True, max_length=8192)["input_ids"])


def _stored_sample(settings: Settings) -> list[tuple[object, str, list[int]]]:
    """(point id, text, stored sparse indices) of a few points holding both."""
    q = settings.qdrant
    points, _ = open_client(q).scroll(
        q.collection,
        limit=SPARSE_SAMPLE,
        with_payload=[Layout.of(q).text_key],
        with_vectors=[q.sparse_vector],
    )
    out = []
    for p in points:
        text = payload_value(p.payload, Layout.of(q).text_key)
        vec = (p.vector or {}).get(q.sparse_vector) if isinstance(p.vector, dict) else None
        if isinstance(text, str) and vec is not None and vec.indices:
            out.append((p.id, text, list(vec.indices)))
    return out


def check_sparse_vector(settings: Settings) -> Check:
    """The sparse vector exists, its modifier fits qdrant.sparse_query, and the stored vectors
    of a few points are what that convention makes of their text (same indices)."""
    q: QdrantSettings = settings.qdrant
    client = open_client(q)
    if not client.collection_exists(q.collection):
        return Check("sparse", "skip", f"no collection '{q.collection}'")
    configs = _sparse_configs(client.get_collection(q.collection))
    if q.sparse_vector not in configs:
        fix = (
            f"set qdrant.sparse_vector to one of: {', '.join(configs)}"
            if configs
            else "unset qdrant.sparse_vector (the collection has no sparse vectors: dense only)"
        )
        return Check(
            "sparse",
            "FAIL",
            f"collection '{q.collection}' has no sparse vector named {q.sparse_vector!r} "
            f"(qdrant.sparse_vector); its sparse vectors: {_describe(configs)}",
            fix,
        )
    idf = configs[q.sparse_vector].modifier == models.Modifier.IDF
    want_idf = q.sparse_query == "bm25"
    if idf != want_idf:
        needs = (
            "Modifier.IDF (documents hold term frequencies)"
            if want_idf
            else "no modifier (lexical weights are final)"
        )
        return Check(
            "sparse",
            "FAIL",
            f"sparse vector {q.sparse_vector!r} has {_modifier(configs[q.sparse_vector])}, but "
            f"qdrant.sparse_query: {q.sparse_query} needs {needs}",
            "set qdrant.sparse_query to how the collection's sparse vectors were made",
        )
    if q.sparse_query == "bge-m3":
        try:
            require_bge_m3(settings.embedder)
        except SettingsError as exc:
            detail, _, fix = str(exc).partition("; ")  # the message ends with its fix
            return Check("sparse", "FAIL", detail, fix)
    sample = _stored_sample(settings)
    if sample:
        expected = _expected_indices(settings)
        for point_id, text, stored in sample:
            share = len(set(stored) & expected(text)) / len(stored)
            if share < MIN_INDEX_OVERLAP:
                return Check(
                    "sparse",
                    "FAIL",
                    f"point {point_id}: only {share:.0%} of its {q.sparse_vector!r} indices "
                    f"are what qdrant.sparse_query: {q.sparse_query} makes of its text: the "
                    "collection's sparse vectors were made another way",
                    "set qdrant.sparse_query (and embedder.model) to how they were made; see "
                    "README 'Hybrid queries'",
                )
    limit = q.prefetch_limit or settings.run.fetch_k
    return Check(
        "sparse",
        "ok",
        f"{q.sparse_vector!r} ({_modifier(configs[q.sparse_vector])}), queries by "
        f"{q.sparse_query}, {len(sample)} sampled points agree; {q.fusion} fusion of "
        f"{limit} dense + {limit} sparse candidates",
    )
