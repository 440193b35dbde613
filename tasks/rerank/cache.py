"""The rerank cache's key: a billed backend never pays twice for the same query and candidates
(the cache itself: tasks.calls.answer_cache)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from tasks.types import Hit


def cache_key(
    backend: str, model: str, params: Mapping[str, Any], query: str, hits: Sequence[Hit]
) -> str:
    """Everything that decides the scores: backend, model, parameters, query, each candidate."""
    payload = {
        "backend": backend,
        "model": model,
        "params": dict(sorted(params.items())),
        "query": query,
        "candidates": [
            [h.doc_id, hashlib.sha256(h.text.encode("utf-8")).hexdigest()] for h in hits
        ],
    }
    blob = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode("utf-8")
    return hashlib.sha256(blob).hexdigest()
