"""A Cohere-compatible rerank and embed server on 127.0.0.1 for tests and benchmarks (stdlib only).

Over 300 lines on purpose: it is one server (wire format, auth, limits, faults) that tests import
and benchmarks run as a process, and its parts only make sense together.

It speaks the wire format of Cohere's POST /v2/rerank and POST /v2/embed as the real `cohere` SDK
sends and parses it: Bearer-key auth (401), a per-key sliding-window request limit (429 +
Retry-After, both endpoints counted together), request validation (400), `{"id", "results",
"meta"}` (rerank) or `{"id", "embeddings": {"float": [...]}, "texts", "meta"}` (embed) on
success, and `{"id", "message"}` error bodies. Embed vectors are deterministic: the sum of a
hash-seeded vector per word (texts sharing words are near), not Cohere's model.
Faults (5xx, slow answers, dropped connections, requests held until released, and 200s whose
body is wrong: see BAD_ANSWERS, EMBED_BAD_ANSWERS) can be injected to exercise client retries
and checks.

Run it alone for benchmarks; it prints its URL on one line and serves until killed:

    python -m tests.helpers.cohere_server --port 0 --key KEY --rpm N --window 60 --latency 0.05
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import hashlib
import json
import math
import operator
import signal
import socket
import socketserver
import threading
import time
import uuid
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

HOST = "127.0.0.1"
RERANK_PATH = "/v2/rerank"
EMBED_PATH = "/v2/embed"
PATHS = (RERANK_PATH, EMBED_PATH)
MODELS = frozenset(
    {
        "rerank-v3.5",
        "rerank-english-v3.0",
        "rerank-multilingual-v3.0",
        "rerank-v4.0-pro",
        "rerank-v4.0-fast",
    }
)
# Embed models and their vector size (Cohere's models page).
EMBED_MODELS = {
    "embed-v4.0": 1536,
    "embed-english-v3.0": 1024,
    "embed-multilingual-v3.0": 1024,
    "embed-english-light-v3.0": 384,
    "embed-multilingual-light-v3.0": 384,
}
# embed-v4 and newer: output_dimension may shorten the vector.
OUTPUT_DIMENSIONS = {"embed-v4.0": (256, 512, 1024, 1536)}
INPUT_TYPES = ("search_document", "search_query", "classification", "clustering", "image")
MAX_TEXTS = 96
MAX_DOCUMENTS = 1000
DOCUMENTS_PER_SEARCH_UNIT = 100
MAX_BODY_BYTES = 64 * 1024 * 1024
# Idle keep-alive connections are closed after this, so handler threads cannot linger forever.
IDLE_CONNECTION_TIMEOUT_S = 30.0
STOP_JOIN_TIMEOUT_S = 5.0
# 200 answers that are wrong (billed like any 200 except invalid_json, which has no body to
# bill from): no results, an index of -1 / past the end / twice, no `results` key, a body that
# is not JSON, a NaN score.
BAD_ANSWERS = (
    "empty_results",
    "negative_index",
    "index_out_of_range",
    "duplicate_index",
    "missing_results",
    "invalid_json",
    "nan_score",
)
# "hold": the request waits, unanswered and unrecorded, until release_held() (or stop()); then
# its connection is dropped and it is recorded as DROPPED: a client killed meanwhile never got
# an answer, so nothing was billed.
# Embed answers that are wrong: one vector short, a vector of the wrong length, a NaN, no
# `float` embeddings, a vector of strings (invalid_json applies to both endpoints).
EMBED_BAD_ANSWERS = (
    "too_few_embeddings",
    "wrong_dimension",
    "nan_value",
    "missing_embeddings",
    "string_value",
    "invalid_json",
)
FAULT_KINDS = tuple(
    dict.fromkeys(("status", "slow", "drop", "hold", *BAD_ANSWERS, *EMBED_BAD_ANSWERS))
)
# Call.status of a request whose connection was dropped: no HTTP status was ever sent.
DROPPED = 0

_ERROR_MESSAGES = {
    500: "internal server error, this has been reported to our developers",
    502: "bad gateway",
    503: "service unavailable, please try again later",
    504: "gateway timeout",
}


@dataclass(frozen=True)
class Call:
    """One request as the server saw it (accepted or not)."""

    t: float  # time.monotonic() at arrival; the rate limiter counts this same instant
    key: str | None  # the Bearer token presented, None when there was none
    status: int  # HTTP status answered; DROPPED (0) when the connection was closed unanswered
    n_documents: int  # rerank: documents; embed: texts
    search_units: int  # billed units: non-zero only on 200
    query: str | None  # rerank's query; None for embed
    path: str = RERANK_PATH
    billed_tokens: int = 0  # embed's billed input tokens: non-zero only on 200


@dataclass
class _Fault:
    kind: str
    remaining: int
    status: int
    delay_s: float
    query: str | None
    path: str | None  # None: either endpoint


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver would join every handler thread on close, unbounded (keep-alive
    # connections of a client that is still open); stop() joins them with a bound instead.
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, owner: CohereTestServer, port: int) -> None:
        self.owner = owner
        super().__init__((HOST, port), _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind does a reverse DNS lookup (getfqdn); not needed on loopback.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that timed out and hung up while we slept is expected here, not an error.
        pass


class _Handler(BaseHTTPRequestHandler):
    # Keep-alive, like the real API; every response carries Content-Length.
    protocol_version = "HTTP/1.1"
    server_version = "cohere-test-server"
    sys_version = ""
    timeout = IDLE_CONNECTION_TIMEOUT_S
    server: _HTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def setup(self) -> None:
        super().setup()
        self.server.owner._track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.owner._track(self.connection, add=False)

    def do_POST(self) -> None:
        self.server.owner._handle(self)

    def _not_found(self) -> None:
        self.server.owner._handle(self)

    do_GET = do_PUT = do_PATCH = do_DELETE = _not_found

    # Helpers used by CohereTestServer._handle.

    def read_body(self) -> bytes | None:
        """The request body, or None when it cannot be read safely (the connection then closes)."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.close_connection = True
            return None
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            self.close_connection = True
            return None
        if length < 0 or length > MAX_BODY_BYTES:
            self.close_connection = True
            return None
        return self.rfile.read(length) if length else b""

    def send_json(self, status: int, payload: dict[str, Any], headers: dict[str, str]) -> None:
        self.send_raw(status, json.dumps(payload).encode(), headers)

    def send_raw(self, status: int, data: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)

    def drop(self) -> None:
        """Close the connection without a byte of response (the client sees EOF)."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)


def _error(message: str) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "message": message}


def _bearer(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def _tokens(text: str) -> list[str]:
    return text.lower().split()


def score(query: str, document: str, max_tokens: int | None = None) -> float:
    """Share of the query's (lowercase, whitespace) words that the document holds, in [0, 1]."""
    words = _tokens(query)
    doc_tokens = _tokens(document)
    if max_tokens is not None:
        doc_tokens = doc_tokens[:max_tokens]
    present = set(doc_tokens)
    return sum(w in present for w in words) / len(words) if words else 0.0


