"""Answering a question from the published table (what apps and `rerankflow faq lookup` call)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tasks.faq.layout import DB_FILE, LOOKUP_COLUMNS
from tasks.faq.normalize import normalize_query


def lookup(faq_dir: Path, question: str, top_k: int | None = None) -> list[dict[str, Any]]:
    """The precomputed rows for a question (exact match after normalization), best first.

    An unknown question gives an empty list. Opens the DuckDB file read-only, per call, so each
    lookup sees the latest published table.
    """
    import duckdb

    if top_k is not None and top_k < 1:
        raise ValueError(f"top_k must be at least 1, got {top_k}")
    path = Path(faq_dir) / DB_FILE
    if not path.exists():
        raise FileNotFoundError(f"{path}: no FAQ table here; run `rerankflow faq precompute`")
    columns = ", ".join(LOOKUP_COLUMNS)
    limit = "" if top_k is None else " LIMIT $k"
    params: dict[str, Any] = {"q": normalize_query(question)}
    if top_k is not None:
        params["k"] = top_k
    con = duckdb.connect(str(path), read_only=True)
    try:
        con.execute("SET TimeZone = 'UTC'")  # created_at comes back in UTC, not local time
        cursor = con.execute(
            f"SELECT {columns} FROM faq WHERE query_norm = $q ORDER BY rank{limit}", params
        )
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    finally:
        con.close()
