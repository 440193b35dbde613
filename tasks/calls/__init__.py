"""Paid calls: the call log every backend writes, the journal that puts each paid call on record
the moment it returns, the request budget, and the API access a hosted backend shares.

calllog        the `calls` dataset (one row per call or cache hit): the cost model's input
journal        one batch's paid calls on record as they return (a crash loses none)
answer_cache   paid answers (scores, vectors) on disk, so none is bought twice
ratelimit      the request budget: host-wide pacing, an in-flight cap, a Prefect shared limit
http_retry     when to try a request again and how long to wait
key_gate       a refused API key costs one request, not one per thread
cohere_client  Cohere under one key, for any endpoint: key, client, budget, retries, billing
"""

from tasks.calls.answer_cache import AnswerCache
from tasks.calls.calllog import CALLS_SCHEMA, EMBED, RERANK, calls_table, unique_calls
from tasks.calls.cohere_client import (
    CohereAccess,
    CohereAuthError,
    InvalidAnswer,
    resolve_api_key,
)
from tasks.calls.http_retry import backoff_seconds, retry_after_seconds
from tasks.calls.journal import CallJournal, journal_calls
from tasks.calls.key_gate import KeyGate
from tasks.calls.ratelimit import (
    RequestBudget,
    ensure_global_limit,
    limiter_db,
    prefect_server_configured,
)

__all__ = [
    "CALLS_SCHEMA",
    "EMBED",
    "RERANK",
    "AnswerCache",
    "CallJournal",
    "CohereAccess",
    "CohereAuthError",
    "InvalidAnswer",
    "KeyGate",
    "RequestBudget",
    "backoff_seconds",
    "calls_table",
    "ensure_global_limit",
    "journal_calls",
    "limiter_db",
    "prefect_server_configured",
    "resolve_api_key",
    "retry_after_seconds",
    "unique_calls",
]