def billed_tokens(texts: Sequence[str]) -> int:
    """Embed's billed input tokens: whitespace words here (Cohere counts its tokenizer's)."""
    return sum(max(1, len(_tokens(t))) for t in texts)


@functools.lru_cache(maxsize=65536)
def _word_vector(word: str, dims: int) -> tuple[float, ...]:
    digest = hashlib.shake_128(word.encode("utf-8")).digest(dims)
    return tuple((b - 127.5) / 127.5 for b in digest)


def embedding(text: str, model: str, input_type: str, dims: int) -> list[float]:
    """A text's vector: the sum of its words' hash-seeded vectors (a text without words: its
    whole string's), so texts sharing words are near. Left unnormalised, like many APIs'.
    `model` and `input_type` seed it too, as a real model's differ by both."""
    words = _tokens(text) or [text]
    acc = [0.0] * dims
    for word in words:
        acc = list(map(operator.add, acc, _word_vector(word, dims)))
    bias = _word_vector(f"\x00{model}\x00{input_type}", dims)
    return [a + 0.1 * b for a, b in zip(acc, bias, strict=True)]


def search_units(n_documents: int) -> int:
    """Cohere bills one search unit per query with up to 100 documents."""
    return math.ceil(n_documents / DOCUMENTS_PER_SEARCH_UNIT)


