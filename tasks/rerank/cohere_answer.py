"""Checking a Cohere Rerank answer against the request that was sent, before any score is used
or cached: a 200 that does not answer the request is a failed attempt, never a score."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from tasks.calls.cohere_client import InvalidAnswer, field_of, is_number


def answer_scores(results: Any, n_documents: int, top_n: int | None) -> np.ndarray:
    """A request's scores from Cohere's `results`, checked against what was asked: one result
    per document (or top_n of them), every index in range and seen once, every score finite.
    Documents left out by top_n score -inf (ranked last). Raises InvalidAnswer otherwise."""
    if not isinstance(results, Sequence) or isinstance(results, str | bytes):
        raise InvalidAnswer(f"no list of results ({type(results).__name__})")
    expected = min(top_n, n_documents) if top_n else n_documents
    if len(results) != expected:
        raise InvalidAnswer(f"{len(results)} results for {n_documents} documents, {expected} asked")
    scores = np.full(n_documents, -np.inf)
    seen: set[int] = set()
    for item in results:
        index, score = field_of(item, "index"), field_of(item, "relevance_score")
        if not _is_int(index) or not 0 <= index < n_documents:
            raise InvalidAnswer(f"index {index!r} outside 0..{n_documents - 1}")
        if index in seen:
            raise InvalidAnswer(f"index {index} answered twice")
        if not is_number(score) or not math.isfinite(score):
            raise InvalidAnswer(f"relevance_score {score!r} of index {index} is not a number")
        seen.add(index)
        scores[index] = float(score)
    return scores


def _is_int(value: Any) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)
