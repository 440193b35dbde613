"""The Cohere-compatible test server, driven by the real cohere SDK over loopback HTTP."""

from __future__ import annotations

import math
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor

import cohere
import httpx
import pytest
from cohere.core.api_error import ApiError
from cohere.errors import (
    BadRequestError,
    InternalServerError,
    NotFoundError,
    ServiceUnavailableError,
    TooManyRequestsError,
    UnauthorizedError,
)

from tests.helpers import REPO
from tests.helpers.cohere_server import DROPPED, CohereTestServer, score, search_units

KEY = "test-key-server-8d21"
MODEL = "rerank-v3.5"
NO_RETRY = {"max_retries": 0}


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    # The SDK honours proxy variables; requests to 127.0.0.1 must go straight to the server.
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("all_proxy", raising=False)


@pytest.fixture
def server() -> Iterator[CohereTestServer]:
    with CohereTestServer(keys={KEY: None}) as srv:
        yield srv


def client(server: CohereTestServer, key: str = KEY) -> cohere.ClientV2:
    return cohere.ClientV2(api_key=key, base_url=server.url, client_name="rerankflow-tests")


def rerank(co: cohere.ClientV2, query: str | None = "alpha beta", documents=None, **kwargs):
    options = {**NO_RETRY, **kwargs.pop("request_options", {})}
    return co.rerank(
        model=kwargs.pop("model", MODEL),
        query=query,
        documents=["alpha"] if documents is None else documents,
        request_options=options,
        **kwargs,
    )


def max_in_window(times: Sequence[float], window_s: float) -> int:
    """The most instants any trailing window of window_s seconds holds."""
    times = sorted(times)
    best, start = 0, 0
    for end, t in enumerate(times):
        while t - times[start] >= window_s:
            start += 1
        best = max(best, end - start + 1)
    return best


# Success path.


def test_results_are_sorted_scored_and_indexed(server):
    query = "alpha beta gamma"
    docs = ["nothing here", "alpha", "Alpha BETA gamma", "beta gamma", "gamma", "alpha"]
    response = rerank(client(server), query, docs)
    assert response.id
    assert response.meta.api_version.version == "2"
    indexes = [r.index for r in response.results]
    assert sorted(indexes) == list(range(len(docs)))  # each document once, valid index
    scores = [r.relevance_score for r in response.results]
    assert scores == sorted(scores, reverse=True)
    assert all(0.0 <= s <= 1.0 for s in scores)
    for r in response.results:
        assert r.relevance_score == pytest.approx(score(query, docs[r.index]))
    # Case-insensitive; the three 1/3 ties (documents 1, 4, 5) keep document order.
    assert indexes == [2, 3, 1, 4, 5, 0]
    assert response.results[0].relevance_score == 1.0


def test_top_n_and_max_tokens_per_doc(server):
    co = client(server)
    docs = ["alpha", "alpha beta", "x y z alpha beta", "beta"]
    top = rerank(co, "alpha beta", docs, top_n=2)
    assert [r.index for r in top.results] == [1, 2]
    # top_n above the document count returns all; an explicit None is sent as null: no limit.
    assert len(rerank(co, "alpha beta", docs, top_n=10).results) == 4
    assert len(rerank(co, "alpha beta", docs, top_n=None).results) == 4
    # Only the first 2 whitespace tokens of each document are scored.
    cut = {
        r.index: r.relevance_score
        for r in rerank(co, "alpha beta", docs, max_tokens_per_doc=2).results
    }
    assert cut == {0: 0.5, 1: 1.0, 2: 0.0, 3: 0.5}


@pytest.mark.parametrize("n,units", [(1, 1), (100, 1), (101, 2), (1000, 10)])
def test_billed_search_units(server, n, units):
    response = rerank(client(server), "alpha", [f"alpha {i}" for i in range(n)])
    assert response.meta.billed_units.search_units == units == search_units(n)
    assert len(response.results) == n
    [call] = server.calls
    assert (call.status, call.n_documents, call.search_units) == (200, n, units)
    assert (call.key, call.query) == (KEY, "alpha")


# Client errors.


def test_bad_key_is_401_and_not_billed(server):
    with pytest.raises(UnauthorizedError) as err:
        rerank(client(server, "wrong-key"))
    assert err.value.status_code == 401
    assert err.value.body["message"] == "invalid api token" and err.value.body["id"]
    [call] = server.calls
    assert (call.key, call.status, call.search_units) == ("wrong-key", 401, 0)