def _positive_int(value: Any) -> bool:
    # bool is an int subclass; JSON true must not pass as 1.
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def validate_embed(body: Any) -> str | None:
    """The 400 message for an invalid embed body, naming the field; None when it is valid."""
    if not isinstance(body, dict):
        return "invalid request: body must be a JSON object"
    model = body.get("model")
    if not isinstance(model, str) or not model:
        return "invalid request: model must be a non-empty string"
    if model not in EMBED_MODELS:
        return f"invalid request: model '{model}' not found, use one of {sorted(EMBED_MODELS)}"
    if body.get("input_type") not in INPUT_TYPES:
        return f"invalid request: input_type must be one of {list(INPUT_TYPES)}"
    texts = body.get("texts")
    if not isinstance(texts, list) or not texts:
        return "invalid request: texts must be a non-empty list of strings"
    if len(texts) > MAX_TEXTS:
        return f"invalid request: too many texts, got {len(texts)}, max texts is {MAX_TEXTS}"
    if not all(isinstance(t, str) and t for t in texts):
        return "invalid request: texts must be a list of non-empty strings"
    types = body.get("embedding_types")
    if types is not None and types != ["float"]:
        return "invalid request: embedding_types: this test server answers ['float'] only"
    dim = body.get("output_dimension")
    if dim is not None and dim not in OUTPUT_DIMENSIONS.get(model, ()):
        allowed = OUTPUT_DIMENSIONS.get(model)
        return f"invalid request: output_dimension {dim!r} not supported by {model}" + (
            f", use one of {list(allowed)}" if allowed else ""
        )
    return None


def validate(body: Any) -> str | None:
    """The 400 message for an invalid rerank body, naming the field; None when it is valid."""
    if not isinstance(body, dict):
        return "invalid request: body must be a JSON object"
    model = body.get("model")
    if not isinstance(model, str) or not model:
        return "invalid request: model must be a non-empty string"
    if model not in MODELS:
        return f"invalid request: model '{model}' not found, use one of {sorted(MODELS)}"
    query = body.get("query")
    if not isinstance(query, str) or not query.strip():
        return "invalid request: query must be a non-empty string"
    documents = body.get("documents")
    if not isinstance(documents, list) or not documents:
        return "invalid request: documents must be a non-empty list of strings"
    if len(documents) > MAX_DOCUMENTS:
        return (
            f"invalid request: too many documents, got {len(documents)} documents, "
            f"max documents is {MAX_DOCUMENTS}"
        )
    if not all(isinstance(d, str) for d in documents):
        return "invalid request: documents must be a list of strings"
    # The SDK leaves unset options out, but an explicit None is sent as null: same meaning.
    for field in ("top_n", "max_tokens_per_doc"):
        if body.get(field) is not None and not _positive_int(body[field]):
            return f"invalid request: {field} must be a positive integer"
    return None


