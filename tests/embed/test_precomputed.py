"""The precomputed backend: query vectors given in the queries Parquet file, read and checked
row by row, searched as given, their dimension checked against the collection before any work."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from qdrant_client import models

from config.settings import EmbedderSettings, Settings, load_settings
from flows import preflight
from tasks import embed
from tasks.errors import InputError, NotReadyError, SettingsError
from tasks.index.indexing import index_corpus
from tasks.inputs.hashing import query_set_hash
from tasks.inputs.queries import load_queries
from tasks.retrieve.batch import retrieve
from tasks.retrieve.vectorstore import open_client
from tests.helpers import profile_overrides


def _write(path, columns: dict, schema: pa.Schema | None = None):
    pq.write_table(pa.table(columns, schema=schema), path)
    return path


# Lists of doubles: what pandas and most writers produce from Python floats.
DOUBLES = pa.list_(pa.float64())


def _queries(path, vectors: list, vector_type: pa.DataType = DOUBLES):
    n = len(vectors)
    schema = pa.schema([("qid", pa.string()), ("query", pa.string()), ("vector", vector_type)])
    columns = {"qid": [f"q{i}" for i in range(n)], "query": [f"text {i}" for i in range(n)]}
    return _write(path, {**columns, "vector": vectors}, schema)


def test_vectors_are_read_as_float32_rows(tmp_path):
    path = _queries(tmp_path / "q.parquet", [[0.5, 1.0, -2.0], [1.0, 0.0, 0.0]])
    queries = load_queries(path, vectors=True)
    assert [q.qid for q in queries] == ["q0", "q1"]
    assert queries[0].vector.dtype == np.float32
    np.testing.assert_array_equal(queries[0].vector, [0.5, 1.0, -2.0])
    # Without the backend, the column is ignored as before.
    assert all(q.vector is None for q in load_queries(path))
    # Fixed-size lists of float32 read too.
    fixed = _queries(tmp_path / "f.parquet", [[1.0, 2.0]], pa.list_(pa.float32(), 2))
    np.testing.assert_array_equal(load_queries(fixed, vectors=True)[0].vector, [1.0, 2.0])


@pytest.mark.parametrize(
    ("vectors", "problem"),
    [
        ([[1.0, 2.0], None], r":2: field 'vector': null$"),
        ([[1.0, 2.0], [1.0, 2.0], [3.0]], r":3: field 'vector': 1 values, but row 1 has 2$"),
        ([[1.0, 2.0], [1.0, float("nan")]], r":2: field 'vector': not a finite float32 \(nan at"),
        ([[float("inf"), 2.0]], r":1: field 'vector': not a finite float32 \(inf at position 0"),
        ([[1.0, 2.0], [1e39, 2.0]], r":2: field 'vector': not a finite float32 \(1e\+39 at"),
        ([[1.0, 2.0], [1.0, None]], r":2: field 'vector': null value at position 1$"),
        ([[0.0, 0.0]], r":1: field 'vector': all zeros"),
        ([[]], r":1: field 'vector': empty list$"),
    ],
)
def test_one_clear_error_per_bad_row(tmp_path, vectors, problem):
    path = _queries(tmp_path / "q.parquet", vectors)
    with pytest.raises(InputError, match=problem) as caught:
        load_queries(path, vectors=True)
    assert str(caught.value).startswith(f"{path}:") and "\n" not in str(caught.value)


def test_missing_or_mistyped_column_and_jsonl(tmp_path):
    plain = _write(tmp_path / "plain.parquet", {"qid": ["a"], "query": ["x"]})
    with pytest.raises(InputError, match=r"field 'vector': column missing .*precomputed"):
        load_queries(plain, vectors=True)
    texts = _write(tmp_path / "t.parquet", {"qid": ["a"], "query": ["x"], "vector": ["1,2"]})
    with pytest.raises(InputError, match="expected a list of floats column, got string"):
        load_queries(texts, vectors=True)
    jsonl = tmp_path / "q.jsonl"
    jsonl.write_text(json.dumps({"_id": "a", "text": "x"}) + "\n")
    with pytest.raises(InputError, match="read from a Parquet file"):
        load_queries(jsonl, vectors=True)


def test_vectors_count_in_the_query_set_hash(tmp_path):
    one = load_queries(_queries(tmp_path / "1.parquet", [[1.0, 2.0]]), vectors=True)
    two = load_queries(_queries(tmp_path / "2.parquet", [[1.0, 2.5]]), vectors=True)
    assert query_set_hash(one) != query_set_hash(two)
    # Queries without vectors hash as they always did.
    texts_only = load_queries(tmp_path / "1.parquet")
    assert query_set_hash(texts_only) == query_set_hash(load_queries(tmp_path / "2.parquet"))
    assert query_set_hash(one) != query_set_hash(texts_only)


def _precomputed(base: Settings, queries_path, **embedder) -> Settings:
    return base.model_copy(
        update={
            "embedder": EmbedderSettings(backend="precomputed", **embedder),
            "dataset": base.dataset.model_copy(update={"queries": queries_path}),
        }
    )


def test_precomputed_run_searches_what_the_embedder_would(tmp_path, flag_index):
    """Vectors made outside (here FlagEmbedding itself) give the flag backend's hits."""
    from tasks.inputs.loaders import load_queries as load_sample

    sample = load_sample(flag_index.dataset.queries)[:6]
    vectors = embed.embed_queries(sample, flag_index.embedder)
    path = _write(
        tmp_path / "vectors.parquet",
        {
            "qid": [q.qid for q in sample],
            "query": [q.text for q in sample],
            "vector": [v.tolist() for v in vectors],
        },
    )
    settings = _precomputed(flag_index, path)
    inputs = preflight.check_run(settings)  # the index and the vectors' dimension are fine
    assert [q.qid for q in inputs.queries] == [q.qid for q in sample]
    got, _ = retrieve(settings, inputs.queries)
    want, _ = retrieve(flag_index, inputs.queries)
    assert [[h.doc_id for h in hits] for hits in got] == [[h.doc_id for h in w] for w in want]
    # embedder.model, when given, names the model the collection was built with.
    preflight.check_run(_precomputed(flag_index, path, model=flag_index.embedder.model))
    with pytest.raises(NotReadyError, match=r"indexed with embedder .*\(embedder.model\)"):
        preflight.check_run(_precomputed(flag_index, path, model="another/model"))