@pytest.mark.parametrize(
    "kwargs,field",
    [
        ({"documents": []}, "documents"),
        ({"documents": [f"d{i}" for i in range(1001)]}, "documents"),
        ({"documents": ["ok", 3]}, "documents"),
        ({"query": None}, "query"),
        ({"query": ""}, "query"),
        ({"model": "rerank-nonexistent"}, "model"),
        ({"top_n": 0}, "top_n"),
        ({"max_tokens_per_doc": -1}, "max_tokens_per_doc"),
    ],
)
def test_invalid_requests_are_400_naming_the_field(server, kwargs, field):
    with pytest.raises(BadRequestError) as err:
        rerank(client(server), **kwargs)
    assert err.value.status_code == 400
    assert field in err.value.body["message"]
    [call] = server.calls
    assert call.status == 400 and call.search_units == 0


def test_non_json_body_and_unknown_path(server):
    # Raw HTTP for what the SDK cannot send: a body that is not a JSON object.
    auth = {"Authorization": f"Bearer {KEY}"}
    with httpx.Client(base_url=server.url, headers=auth, timeout=5) as http:
        for content in (b"not json", b"[1, 2]"):
            got = http.post("/v2/rerank", content=content)
            assert got.status_code == 400 and "body" in got.json()["message"]
        got = http.get("/v2/rerank")
        assert got.status_code == 404 and got.json()["message"]
    # The SDK's v1 endpoint is not served: its own NotFoundError.
    with pytest.raises(NotFoundError):
        cohere.Client(api_key=KEY, base_url=server.url).rerank(
            query="q", documents=["d"], model=MODEL, request_options=NO_RETRY
        )


# Rate limit.


def test_rate_limit_429_with_retry_after_then_recovers():
    with CohereTestServer(keys={KEY: 3, "other": None}, window_s=2.0) as server:
        co = client(server)
        for _ in range(3):
            rerank(co)
        with pytest.raises(TooManyRequestsError) as err:
            rerank(co)
        # Another key has its own budget.
        rerank(client(server, "other"))
        # The SDK hands httpx's headers over as a plain dict with lowercase names.
        retry_after = int(err.value.headers["retry-after"])
        assert 1 <= retry_after <= 2
        assert err.value.status_code == 429 and "limit" in err.value.body["message"]
        time.sleep(retry_after)
        rerank(co)
        statuses = [c.status for c in server.calls if c.key == KEY]
    assert statuses == [200, 200, 200, 429, 200]


def test_sliding_window_holds_at_most_n_accepted_requests():
    limit, window = 3, 0.5
    with CohereTestServer(keys={KEY: limit}, window_s=window) as server:
        co = client(server)
        deadline = time.monotonic() + 1.6

        def hammer() -> None:
            while time.monotonic() < deadline:
                try:
                    rerank(co)
                except TooManyRequestsError:
                    time.sleep(0.01)

        with ThreadPoolExecutor(4) as pool:
            for future in [pool.submit(hammer) for _ in range(4)]:
                future.result()
        calls = server.calls
    ok = sorted(c.t for c in calls if c.status == 200)
    refused = [c.t for c in calls if c.status == 429]
    assert refused and set(c.status for c in calls) == {200, 429}
    assert max_in_window(ok, window) == limit
    # Every refusal came while the trailing window was full, so the limiter is not stricter.
    for t in refused:
        assert sum(0 <= t - s < window for s in ok) == limit
    # A sliding window admits close to limit / window: 1.6 s holds at least 3 full windows.
    assert len(ok) >= 3 * limit


# Faults.


def test_status_faults_map_to_sdk_errors_in_fifo_order(server):
    co = client(server)
    server.inject("status", status=503)
    server.inject("status", status=500)
    server.inject("status", status=502)
    assert server.faults_left == 3
    with pytest.raises(ServiceUnavailableError) as unavailable:
        rerank(co)
    with pytest.raises(InternalServerError):
        rerank(co)
    # No dedicated class for 502: the base ApiError with the status and the JSON body.
    with pytest.raises(ApiError) as bad_gateway:
        rerank(co)
    assert type(bad_gateway.value) is ApiError and bad_gateway.value.status_code == 502
    assert unavailable.value.status_code == 503 and unavailable.value.body["message"]
    assert rerank(co).results
    assert [c.status for c in server.calls] == [503, 500, 502, 200]
    assert [c.search_units for c in server.calls] == [0, 0, 0, 1]
    assert server.faults_left == 0


