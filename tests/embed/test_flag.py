"""The flag backend: FlagEmbedding's own vectors (FlagModel, BGEM3FlagModel) through the one
dispatch, on tiny random models in FlagEmbedding's layout; indexing and retrieval with it."""

from __future__ import annotations

import numpy as np
import pytest

from config.settings import EmbedderSettings
from tasks import embed
from tasks.embed import flag
from tasks.errors import NotReadyError, SettingsError
from tasks.index.indexing import require_index
from tasks.inputs.batch import load_inputs
from tasks.retrieve.batch import retrieve
from tasks.retrieve.vectorstore import open_client
from tasks.types import Query
from tests.embed.conftest import BGE_INSTRUCTION
from tests.helpers.flag_models import HIDDEN

QUERIES = [Query("q1", "how do I reset the router"), Query("q2", "battery life of the tablet")]
DOCS = ["Reset: hold the button for ten seconds.", "The tablet's battery lasts ten hours."]


def _settings(model, **extra) -> EmbedderSettings:
    return EmbedderSettings(backend="flag", model=str(model), device="cpu", **extra)


def test_bge_vectors_are_flagmodels_own(tiny_flag_model):
    from FlagEmbedding import FlagModel

    settings = _settings(tiny_flag_model, query_prefix=BGE_INSTRUCTION, document_prefix="")
    direct = FlagModel(
        str(tiny_flag_model),
        query_instruction_for_retrieval=BGE_INSTRUCTION,
        use_fp16=False,
        devices=["cpu"],
    )
    queries = embed.embed_queries(QUERIES, settings)
    np.testing.assert_array_equal(queries, direct.encode_queries([q.text for q in QUERIES]))
    np.testing.assert_array_equal(embed.embed_documents(DOCS, settings), direct.encode_corpus(DOCS))
    assert queries.dtype == np.float32 and queries.shape == (2, HIDDEN)
    np.testing.assert_allclose(np.linalg.norm(queries, axis=1), 1.0, rtol=1e-5)
    # The instruction is FlagEmbedding's query instruction: queries change, documents do not.
    plain = embed.embed_queries(QUERIES, _settings(tiny_flag_model))
    assert not np.allclose(plain, queries)
    assert embed.embedding_dim(settings) == HIDDEN


def test_bge_m3_dense_vectors_are_bgem3flagmodels_own(tiny_bge_m3):
    from FlagEmbedding import BGEM3FlagModel

    settings = _settings(tiny_bge_m3, query_prefix="query: ", document_prefix="passage: ")
    assert flag.flag_kind(settings) == "bge-m3"  # auto: the directory has the M3 heads
    direct = BGEM3FlagModel(
        str(tiny_bge_m3),
        query_instruction_for_retrieval="query: ",
        passage_instruction_for_retrieval="passage: ",
        use_fp16=False,
        devices=["cpu"],
    )
    np.testing.assert_array_equal(
        embed.embed_queries(QUERIES, settings),
        direct.encode_queries([q.text for q in QUERIES])["dense_vecs"],
    )
    np.testing.assert_array_equal(
        embed.embed_documents(DOCS, settings), direct.encode_corpus(DOCS)["dense_vecs"]
    )


def test_flag_model_kind_auto_and_explicit(tiny_flag_model, tiny_bge_m3):
    assert flag.flag_kind(_settings(tiny_flag_model)) == "bge"
    assert flag.flag_kind(_settings(tiny_bge_m3, flag_model="bge")) == "bge"
    assert flag.flag_kind(_settings(tiny_flag_model, flag_model="bge-m3")) == "bge-m3"
    with pytest.raises(SettingsError, match="embedder.flag_model"):
        flag.flag_kind(_settings("BAAI/not-in-any-cache"))


def test_model_loads_once_per_process(tiny_flag_model):
    settings = _settings(tiny_flag_model)
    embed.embed_queries(QUERIES, settings)
    before = flag.load_model.cache_info()
    embed.embed_queries(QUERIES, settings)
    embed.embed_documents(DOCS, settings)
    after = flag.load_model.cache_info()
    assert (after.misses, after.hits) == (before.misses, before.hits + 2)


def test_flag_checks_before_any_work(tmp_path, tiny_flag_model):
    embed.check_embedder(_settings(tiny_flag_model))  # a directory that exists: fine
    with pytest.raises(NotReadyError, match=r"embedder.model .*no such model directory"):
        embed.check_embedder(_settings(tmp_path / "missing-model"))
    with pytest.raises(NotReadyError, match="not in the local Hugging Face cache"):
        embed.check_embedder(_settings("BAAI/not-in-any-cache"))
    with pytest.raises(ValueError, match="embedder.model is required for backend 'flag'"):
        EmbedderSettings(backend="flag")


def test_index_and_retrieve_with_flag(flag_index, tiny_flag_model):
    """The collection holds FlagModel's corpus vectors, the run queries with its instructed
    query vectors: hits equal qdrant-client's own search with FlagModel's vectors."""
    from FlagEmbedding import FlagModel

    settings = flag_index
    inputs = load_inputs(settings)
    require_index(settings, inputs.corpus_hash)  # the index record names backend and model
    queries = inputs.queries[:5]
    hits, _ = retrieve(settings, queries)

    direct = FlagModel(
        str(tiny_flag_model),
        query_instruction_for_retrieval=BGE_INSTRUCTION,
        use_fp16=False,
        devices=["cpu"],
    )
    client = open_client(settings.qdrant)
    for query, vec, got in zip(
        queries, direct.encode_queries([q.text for q in queries]), hits, strict=True
    ):
        points = client.query_points(
            "flag", query=vec.tolist(), limit=settings.run.fetch_k, with_payload=True
        ).points
        assert [h.doc_id for h in got] == [p.payload["doc_id"] for p in points], query.qid
    metadata = client.get_collection("flag").config.metadata
    assert (metadata["backend"], metadata["dim"]) == ("flag", HIDDEN)


def test_a_flag_index_refuses_the_same_model_through_another_backend(flag_index):
    """Same model name, another library (pooling may differ): the run is refused in one line."""
    inputs = load_inputs(flag_index)
    other = flag_index.model_copy(
        update={"embedder": EmbedderSettings(model=flag_index.embedder.model)}
    )
    with pytest.raises(NotReadyError, match=r"indexed with embedder .*\(flag\), not"):
        require_index(other, inputs.corpus_hash)


@pytest.mark.skipif("not __import__('torch').cuda.is_available()")
def test_fp16_on_cuda(tiny_flag_model):
    """On CUDA the weights run in fp16; the vectors stay float32, unit, close to fp32's."""
    cpu = embed.embed_queries(QUERIES, _settings(tiny_flag_model))
    settings = EmbedderSettings(backend="flag", model=str(tiny_flag_model), device="cuda:0")
    gpu = embed.embed_queries(QUERIES, settings)
    import torch

    model = flag.load_model(str(tiny_flag_model), "bge", "cuda:0", "", "")
    assert next(model.model.parameters()).dtype == torch.float16
    assert gpu.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(gpu, axis=1), 1.0, rtol=1e-5)
    assert float((cpu * gpu).sum(axis=1).min()) > 0.999
