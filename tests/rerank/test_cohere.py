"""The cohere backend through the real SDK against the Cohere-compatible server on 127.0.0.1."""

from __future__ import annotations

import math
import tempfile

import numpy as np
import pytest

from config.settings import CohereSettings, CostSettings, load_settings
from tasks import costs
from tasks.calls.answer_cache import AnswerCache
from tasks.calls.cohere_client import CohereAuthError, InvalidAnswer
from tasks.calls.http_retry import retry_after_seconds
from tasks.calls.ratelimit import leaky_bucket
from tasks.errors import NotReadyError
from tasks.rerank.cohere import CohereReranker
from tasks.rerank.cohere_answer import answer_scores
from tasks.types import Hit
from tests.helpers import REPO
from tests.helpers.cohere_server import BAD_ANSWERS, KEY, CohereTestServer, max_in_window

# Each test's request log lives under one folder removed at exit (the host-wide log would pace
# tests with every other process on the machine that uses the test key).
LIMITS = tempfile.TemporaryDirectory(prefix="rerankflow-limits-")


def hits(n: int, words: str = "alpha beta gamma") -> list[Hit]:
    vocab = words.split()
    # Document i mentions the first (i % (len(vocab)+1)) query words: known lexical order.
    return [
        Hit(f"d{i}", " ".join(vocab[: i % (len(vocab) + 1)]) + f" filler {i}", 0.0)
        for i in range(n)
    ]


def reranker(server: CohereTestServer, tmp_path=None, **settings) -> CohereReranker:
    # Tests not about the rate get a budget that does not slow them (pacing would).
    settings.setdefault("requests_per_minute", 6000)
    # A request log of its own (see LIMITS).
    settings.setdefault("limiter_dir", tempfile.mkdtemp(dir=LIMITS.name))
    conf = CohereSettings(base_url=server.url, global_limit=None, **settings)
    cache = AnswerCache(tmp_path / "cache") if tmp_path is not None else None
    return CohereReranker("rerank-v3.5", conf, cache)


@pytest.fixture
def co_key(monkeypatch):
    monkeypatch.setenv("CO_API_KEY", KEY)
    return KEY


