"""Load a BEIR `corpus.jsonl` into `Document`s."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Literal

from tasks.inputs.records import (
    MAX_EXAMPLES,
    Seen,
    check_unique,
    field_error,
    iter_jsonl,
    required_id,
    short,
    string_field,
)
from tasks.types import Document

log = logging.getLogger(__name__)


def load_corpus(path: Path, *, empty_docs: Literal["warn", "fail"] = "warn") -> list[Document]:
    """Read a BEIR `corpus.jsonl`: one `{"_id", "title"?, "text"}` object a line.

    A document whose title and text are both blank is kept with one warning for the file
    (`empty_docs="warn"`) or rejected (`"fail"`).
    """
    path = Path(path)
    docs: list[Document] = []
    seen: Seen = {}
    empty: list[tuple[int, str]] = []
    for lineno, row in iter_jsonl(path):
        doc_id = required_id(path, lineno, row, "_id")
        if "text" not in row:
            raise field_error(path, lineno, "text", "missing")
        text = string_field(path, lineno, row, "text", required=False)
        title = string_field(path, lineno, row, "title", required=False)
        if not text.strip() and not title.strip():
            if empty_docs == "fail":
                raise field_error(path, lineno, "text", "empty (and no title)")
            empty.append((lineno, doc_id))
        check_unique(path, lineno, "_id", doc_id, seen)
        docs.append(Document(doc_id=doc_id, text=text, title=title))
    if empty:
        # Real collections have these (Cranfield 471 and 995, and 995 is judged relevant), so
        # dropping them would change the metrics; they are kept and reported.
        where = ", ".join(f"line {n} {short(d)}" for n, d in empty[:MAX_EXAMPLES])
        more = ", ..." if len(empty) > MAX_EXAMPLES else ""
        log.warning(
            "%s: %d document(s) with empty title and text kept (%s%s)",
            path,
            len(empty),
            where,
            more,
        )
    return docs
