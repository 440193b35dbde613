"""The in-memory shapes every loader produces and every stage consumes."""

from __future__ import annotations

from dataclasses import dataclass

# qid -> doc_id -> graded relevance (trec_eval convention: > 0 is relevant).
Qrels = dict[str, dict[str, int]]


class InputError(ValueError):
    """Bad user input. The message is one line: `path:line: field 'x': what is wrong`."""


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