def test_wrong_dimension_and_missing_column_stop_the_run(tmp_path, flag_index):
    short = _queries(tmp_path / "short.parquet", [[1.0] * 8])
    with pytest.raises(SettingsError) as caught:
        preflight.check_run(_precomputed(flag_index, short))
    message = str(caught.value)
    assert "field 'vector': 8-d query vectors" in message and "holds 32-d" in message
    plain = _write(tmp_path / "plain.parquet", {"qid": ["a"], "query": ["x"]})
    with pytest.raises(InputError, match="field 'vector': column missing"):
        preflight.check_run(_precomputed(flag_index, plain))


def test_indexing_and_faq_refuse_precomputed(tmp_path):
    settings = load_settings(
        "demo", profile_overrides(tmp_path, **{"embedder.backend": "precomputed"})
    )
    with pytest.raises(SettingsError, match="documents need an embedder"):
        preflight.check_index(settings)
    with pytest.raises(SettingsError, match="documents need an embedder"):
        index_corpus(settings)
    with pytest.raises(SettingsError, match="FAQ table embeds its questions"):
        preflight.check_faq(settings, str(tmp_path / "faq"))
    assert not (tmp_path / "qdrant").exists()  # refused before the store was opened


def test_existing_collection_with_a_named_vector(tmp_path):
    """A collection rerankflow did not create, searched on its named vector 'dense'."""
    overrides = profile_overrides(
        tmp_path,
        **{
            "qdrant.existing": True,
            "qdrant.collection": "theirs",
            "qdrant.vector": "dense",
            "dataset.corpus": None,
            "dataset.labels": None,
            "embedder.backend": "precomputed",
        },
    )
    base = load_settings("demo", overrides)
    client = open_client(base.qdrant)
    client.create_collection(
        "theirs",
        vectors_config={"dense": models.VectorParams(size=4, distance=models.Distance.DOT)},
    )
    rng = np.random.default_rng(0)
    doc_vectors = rng.normal(size=(20, 4))
    client.upsert(
        "theirs",
        [
            models.PointStruct(id=i, vector={"dense": v.tolist()}, payload={"text": f"doc {i}"})
            for i, v in enumerate(doc_vectors)
        ],
    )
    # Not unit length: precomputed vectors are searched as given (a dot-product collection).
    query_vectors = rng.normal(size=(3, 4)) * 3
    path = _queries(tmp_path / "q.parquet", [v.tolist() for v in query_vectors])
    settings = _precomputed(base, path)
    inputs = preflight.check_run(settings)
    hits, _ = retrieve(settings, inputs.queries)
    for vec, got in zip(query_vectors, hits, strict=True):
        direct = client.query_points("theirs", query=vec.tolist(), using="dense", limit=50).points
        assert [h.doc_id for h in got] == [str(p.id) for p in direct]
        np.testing.assert_allclose([h.score for h in got], [p.score for p in direct], rtol=1e-5)
    wrong = _precomputed(base, _queries(tmp_path / "w.parquet", [[1.0, 2.0, 3.0]]))
    with pytest.raises(SettingsError, match=r"vector 'dense' \(qdrant.vector\) holds 4-d"):
        preflight.check_run(wrong)