class CohereTestServer:
    """POST /v2/rerank on 127.0.0.1 with Cohere's wire format, rate limits and injectable faults.

    keys: valid API key -> accepted requests per window (None: unlimited).
    window_s: the sliding rate window in seconds.
    latency_s: fixed time every answer takes (slept in the request's own thread).
    """

    def __init__(
        self,
        keys: dict[str, int | None],
        window_s: float = 60.0,
        latency_s: float = 0.0,
        port: int = 0,
    ) -> None:
        if not keys:
            raise ValueError("keys: at least one valid API key is needed")
        for key, limit in keys.items():
            if limit is not None and (not isinstance(limit, int) or limit < 1):
                raise ValueError(f"keys[{key!r}]: requests per window must be >= 1 or None")
        if window_s <= 0:
            raise ValueError("window_s must be > 0")
        if latency_s < 0:
            raise ValueError("latency_s must be >= 0")
        self.keys = dict(keys)
        self.window_s = float(window_s)
        self.latency_s = float(latency_s)
        self._port = port
        self._lock = threading.Lock()
        self._calls: list[Call] = []
        self._accepted: dict[str, deque[float]] = {k: deque() for k in self.keys}
        self._faults: list[_Fault] = []
        # Open connections and the threads serving them, so stop() can end both, bounded.
        self._connections: dict[socket.socket, threading.Thread] = {}
        self._stopping = threading.Event()
        self._release = threading.Event()
        self._held = 0
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # Lifecycle.

    @property
    def url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("server not started")
        return f"http://{HOST}:{self._httpd.server_address[1]}"

    def start(self) -> CohereTestServer:
        if self._httpd is not None:
            raise RuntimeError("server already started")
        self._stopping.clear()
        self._httpd = _HTTPServer(self, self._port)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="cohere-test-server",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        httpd, thread = self._httpd, self._thread
        if httpd is None:
            return
        self._stopping.set()  # wakes handlers sleeping on latency or "slow" faults
        self._release.set()  # and held requests
        httpd.shutdown()
        httpd.server_close()
        # Kept-alive connections would otherwise go on answering after stop().
        with self._lock:
            connections = list(self._connections.items())
        for conn, _ in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        deadline = time.monotonic() + STOP_JOIN_TIMEOUT_S
        workers = [w for _, w in connections] + ([thread] if thread is not None else [])
        for worker in workers:
            worker.join(timeout=max(0.0, deadline - time.monotonic()))
        self._httpd = self._thread = None

    def __enter__(self) -> CohereTestServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # Observation and control.

    @property
    def calls(self) -> list[Call]:
        """A copy of every request seen so far, in arrival-decision order."""
        with self._lock:
            return list(self._calls)

    def reset_calls(self) -> None:
        with self._lock:
            self._calls.clear()

    @property
    def faults_left(self) -> int:
        """How many injected faults have not been consumed yet."""
        with self._lock:
            return sum(f.remaining for f in self._faults)

    def inject(
        self,
        kind: str,
        count: int = 1,
        status: int = 503,
        delay_s: float = 5.0,
        query: str | None = None,
        path: str | None = None,
    ) -> None:
        """Make the next `count` admitted requests (only those with this query, if given) fail.

        kind "status": answer `status` with a Cohere JSON error body; "slow": wait `delay_s`,
        then answer normally; "drop": close the connection without any response. `path`: only
        requests to that endpoint (a wrong answer of one endpoint's shape: that endpoint);
        `query` for embed: the request's first text.
        """
        if kind in EMBED_BAD_ANSWERS and kind not in BAD_ANSWERS:
            path = path or EMBED_PATH
        elif kind in BAD_ANSWERS and kind not in EMBED_BAD_ANSWERS:
            path = path or RERANK_PATH
        if path is not None and path not in PATHS:
            raise ValueError(f"path must be one of {PATHS}, got {path!r}")
        if kind not in FAULT_KINDS:
            raise ValueError(f"kind must be one of {FAULT_KINDS}, got {kind!r}")
        if count < 1:
            raise ValueError("count must be >= 1")
        if kind == "status" and not 400 <= status <= 599:
            raise ValueError("status must be an HTTP error status (400-599)")
        if kind == "hold":
            self._release.clear()
        if kind == "slow" and delay_s <= 0:
            raise ValueError("delay_s must be > 0")
        with self._lock:
            self._faults.append(_Fault(kind, count, status, delay_s, query, path))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    @property
    def held(self) -> int:
        """Requests waiting on a "hold" fault now."""
        with self._lock:
            return self._held

    def release_held(self) -> None:
        """Drop the connections of held requests (they are recorded as DROPPED)."""
        self._release.set()

    # Request handling (runs in the connection's own thread).

    def _track(self, conn: socket.socket, *, add: bool) -> None:
        with self._lock:
            if add:
                self._connections[conn] = threading.current_thread()
            else:
                self._connections.pop(conn, None)

    def _record(self, call: Call) -> None:
        with self._lock:
            self._calls.append(call)

    def _admit(self, key: str) -> tuple[float, float | None]:
        """(now, None) if the key may send now (and counts it), else (now, seconds until it may).

        Only admitted requests enter the window: a 429 does not push the client's next chance
        further out, as Cohere counts the calls it accepted. The clock is read under the lock so
        the window's instants are in order even with concurrent requests.
        """
        limit = self.keys[key]
        with self._lock:
            now = time.monotonic()
            if limit is None:
                return now, None
            accepted = self._accepted[key]
            while accepted and now - accepted[0] >= self.window_s:
                accepted.popleft()
            if len(accepted) < limit:
                accepted.append(now)
                return now, None
            return now, accepted[0] + self.window_s - now

    def _take_fault(self, query: str | None, path: str) -> _Fault | None:
        # Faults aimed at this query go first, so a targeted fault is never pre-empted by an
        # untargeted one (and vice versa untargeted faults stay for the other queries).
        with self._lock:
            for targeted in (True, False):
                for fault in self._faults:
                    if fault.path is not None and fault.path != path:
                        continue
                    if (fault.query is not None) != targeted:
                        continue
                    if targeted and fault.query != query:
                        continue
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        self._faults.remove(fault)
                    return _Fault(
                        fault.kind, 1, fault.status, fault.delay_s, fault.query, fault.path
                    )
        return None

    def _sleep(self, seconds: float) -> None:
        if seconds > 0:
            self._stopping.wait(seconds)

    def _handle(self, handler: _Handler) -> None:
        raw = handler.read_body()
        now = time.monotonic()
        key = _bearer(handler.headers.get("Authorization"))
        path = handler.path.split("?", 1)[0]

        def answer(
            status: int,
            payload: dict[str, Any],
            n_docs: int = 0,
            query: str | None = None,
            units: int = 0,
            headers: dict[str, str] | None = None,
            delay_s: float = 0.0,
            tokens: int = 0,
        ) -> None:
            # Recorded before any wait: a client never sees a response that the log lacks, and a
            # request the client gave up on ("slow") is still in the log.
            self._record(Call(now, key, status, n_docs, units, query, path, tokens))
            self._sleep(self.latency_s + delay_s)
            handler.send_json(status, payload, headers or {})

        if raw is None:
            answer(
                413 if handler.headers.get("Content-Length") else 400,
                _error("invalid request: body must be sent with a valid Content-Length"),
            )
            return
        if handler.command != "POST" or path not in PATHS:
            answer(404, _error(f"path {handler.command} {path} not found"))
            return

        try:
            body: Any = json.loads(raw) if raw else None
        except (ValueError, UnicodeDecodeError):
            body = None
        fields = body if isinstance(body, dict) else {}
        embed = path == EMBED_PATH
        query = fields["query"] if isinstance(fields.get("query"), str) and not embed else None
        items = fields.get("texts" if embed else "documents")
        n_docs = len(items) if isinstance(items, list) else 0
        # What a targeted fault matches: rerank's query, embed's first text.
        target = query
        if embed and n_docs and isinstance(items[0], str):
            target = items[0]

        if key is None:
            answer(401, _error("no api key supplied"), n_docs, query)
            return
        if key not in self.keys:
            answer(401, _error("invalid api token"), n_docs, query)
            return
        now, wait = self._admit(key)
        if wait is not None:
            limit = self.keys[key]
            message = (
                f"You are past the request limit of {limit} API calls / {self.window_s:g} s "
                "for this key, please wait and try again later."
            )
            retry_after = max(1, math.ceil(wait))
            answer(429, _error(message), n_docs, query, headers={"Retry-After": str(retry_after)})
            return

        # Faults hit requests that passed auth and were admitted (so they count in the rate
        # window, as a real overloaded backend still consumed the call), before validation.
        fault = self._take_fault(target, path)
        if fault is not None and fault.kind == "hold":
            with self._lock:
                self._held += 1
            self._release.wait()
            with self._lock:
                self._held -= 1
            self._record(Call(now, key, DROPPED, n_docs, 0, query, path))
            handler.drop()
            return
        if fault is not None and fault.kind == "drop":
            self._record(Call(now, key, DROPPED, n_docs, 0, query, path))
            handler.drop()
            return
        if fault is not None and fault.kind == "status":
            message = _ERROR_MESSAGES.get(fault.status, f"injected error {fault.status}")
            answer(fault.status, _error(message), n_docs, query)
            return
        delay_s = fault.delay_s if fault is not None and fault.kind == "slow" else 0.0

        problem = validate_embed(body) if embed else validate(body)
        if problem is not None:
            answer(400, _error(problem), n_docs, query, delay_s=delay_s)
            return
        if embed:
            payload = self._embed(body)
            units, tokens = 0, billed_tokens(body["texts"])
        else:
            payload = self._rerank(body)
            units, tokens = search_units(n_docs), 0
        if fault is not None and fault.kind == "invalid_json":
            self._record(Call(now, key, 200, n_docs, units, query, path, tokens))
            self._sleep(self.latency_s)
            handler.send_raw(200, b'{"id": "x", "results": [', {})
            return
        if fault is not None and fault.kind in BAD_ANSWERS:
            payload = _spoil(payload, fault.kind, len(body["documents"]))
        elif fault is not None and fault.kind in EMBED_BAD_ANSWERS:
            payload = _spoil_embed(payload, fault.kind)
        answer(200, payload, n_docs, query, units=units, delay_s=delay_s, tokens=tokens)

    @staticmethod
    def _rerank(body: dict[str, Any]) -> dict[str, Any]:
        documents: list[str] = body["documents"]
        max_tokens = body.get("max_tokens_per_doc")
        scored = [(score(body["query"], d, max_tokens), i) for i, d in enumerate(documents)]
        scored.sort(key=lambda si: (-si[0], si[1]))
        top_n = body.get("top_n")
        if top_n is not None:
            scored = scored[:top_n]
        return {
            "id": str(uuid.uuid4()),
            "results": [{"index": i, "relevance_score": s} for s, i in scored],
            "meta": {
                "api_version": {"version": "2"},
                "billed_units": {"search_units": search_units(len(documents))},
            },
        }

    @staticmethod
    def _embed(body: dict[str, Any]) -> dict[str, Any]:
        """Cohere's EmbedByTypeResponse (cohere/types/embed_by_type_response.py): id, float
        embeddings in text order, the texts, meta with billed input tokens."""
        model, texts = body["model"], body["texts"]
        dims = body.get("output_dimension") or EMBED_MODELS[model]
        return {
            "id": str(uuid.uuid4()),
            "embeddings": {"float": [embedding(t, model, body["input_type"], dims) for t in texts]},
            "texts": texts,
            "meta": {
                "api_version": {"version": "2"},
                "billed_units": {"input_tokens": billed_tokens(texts)},
            },
        }