def test_retry_after_parsing():
    assert retry_after_seconds({"Retry-After": "7"}) == 7.0
    assert retry_after_seconds({"retry-after-ms": "1500"}) == 1.5
    assert retry_after_seconds({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0
    assert retry_after_seconds({"retry-after": "soon"}) is None
    assert retry_after_seconds(None) is None


@pytest.mark.parametrize("requests,window", [(10, 60.0), (1000, 60.0), (7, 2.0), (1, 1.0)])
def test_leaky_bucket_never_exceeds_the_budget(requests, window):
    burst, decay = leaky_bucket(requests, window)
    # A leaky bucket admits at most burst + decay * window requests in any window.
    assert burst >= 1 and burst + decay * window <= max(requests, 2) + 1e-9
    assert burst + decay * window >= 0.9 * requests or requests < 10


def test_search_units_follow_cohere_billing():
    assert costs.search_units_per_query(50, 1000) == 1
    assert costs.search_units_per_query(100, 1000) == 1
    assert costs.search_units_per_query(101, 1000) == 2
    assert costs.search_units_per_query(250, 100) == 3  # 100 + 100 + 50
    assert costs.search_units_per_query(250, 120) == 5  # 120 (2) + 120 (2) + 10 (1)


def test_scores_map_back_by_index_and_split_requests(co_key, tmp_path):
    with CohereTestServer(keys={KEY: None}) as server:
        backend = reranker(server, max_documents_per_request=20)
        candidates = [hits(50), hits(7, "delta epsilon")]
        result = backend.rerank(["q1", "q2"], ["alpha beta gamma", "delta epsilon"], candidates)
        sent = server.calls
    assert not result.failures
    # 50 candidates in requests of 20: 3 requests; 7 candidates: 1.
    assert [c.n_documents for c in sent if c.query == "alpha beta gamma"] == [20, 20, 10]
    for scores, cands, query in zip(
        result.scores, candidates, ["alpha beta gamma", "delta epsilon"], strict=True
    ):
        assert scores is not None and len(scores) == len(cands)
        # The server scores by the share of query words a document holds: recompute it.
        words = query.split()
        want = [sum(w in c.text.split() for w in words) / len(words) for c in cands]
        np.testing.assert_allclose(scores, want)
    rows = result.calls
    assert len(rows) == 4 and all(r["http_status"] == 200 and r["attempt"] == 1 for r in rows)
    assert sum(r["search_units"] for r in rows) == sum(c.search_units for c in sent) == 4


def test_rate_measured_at_the_server(co_key):
    with CohereTestServer(keys={KEY: 5}, window_s=1.0) as server:
        backend = reranker(server, requests_per_minute=5, rate_window_s=1.0, max_in_flight=4)
        n = 16
        result = backend.rerank([f"q{i}" for i in range(n)], ["alpha beta"] * n, [hits(3)] * n)
        sent = server.calls
    assert not result.failures and all(s is not None for s in result.scores)
    assert all(c.status == 200 for c in sent), [c.status for c in sent]  # no 429 at all
    assert len(sent) == n
    assert max_in_window([c.t for c in sent], 1.0) <= 5


def test_429_and_5xx_are_retried_honouring_retry_after(co_key):
    # The client believes it may send 50/s; the server allows 3 per second and says when.
    with CohereTestServer(keys={KEY: 3}, window_s=1.0) as server:
        server.inject("status", count=2, status=503)
        server.inject("drop", count=1)
        backend = reranker(server, requests_per_minute=50, rate_window_s=1.0, max_attempts=8)
        n = 8
        result = backend.rerank([f"q{i}" for i in range(n)], ["alpha"] * n, [hits(4)] * n)
        sent = server.calls
    assert not result.failures
    statuses = [r["http_status"] for r in result.calls]
    assert statuses.count(200) == n
    assert 429 in statuses and 503 in statuses and None in statuses  # None: connection dropped
    # Every retry waited at least what Retry-After asked: accepted calls fit the server window.
    assert max_in_window([c.t for c in sent if c.status == 200], 1.0) <= 3
    assert max(r["attempt"] for r in result.calls) >= 2


def test_a_query_that_keeps_failing_is_recorded_not_lost(co_key):
    with CohereTestServer(keys={KEY: None}) as server:
        server.inject("status", count=100, status=500, query="doomed query")
        backend = reranker(server, max_attempts=3, max_retry_seconds=10)
        queries = ["alpha", "doomed query", "beta"]
        result = backend.rerank(["a", "b", "c"], queries, [hits(5)] * 3)
        doomed = [c for c in server.calls if c.query == "doomed query"]
    assert set(result.failures) == {1}
    assert "gave up after 3 attempt(s)" in result.failures[1] and "500" in result.failures[1]
    assert result.scores[1] is None and result.scores[0] is not None
    assert len(doomed) == 3


def test_bad_request_is_not_retried(co_key):
    with CohereTestServer(keys={KEY: None}) as server:
        backend = reranker(server)
        result = backend.rerank(["a", "b"], ["", "alpha"], [hits(3), hits(3)])  # empty query
        assert len(server.calls) == 2
    assert set(result.failures) == {0} and "HTTP 400" in result.failures[0]


def test_refused_key_costs_one_request_and_stops_the_batch(monkeypatch, tmp_path):
    monkeypatch.setenv("CO_API_KEY", "wrong-key-77c1d2")
    with CohereTestServer(keys={KEY: None}) as server:
        backend = reranker(server, tmp_path, max_in_flight=4)
        n = 8
        result = backend.rerank([f"q{i}" for i in range(n)], ["alpha"] * n, [hits(3)] * n)
        # The same backend again (a Prefect task retry in this process): nothing is sent.
        again = backend.rerank(["q"], ["beta"], [hits(3)])
        sent = server.calls
    # Requests wait until one answer proves the key: a refused key costs one request.
    assert [c.status for c in sent] == [401]
    assert isinstance(result.fatal, CohereAuthError) and isinstance(result.fatal, NotReadyError)
    assert "401" in str(result.fatal) and "wrong-key-77c1d2" not in str(result.fatal)
    assert "CO_API_KEY" in str(result.fatal) and "\n" not in str(result.fatal)
    # Every query is a failure with the reason; the one request made is on the call log.
    assert set(result.failures) == set(range(n)) and result.scores == [None] * n
    assert all("refused the API key" in r for r in result.failures.values())
    assert [r["http_status"] for r in result.calls] == [401]
    assert isinstance(again.fatal, CohereAuthError) and again.calls == []


def test_missing_key_is_a_clear_error(monkeypatch):
    monkeypatch.delenv("CO_API_KEY", raising=False)
    with pytest.raises(NotReadyError, match="CO_API_KEY"):
        CohereReranker("rerank-v3.5", CohereSettings(global_limit=None), None)


def test_cache_serves_a_repeat_with_zero_calls(co_key, tmp_path):
    with CohereTestServer(keys={KEY: None}) as server:
        first = reranker(server, tmp_path).rerank(["a", "b"], ["alpha", "beta"], [hits(5)] * 2)
        n_first = len(server.calls)
        again = reranker(server, tmp_path).rerank(["a", "b"], ["alpha", "beta"], [hits(5)] * 2)
        assert len(server.calls) == n_first == 2
        # A changed candidate text is a different key: billed again.
        changed = hits(5)
        changed[0] = Hit("d0", "alpha rewritten", 0.0)
        reranker(server, tmp_path).rerank(["a"], ["alpha"], [changed])
        assert len(server.calls) == 3
    assert (first.cache_hits, first.cache_misses) == (0, 2)
    assert (again.cache_hits, again.cache_misses) == (2, 0)
    for a, b in zip(first.scores, again.scores, strict=True):
        np.testing.assert_array_equal(a, b)
    assert all(r["cache_hit"] and r["search_units"] == 0 for r in again.calls)


def test_cost_estimate_matches_the_billing_rule():
    settings = load_settings(
        "demo", {"reranker.backend": "cohere", "reranker.cohere.max_documents_per_request": 100}
    )
    est = costs.estimate(settings, queries=1000, documents=250, queries_per_day=10_000)
    # 250 documents: 3 requests of <= 100, each one search unit; $2 per 1,000 units.
    assert est["search_units"] == 3000 and est["requests"] == 3000
    assert est["cost"] == pytest.approx(3000 / 1000 * 2.0)
    assert est["cost_per_1k_queries"] == pytest.approx(6.0)
    assert est["projected_per_day"] == pytest.approx(60.0)
    local = load_settings(
        "demo",
        {"reranker.backend": "flag", "reranker.model": "m", "costs.local_pairs_per_second": 500},
    )
    est = costs.estimate(local, queries=100, documents=50, queries_per_day=1000)
    assert est["device_seconds"] == pytest.approx(10.0)
    assert est["cost"] == pytest.approx(10.0 / 3600 * CostSettings().device_per_hour)


def test_top_n_must_cover_top_k():
    with pytest.raises(ValueError, match="top_n"):
        load_settings("demo", {"reranker.backend": "cohere", "reranker.cohere.top_n": 3})
    settings = load_settings("demo", {"reranker.backend": "cohere"})
    assert settings.reranker.model == "rerank-v3.5"
    assert math.isfinite(settings.costs.cohere_per_1k_search_units)


def test_key_from_a_prefect_secret_block(prefect_server, monkeypatch):
    from prefect.blocks.system import Secret

    monkeypatch.delenv("CO_API_KEY", raising=False)
    Secret(value=KEY).save("cohere-key-test", overwrite=True)
    with CohereTestServer(keys={KEY: None}) as server:
        backend = reranker(server, api_key_secret="cohere-key-test")
        result = backend.rerank(["a"], ["alpha"], [hits(3)])
        sent = server.calls
    assert not result.failures and [c.status for c in sent] == [200]
    with pytest.raises(NotReadyError, match="no Prefect Secret block 'no-such-block'") as err:
        CohereReranker(
            "rerank-v3.5", CohereSettings(api_key_secret="no-such-block", global_limit=None), None
        )
    assert KEY not in str(err.value)


def test_shared_limit_is_created_checked_and_strict(prefect_server, co_key):
    from prefect.client.orchestration import get_client

    from tasks.calls.ratelimit import RequestBudget, ensure_global_limit

    name = "rerankflow-test-strict"
    ensure_global_limit(name, 600, 60.0)
    with get_client(sync_client=True) as client:
        created = client.read_global_concurrency_limit_by_name(name)
    assert (created.limit, created.slot_decay_per_second) == (6, 594 / 60)
    ensure_global_limit(name, 600, 60.0)  # the same budget again: accepted as is
    # Another worker configured with a different budget on the same limit is refused.
    with pytest.raises(ValueError, match=f"'{name}' has limit=6"):
        ensure_global_limit(name, 100, 60.0)
    with RequestBudget(600, 60.0, 1, name).request():
        pass
    # A limit that is missing (deleted under a running flow) is an error, not a free pass.
    budget = RequestBudget(600, 60.0, 1, "rerankflow-test-never-created")
    with pytest.raises(Exception, match="rerankflow-test-never-created"), budget.request():
        pass


def test_answer_scores_check_the_answer_against_the_request():
    ok = [{"index": 2, "relevance_score": 0.9}, {"index": 0, "relevance_score": 0.1}]
    np.testing.assert_array_equal(answer_scores(ok, 3, top_n=2), [0.1, -np.inf, 0.9])
    bad = {
        "results missing": (None, 3, None),
        "too few": (ok, 3, None),  # all 3 asked, 2 came
        "too many": (ok, 3, 1),
        "index -1": ([{"index": -1, "relevance_score": 0.5}], 1, None),
        "index past the end": ([{"index": 1, "relevance_score": 0.5}], 1, None),
        "index twice": ([{"index": 0, "relevance_score": 0.5}] * 2, 2, None),
        "index not an int": ([{"index": "0", "relevance_score": 0.5}], 1, None),
        "index a bool": ([{"index": True, "relevance_score": 0.5}], 2, 1),
        "score NaN": ([{"index": 0, "relevance_score": math.nan}], 1, None),
        "score inf": ([{"index": 0, "relevance_score": math.inf}], 1, None),
        "score missing": ([{"index": 0}], 1, None),
        "score a string": ([{"index": 0, "relevance_score": "0.5"}], 1, None),
    }
    for case, (results, n, top_n) in bad.items():
        with pytest.raises(InvalidAnswer):
            answer_scores(results, n, top_n)
            pytest.fail(case)


@pytest.mark.parametrize("fault", BAD_ANSWERS)
def test_a_wrong_200_is_a_failed_attempt_never_a_score_nor_cached(co_key, tmp_path, fault):
    """Through the real SDK: each kind of wrong answer is retried, logged, never kept."""
    docs = hits(6)
    with CohereTestServer(keys={KEY: None}) as server:
        # Every attempt of one query gets the wrong answer: the query fails.
        server.inject(fault, count=2, query="alpha beta")
        first = reranker(server, tmp_path, max_attempts=2, max_retry_seconds=5).rerank(
            ["bad", "good"], ["alpha beta", "gamma"], [docs, docs]
        )
        assert server.faults_left == 0
        assert first.fatal is None and set(first.failures) == {0} and first.scores[0] is None
        assert "gave up after 2 attempt(s): invalid answer (HTTP 200)" in first.failures[0]
        bad_rows = [r for r in first.calls if r["qid"] == "bad"]
        assert [r["http_status"] for r in bad_rows] == [200, 200]
        assert all(r["error"].startswith("invalid answer") for r in bad_rows)
        # Billed units are kept where the body said them (it may have been billed).
        want_units = None if fault == "invalid_json" else 1
        assert [r["search_units"] for r in bad_rows] == [want_units] * 2
        # A healthy rerun asks again (nothing was cached) and gets the right scores.
        server.reset_calls()
        again = reranker(server, tmp_path).rerank(
            ["bad", "good"], ["alpha beta", "gamma"], [docs, docs]
        )
        assert [c.query for c in server.calls] == ["alpha beta"]
        assert not again.failures and (again.cache_hits, again.cache_misses) == (1, 1)
        want = [sum(w in d.text.split() for w in ("alpha", "beta")) / 2 for d in docs]
        np.testing.assert_allclose(again.scores[0], want)
        # One wrong answer then a right one: the retry's answer is the one used.
        server.reset_calls()
        server.inject(fault, count=1, query="delta")
        third = reranker(server, tmp_path).rerank(["d"], ["delta"], [hits(4, "delta")])
        assert [c.status for c in server.calls] == [200, 200]
        assert not third.failures and [r["attempt"] for r in third.calls] == [1, 2]
        np.testing.assert_allclose(third.scores[0], [0.0, 1.0, 0.0, 1.0])


PACE_CHILD = """
import sys, time
from pathlib import Path
from tasks.calls.ratelimit import Pacer, limiter_db, local_rates
pacer = Pacer(local_rates(5, 1.0), limiter_db(Path(sys.argv[1]), sys.argv[2]))
print("ready", flush=True)
sys.stdin.readline()
for _ in range(12):
    pacer.acquire()
    print(time.time(), flush=True)
"""


def test_processes_on_one_key_share_the_pace(tmp_path):
    """Two processes, one key, no Prefect server: the SQLite log keeps them within one budget;
    a process on another key is not slowed by them."""
    import os
    import subprocess
    import sys
    import time

    env = {**os.environ, "PYTHONPATH": str(REPO)}
    keys = ["shared-key", "shared-key", "other-key"]
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", PACE_CHILD, str(tmp_path), key],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for key in keys
    ]
    for p in procs:
        assert p.stdout.readline().strip() == "ready"
    t0 = time.time()
    for p in procs:
        p.stdin.write("go\n")
        p.stdin.flush()
    stamps = [[float(x) for x in p.communicate(timeout=60)[0].split()] for p in procs]
    assert all(p.returncode == 0 for p in procs)
    shared = stamps[0] + stamps[1]
    # 24 requests at 5 per (1 s + 0.25 s margin): the two processes took turns.
    assert max_in_window(shared, 1.0) <= 5
    assert max(shared) - t0 >= 4 * 1.25 - 0.5
    # The other key's 12 took about half as long: its log is its own.
    assert max(stamps[2]) - t0 < max(shared) - t0 - 1.0
    # The file is named by the key's hash, never the key.
    assert not any("shared-key" in p.name for p in tmp_path.iterdir())
