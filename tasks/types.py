"""The in-memory shapes every loader produces and every stage consumes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tasks.errors import InputError

if TYPE_CHECKING:
    import numpy as np

__all__ = ["Document", "Hit", "InputError", "Qrels", "Query"]

# qid -> doc_id -> graded relevance (trec_eval convention: > 0 is relevant).
Qrels = dict[str, dict[str, int]]


@dataclass(frozen=True, slots=True)
class Document:
    doc_id: str
    text: str
    title: str = ""

    @property
    def full_text(self) -> str:
        """What gets embedded and reranked: title and body (BEIR/MTEB convention)."""
        return f"{self.title} {self.text}".strip()


@dataclass(frozen=True, slots=True)
class Query:
    qid: str
    text: str
    # The query's own vector (embedder.backend precomputed: the queries file's `vector`
    # column), float32; None when the embedder makes it. Not part of equality: an array.
    vector: np.ndarray | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Hit:
    """One retrieved candidate. `group_id` is the source document a chunk belongs to, when the
    collection has a group key (labels then name groups); None otherwise."""

    doc_id: str
    text: str
    score: float
    group_id: str | None = None