def test_drop_is_a_remote_protocol_error(server):
    server.inject("drop")
    with pytest.raises(httpx.RemoteProtocolError):
        rerank(client(server))
    assert [c.status for c in server.calls] == [DROPPED]
    assert rerank(client(server)).results  # the next connection is served


def test_slow_answer_times_the_client_out(server):
    server.inject("slow", delay_s=3.0)
    co = client(server)
    t0 = time.monotonic()
    with pytest.raises(httpx.TimeoutException):  # httpx.ReadTimeout
        rerank(co, request_options={"timeout_in_seconds": 0.3})
    assert time.monotonic() - t0 < 2.0
    # The server still logs the request it was slow to answer.
    assert [c.status for c in server.calls] == [200]
    assert rerank(co).results


def test_query_targeted_fault_only_hits_that_query(server):
    co = client(server)
    server.inject("status", count=100, status=500, query="doomed query")
    server.inject("status", count=1, status=503)
    # The targeted fault goes first for its query, leaving the untargeted one for others.
    for _ in range(3):
        with pytest.raises(InternalServerError):
            rerank(co, "doomed query")
    with pytest.raises(ServiceUnavailableError):
        rerank(co, "alpha")
    assert rerank(co, "alpha").results and rerank(co, "beta").results
    assert server.faults_left == 97
    by_query = [(c.query, c.status) for c in server.calls]
    assert by_query == [("doomed query", 500)] * 3 + [
        ("alpha", 503),
        ("alpha", 200),
        ("beta", 200),
    ]


def test_faults_wait_for_auth_and_admission_and_count_in_the_window():
    with CohereTestServer(keys={KEY: 1}, window_s=60.0) as server:
        server.inject("status", status=503)
        with pytest.raises(UnauthorizedError):
            rerank(client(server, "wrong-key"))
        assert server.faults_left == 1
        with pytest.raises(ServiceUnavailableError):
            rerank(client(server))
        # The failed call used the key's one request of the window.
        with pytest.raises(TooManyRequestsError):
            rerank(client(server))
    assert [c.status for c in server.calls] == [401, 503, 429]


def test_latency_runs_concurrently():
    with CohereTestServer(keys={KEY: None}, latency_s=0.4) as server:
        co = client(server)
        t0 = time.monotonic()
        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(lambda i: rerank(co, f"q{i}"), range(8)))
        elapsed = time.monotonic() - t0
    assert all(r.results for r in results)
    assert 0.4 <= elapsed < 1.5  # serially it would take 3.2 s


# SDK defaults, as the backend would meet them without max_retries=0.


def test_sdk_default_retries_honour_retry_after_but_not_drops():
    with CohereTestServer(keys={KEY: 1}, window_s=1.0) as server:
        co = client(server)
        co.rerank(model=MODEL, query="a", documents=["a"])
        t0 = time.monotonic()
        co.rerank(model=MODEL, query="a", documents=["a"])  # 429, waits Retry-After: 1, retries
        assert time.monotonic() - t0 >= 0.9
        assert [c.status for c in server.calls] == [200, 429, 200]
        # A dropped connection is not retried by default (the request may have been applied).
        server.reset_calls()
        time.sleep(1.0)
        server.inject("drop")
        with pytest.raises(httpx.RemoteProtocolError):
            co.rerank(model=MODEL, query="a", documents=["a"])
        assert [c.status for c in server.calls] == [DROPPED]


# Lifecycle.


def test_stop_is_prompt_with_pending_slow_requests_and_closes_kept_alive_connections():
    server = CohereTestServer(keys={KEY: None}).start()
    co = client(server)
    assert rerank(co).results  # leaves a kept-alive connection in the client's pool
    server.inject("slow", delay_s=30.0)
    failure: list[Exception] = []

    def slow_call() -> None:
        try:
            rerank(co, request_options={"timeout_in_seconds": 20})
        except Exception as exc:
            failure.append(exc)

    caller = threading.Thread(target=slow_call)
    caller.start()
    deadline = time.monotonic() + 5
    while server.faults_left and time.monotonic() < deadline:
        time.sleep(0.01)
    t0 = time.monotonic()
    server.stop()
    assert time.monotonic() - t0 < 2.0
    caller.join(timeout=5)
    assert not caller.is_alive()
    # Woken early, the slow request is either answered or cut off: never left hanging.
    assert not failure or isinstance(failure[0], httpx.TransportError)
    with pytest.raises(httpx.TransportError):
        rerank(co)