def _spoil_embed(payload: dict[str, Any], kind: str) -> dict[str, Any]:
    """A valid embed answer made wrong in one way (EMBED_BAD_ANSWERS)."""
    vectors = [list(v) for v in payload["embeddings"]["float"]]
    if kind == "too_few_embeddings":
        vectors = vectors[:-1]
    elif kind == "wrong_dimension":
        vectors[0] = vectors[0][:-1]
    elif kind == "nan_value":
        vectors[0][0] = math.nan
    elif kind == "string_value":
        vectors[0][0] = "0.5"
    embeddings: dict[str, Any] = {"float": vectors}
    if kind == "missing_embeddings":
        embeddings = {}
    return {**payload, "embeddings": embeddings}


def _spoil(payload: dict[str, Any], kind: str, n_documents: int) -> dict[str, Any]:
    """A valid rerank answer made wrong in one way (BAD_ANSWERS)."""
    results = [dict(r) for r in payload["results"]]
    if kind == "empty_results":
        results = []
    elif kind == "negative_index":
        results[0]["index"] = -1
    elif kind == "index_out_of_range":
        results[0]["index"] = n_documents
    elif kind == "duplicate_index":
        results[-1]["index"] = results[0]["index"]
    elif kind == "nan_score":
        results[0]["relevance_score"] = math.nan  # json.dumps writes NaN, as a sloppy server may
    spoiled = {**payload, "results": results}
    if kind == "missing_results":
        del spoiled["results"]
    return spoiled


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--key", action="append", required=True, help="valid API key (repeatable)")
    parser.add_argument("--rpm", type=int, default=0, help="requests per window per key; 0: none")
    parser.add_argument("--window", type=float, default=60.0, help="rate window, seconds")
    parser.add_argument("--latency", type=float, default=0.0, help="server latency, seconds")
    args = parser.parse_args(argv)

    limit = args.rpm if args.rpm > 0 else None
    server = CohereTestServer(
        keys={k: limit for k in args.key},
        window_s=args.window,
        latency_s=args.latency,
        port=args.port,
    )
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    with server:
        print(server.url, flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            done.wait()


if __name__ == "__main__":
    main()


# The key tests use with the server.
KEY = "test-key-3f9a7c1e5b"


def max_in_window(times: Sequence[float], window_s: float) -> int:
    """The most requests any window of window_s seconds holds (sliding, as the server counts)."""
    times = sorted(times)
    best, start = 0, 0
    for end, t in enumerate(times):
        while t - times[start] >= window_s:
            start += 1
        best = max(best, end - start + 1)
    return best
