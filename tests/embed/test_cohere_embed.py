"""The cohere embedder through the real SDK against the Cohere-compatible server on 127.0.0.1:
vectors, batching, pacing under a 429 storm, wrong answers, the call log, the cache, costs."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from config.settings import CostSettings, EmbedderSettings, load_settings
from tasks import costs
from tasks.calls.calllog import CALLS_SCHEMA, calls_table
from tasks.calls.cohere_client import CohereAuthError
from tasks.calls.journal import CallJournal
from tasks.embed.cohere import CohereEmbedder, EmbedFailed, cohere_dimension, embed_cohere
from tasks.errors import InputError, NotReadyError, SettingsError
from tests.helpers import assert_metrics_close
from tests.helpers.cohere_server import (
    EMBED_BAD_ANSWERS,
    EMBED_PATH,
    KEY,
    CohereTestServer,
    embedding,
    max_in_window,
)

# Each test's request log lives under one folder removed at exit (the host-wide log would pace
# tests with every other process on the machine that uses the test key).
LIMITS = tempfile.TemporaryDirectory(prefix="rerankflow-limits-")


# The light model's 384 values keep the answers small (embed-v4.0's 1536 cost JSON time).
MODEL = "embed-english-light-v3.0"


def settings(server: CohereTestServer, tmp: Path, **cohere) -> EmbedderSettings:
    # Tests not about the rate get a budget that does not slow them; a request log of their
    # own (see LIMITS).
    cohere.setdefault("requests_per_minute", 6000)
    cohere.setdefault("limiter_dir", tempfile.mkdtemp(dir=LIMITS.name))
    conf = {"base_url": server.url, "global_limit": None, "cache_dir": str(tmp / "cache")}
    return EmbedderSettings(backend="cohere", model=MODEL, cohere={**conf, **cohere})


def embedder(s: EmbedderSettings) -> CohereEmbedder:
    """A fresh embedder (embed_cohere keeps one per process and settings)."""
    return CohereEmbedder(s.model or "", s.cohere, cohere_dimension(s))


def unit(vectors: list[list[float]]) -> np.ndarray:
    v = np.asarray(vectors, dtype=np.float64)
    return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)


@pytest.fixture
def co_key(monkeypatch):
    monkeypatch.setenv("CO_API_KEY", KEY)
    return KEY


def test_vectors_batches_of_96_and_billed_tokens(co_key, tmp_path):
    texts = [f"document {i} about topic {i % 7}" for i in range(200)]
    journal = CallJournal(tmp_path / "journal", "run-1", 0)
    with CohereTestServer(keys={KEY: None}) as server:
        s = settings(server, tmp_path, cache=False)
        docs = embed_cohere(texts, s, "search_document", journal)
        queries = embedder(s).embed(texts[:3], "search_query")
        sent = server.calls
    # 96 texts a request at most (sent in parallel: any order)
    assert sorted(c.n_documents for c in sent[:3]) == [8, 96, 96] and sent[3].n_documents == 3
    assert all(c.path == EMBED_PATH and c.status == 200 for c in sent)
    # Exactly the server's vectors, in text order, unit-normalised float32.
    want = unit([embedding(t, MODEL, "search_document", 384) for t in texts])
    assert docs.dtype == np.float32 and docs.shape == (200, 384)
    np.testing.assert_allclose(docs, want, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(np.linalg.norm(docs, axis=1), 1.0, rtol=1e-6)
    # input_type reaches the server: a query's vector is not its document vector.
    assert not np.allclose(queries, docs[:3])
    rows = journal.read().to_pylist()
    assert [(r["endpoint"], r["backend"], r["model"]) for r in rows] == [
        ("embed", "cohere", MODEL)
    ] * 3
    assert sorted(r["documents"] for r in rows) == [8, 96, 96]
    assert sum(r["billed_tokens"] for r in rows) == sum(c.billed_tokens for c in sent[:3]) > 0
    assert all(r["qid"] is None and r["search_units"] is None for r in rows)


def test_429_storm_is_paced_retried_and_every_attempt_logged(co_key, tmp_path):
    # The client believes it may send 50/s; the server allows 3 a second and says when.
    texts = [f"text {i}" for i in range(16)]
    journal = CallJournal(tmp_path / "journal", "run-1", 0)
    with CohereTestServer(keys={KEY: 3}, window_s=1.0) as server:
        server.inject("status", count=1, status=503)
        server.inject("drop", count=1)
        s = settings(
            server,
            tmp_path,
            requests_per_minute=50,
            rate_window_s=1.0,
            texts_per_request=2,
            max_attempts=8,
            cache=False,
        )
        vectors = embedder(s).embed(texts, "search_query", journal)
        sent = server.calls
    assert vectors.shape == (16, 384)
    rows = journal.read().to_pylist()
    statuses = [r["http_status"] for r in rows]
    assert statuses.count(200) == 8 and 429 in statuses and 503 in statuses
    assert None in statuses  # the dropped connection
    # One row per attempt, each request the server saw (dropped ones too).
    assert len(rows) == len(sent)
    assert max(r["attempt"] for r in rows) >= 2
    # Retries waited what Retry-After asked: accepted calls fit the server's window.
    assert max_in_window([c.t for c in sent if c.status == 200], 1.0) <= 3


@pytest.mark.parametrize("fault", EMBED_BAD_ANSWERS)
def test_a_wrong_answer_is_a_failed_attempt_never_a_vector(co_key, tmp_path, fault):
    journal = CallJournal(tmp_path / "journal", "run-1", 0)
    texts = ["alpha beta", "gamma"]
    with CohereTestServer(keys={KEY: None}) as server:
        server.inject(fault, count=2, path=EMBED_PATH)
        s = settings(server, tmp_path, max_attempts=2, max_retry_seconds=5)
        with pytest.raises(EmbedFailed, match="invalid answer"):
            embedder(s).embed(texts, "search_query", journal)
        rows = journal.read().to_pylist()
        assert [r["http_status"] for r in rows] == [200, 200]
        assert all(r["error"].startswith("invalid answer (HTTP 200)") for r in rows)
        # Nothing was cached: a healthy retry asks again, and gets the right vectors.
        server.reset_calls()
        again = embedder(s).embed(texts, "search_query", journal)
        assert len(server.calls) == 1
    np.testing.assert_allclose(
        again, unit([embedding(t, MODEL, "search_query", 384) for t in texts]), rtol=1e-6
    )


def test_cache_serves_a_resumed_run_with_no_call(co_key, tmp_path):
    texts = [f"query {i}" for i in range(10)]
    with CohereTestServer(keys={KEY: None}) as server:
        s = settings(server, tmp_path, texts_per_request=4)
        first = embedder(s).embed(texts, "search_query")
        n_first = len(server.calls)
        journal = CallJournal(tmp_path / "journal", "run-1", 0)
        again = embedder(s).embed(texts, "search_query", journal)
        assert len(server.calls) == n_first == 3
        # Another input type is another vector: bought, not served.
        embedder(s).embed(texts[:1], "search_document")
        assert len(server.calls) == 4
    np.testing.assert_array_equal(first, again)
    [row] = journal.read().to_pylist()
    assert row["cache_hit"] and row["documents"] == 10 and row["billed_tokens"] == 0
    # The three requests' cache parts were folded into one.
    assert len(list((tmp_path / "cache").glob("part-*.parquet"))) == 2


def test_missing_and_refused_keys_name_the_embedder_setting(monkeypatch, tmp_path):
    monkeypatch.delenv("CO_API_KEY", raising=False)
    with CohereTestServer(keys={KEY: None}) as server:
        s = settings(server, tmp_path)
        with pytest.raises(NotReadyError, match="embedder.cohere.api_key_secret") as err:
            embedder(s)
        assert "CO_API_KEY" in str(err.value) and "\n" not in str(err.value)
        monkeypatch.setenv("CO_API_KEY", "wrong-key-77c1d2")
        with pytest.raises(CohereAuthError, match="embedder.cohere.api_key_secret") as err:
            embedder(s).embed([f"t{i}" for i in range(300)], "search_query")
        assert [c.status for c in server.calls] == [401]  # one request, not one per chunk
    assert "wrong-key-77c1d2" not in str(err.value)


def test_dimension_is_known_without_a_call():
    assert cohere_dimension(EmbedderSettings(backend="cohere")) == 1536  # embed-v4.0
    small = EmbedderSettings(backend="cohere", cohere={"output_dimension": 256})
    assert cohere_dimension(small) == 256
    with pytest.raises(SettingsError, match="embedder.cohere.output_dimension"):
        cohere_dimension(EmbedderSettings(backend="cohere", model="embed-unknown"))


def test_costs_price_embed_by_tokens_apart_from_rerank(tmp_path):
    at = datetime(2026, 1, 1, tzinfo=UTC)
    rerank = [
        {
            "backend": "cohere",
            "model": "rerank-v3.5",
            "qid": f"q{i}",
            "documents": 50,
            "search_units": 1,
            "latency_s": 0.1,
            "http_status": 200,
            "started_at": at,
        }
        for i in range(4)
    ]
    embed = [
        {
            "endpoint": "embed",
            "backend": "cohere",
            "model": "embed-v4.0",
            "documents": 4,
            "billed_tokens": 400_000,
            "latency_s": 0.2,
            "http_status": 200,
            "started_at": at,
        },
        {
            "endpoint": "embed",
            "backend": "cohere",
            "model": "embed-v4.0",
            "documents": 4,
            "attempt": 2,
            "billed_tokens": 100_000,
            "latency_s": 0.2,
            "http_status": 200,
            "started_at": at,
        },
    ]
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    pq.write_table(calls_table(rerank + embed, "run-1", 0), run_dir / "calls.parquet")
    prices = CostSettings()
    rows = costs.run_costs(costs.read_calls([run_dir / "calls.parquet"]), prices, 1000)
    by = {r["endpoint"]: r for r in rows}
    assert [r["endpoint"] for r in rows] == ["rerank", "embed", "total"]
    assert by["rerank"]["cost"] == pytest.approx(4 / 1000 * 2.0)
    # 500,000 billed tokens at $0.12 per 1M, over the run's 4 queries.
    assert by["embed"]["billed_tokens"] == 500_000 and by["embed"]["queries"] == 4
    assert by["embed"]["cost"] == pytest.approx(0.06)
    assert by["embed"]["cost_per_1k_queries"] == pytest.approx(15.0)
    assert by["total"]["cost"] == pytest.approx(0.06 + 0.008)
    assert by["total"]["projected_per_day"] == pytest.approx(
        by["rerank"]["projected_per_day"] + by["embed"]["projected_per_day"]
    )
    summary = costs.run_cost_summary(run_dir, prices)
    assert summary["total"] == pytest.approx(0.068) and summary["embed_billed_tokens"] == 500_000
    text = costs.format_costs(rows, 1000)
    assert "tokens" in text and "total" in text
    # A call log from before the endpoint column reads as rerank calls.
    old = calls_table(rerank, "run-0", 0).drop_columns(["endpoint", "billed_tokens"])
    assert "endpoint" not in old.column_names and CALLS_SCHEMA.field("endpoint")
    pq.write_table(old, run_dir / "old.parquet")
    [row] = costs.run_costs(costs.read_calls([run_dir / "old.parquet"]), prices, 1000)
    assert row["endpoint"] == "rerank" and row["queries"] == 4


@pytest.mark.slow
def test_index_and_run_embed_through_cohere_on_the_call_log(prefect_server, tmp_path, monkeypatch):
    """`index` and a run with embedder.backend cohere: every embed call on the call logs with
    its billed tokens, the run's costs with an embed line, a second run served by the cache,
    a missing key refused before anything is written."""
    from flows.index_corpus import index_corpus
    from flows.rerank_batch import rerank_batch
    from tasks.inputs.loaders import load_queries
    from tests.helpers import SAMPLE, profile_overrides

    n_queries = len(load_queries(SAMPLE / "labels.jsonl"))
    monkeypatch.setenv("CO_API_KEY", KEY)
    with CohereTestServer(keys={KEY: None}) as server:
        overrides = profile_overrides(
            tmp_path,
            **{
                "embedder.backend": "cohere",
                "embedder.model": MODEL,
                "embedder.cohere.base_url": server.url,
                "embedder.cohere.requests_per_minute": 6000,
                "embedder.cohere.global_limit": "cohere-embed-flow-test",
                "embedder.cohere.limiter_dir": str(tmp_path / "limits"),
                "embedder.cohere.cache_dir": str(tmp_path / "cache"),
            },
        )
        report = index_corpus(profile="demo", overrides=overrides)
        indexed = server.calls
        assert all(c.path == EMBED_PATH and c.status == 200 for c in indexed)
        assert report["embed_calls"]["requests"] == len(indexed) == 4  # 302 documents / 96
        assert report["embed_calls"]["billed_tokens"] == sum(c.billed_tokens for c in indexed)

        server.reset_calls()
        first = rerank_batch(profile="demo", overrides=overrides)
        sent = server.calls
        assert sent and all(c.path == EMBED_PATH for c in sent)
        run_dir = Path(first["run_dir"])
        calls = pq.read_table(run_dir / "calls.parquet").to_pylist()
        embeds = [c for c in calls if c["endpoint"] == "embed"]
        assert len(embeds) == len(sent) and all(not c["cache_hit"] for c in embeds)
        assert sum(c["documents"] for c in embeds) == n_queries
        assert sum(c["billed_tokens"] for c in embeds) == sum(c.billed_tokens for c in sent)
        assert {c["endpoint"] for c in calls} == {"embed", "rerank"}
        rows = costs.run_costs(costs.read_calls([run_dir / "calls.parquet"]), CostSettings(), 1000)
        assert [r["endpoint"] for r in rows] == ["rerank", "embed", "total"]
        assert rows[1]["cost"] == pytest.approx(
            sum(c.billed_tokens for c in sent) / 1e6 * CostSettings().cohere_embed_per_1m_tokens
        )
        assert first["manifest"]["cost"]["embed_billed_tokens"] == rows[1]["billed_tokens"]
        # `costs` also prices what the index bought: its own embed line, no queries.
        settings = load_settings("demo", overrides)
        index_id = report["embed_calls"]["id"]
        everything = costs.run_costs(costs.select_calls(settings), CostSettings(), 1000)
        assert [r["run_id"] for r in everything].count(index_id) == 1
        [line] = costs.run_costs(costs.select_calls(settings, [index_id]), CostSettings(), 1000)
        assert line["run_id"] == index_id and line["endpoint"] == "embed"
        assert line["billed_tokens"] == report["embed_calls"]["billed_tokens"]
        assert line["cost"] == pytest.approx(
            line["billed_tokens"] / 1e6 * CostSettings().cohere_embed_per_1m_tokens
        )
        assert line["queries"] is None and line["cost_per_1k_queries"] is None
        with pytest.raises(InputError, match="no embed calls for index 'index-nope'"):
            costs.select_calls(settings, ["index-nope"])

        # The same queries again: every vector from the cache, nothing bought.
        server.reset_calls()
        second = rerank_batch(profile="demo", overrides=overrides)
        assert server.calls == []
        calls = pq.read_table(Path(second["run_dir"]) / "calls.parquet").to_pylist()
        embeds = [c for c in calls if c["endpoint"] == "embed"]
        assert embeds and all(c["cache_hit"] and c["billed_tokens"] == 0 for c in embeds)
        assert sum(c["documents"] for c in embeds) == n_queries
        # Same metrics (up to DuckDB's summation order): the cached vectors are the bought ones.
        assert_metrics_close(second["metrics"], first["metrics"])

        monkeypatch.delenv("CO_API_KEY")
        runs_before = sorted((tmp_path / "runs").rglob("*"))
        with pytest.raises(NotReadyError, match="embedder.cohere.api_key_secret"):
            rerank_batch(profile="demo", overrides=overrides)
        assert sorted((tmp_path / "runs").rglob("*")) == runs_before and server.calls == []