def test_command_line_server_prints_its_url_and_limits():
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.helpers.cohere_server", "--port", "0", "--key", KEY]
        + ["--rpm", "2", "--window", "60", "--latency", "0.01"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        co = cohere.ClientV2(api_key=KEY, base_url=url)
        for _ in range(2):
            assert co.rerank(model=MODEL, query="a", documents=["a"], request_options=NO_RETRY)
        with pytest.raises(TooManyRequestsError) as err:
            co.rerank(model=MODEL, query="a", documents=["a"], request_options=NO_RETRY)
        assert math.isclose(int(err.value.headers["retry-after"]), 60, abs_tol=1)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert proc.returncode == 0


# Embed.


def embed(co: cohere.ClientV2, texts=None, **kwargs):
    return co.embed(
        model=kwargs.pop("model", "embed-english-light-v3.0"),
        texts=["alpha beta"] if texts is None else texts,
        input_type=kwargs.pop("input_type", "search_query"),
        embedding_types=kwargs.pop("embedding_types", ["float"]),
        request_options=NO_RETRY,
        **kwargs,
    )


def cosine(x: Sequence[float], y: Sequence[float]) -> float:
    return sum(p * q for p, q in zip(x, y, strict=True)) / math.hypot(*x) / math.hypot(*y)


def test_embed_answers_in_cohere_shape_deterministically(server):
    auth = {"Authorization": f"Bearer {KEY}"}
    body = {
        "model": "embed-v4.0",
        "texts": ["alpha beta", "gamma"],
        "input_type": "search_query",
        "embedding_types": ["float"],
        "output_dimension": 256,
    }
    with httpx.Client(base_url=server.url, headers=auth, timeout=5) as http:
        raw = http.post("/v2/embed", json=body).json()
    # The fields of cohere.types.EmbedByTypeResponse the API sends, no more.
    assert set(raw) == {"id", "embeddings", "texts", "meta"}
    assert set(raw["embeddings"]) == {"float"} and raw["texts"] == body["texts"]
    assert [len(v) for v in raw["embeddings"]["float"]] == [256, 256]
    assert raw["meta"]["billed_units"] == {"input_tokens": 3}
    got = embed(
        client(server), texts=["alpha beta", "gamma"], model="embed-v4.0", output_dimension=256
    )
    assert got.embeddings.float_ == raw["embeddings"]["float"]  # same text, same vector
    assert got.meta.billed_units.input_tokens == 3
    # Texts sharing words are nearer than texts that share none.
    texts = ["alpha beta", "alpha beta delta", "zeta"]
    a, b, c = embed(client(server), texts=texts).embeddings.float_
    assert cosine(a, b) > cosine(a, c) + 0.2
    last = server.calls[-1]
    assert (last.path, last.status, last.n_documents) == ("/v2/embed", 200, 3)


@pytest.mark.parametrize(
    "kwargs,field",
    [
        ({"texts": []}, "texts"),
        ({"texts": ["t"] * 97}, "texts"),
        ({"model": "embed-nonexistent"}, "model"),
        ({"input_type": "search_queries"}, "input_type"),
        ({"embedding_types": ["int8"]}, "embedding_types"),
        ({"output_dimension": 256}, "output_dimension"),  # the v3 light model has one size
    ],
)
def test_invalid_embed_requests_are_400_naming_the_field(server, kwargs, field):
    with pytest.raises(BadRequestError) as err:
        embed(client(server), **kwargs)
    assert field in err.value.body["message"]
    [call] = server.calls
    assert call.status == 400 and call.billed_tokens == 0


def test_embed_faults_and_limits_are_the_rerank_ones():
    with CohereTestServer(keys={KEY: 1}, window_s=30.0) as server:
        server.inject("status", status=503)
        with pytest.raises(ServiceUnavailableError):
            embed(client(server))
        with pytest.raises(TooManyRequestsError) as err:  # the 503 counted in the window
            embed(client(server))
        assert int(err.value.headers["retry-after"]) >= 1
    with CohereTestServer(keys={KEY: None}) as server:
        server.inject("wrong_dimension")  # an embed-only fault waits for an embed request
        rerank(client(server))
        assert server.faults_left == 1
        got = embed(client(server), texts=["a", "b"])
        assert [len(v) for v in got.embeddings.float_] == [383, 384]
        server.inject("drop", path="/v2/embed")
        with pytest.raises(httpx.RemoteProtocolError):
            embed(client(server))
        assert server.calls[-1].status == DROPPED and server.calls[-1].path == "/v2/embed"
