"""The FAQ serving table: precomputed reranked answers per question, swapped in atomically.

One directory holds `faq.parquet`, `faq.duckdb` (table `faq`, indexed on `query_norm`, plus a
one-row `faq_meta`) and `faq.json`. Each is written under a temporary name in the same directory
and `os.replace`d into place, so a reader opens the old file or the new one, never half of
either. The DuckDB file and the Parquet file carry the table's content hash, as does `faq.json`
(replaced last), so a reader of more than one file can check they are the same version.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import re
import secrets
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from config.settings import Settings
from tasks.errors import SettingsError
from tasks.rerank.registry import BACKENDS
from tasks.runs import storage
from tasks.types import InputError, Query

log = logging.getLogger(__name__)

PARQUET_FILE = "faq.parquet"
DB_FILE = "faq.duckdb"
MANIFEST_FILE = "faq.json"
LOCK_FILE = ".faq.lock"
# Bumped when the table's layout or meaning changes: every query is then recomputed.
FORMAT_VERSION = 1
# Sentence-final . ? ! (ASCII, full-width, ideographic full stop) and whitespace around them.
_TRAILING_PUNCTUATION = re.compile(r"[\s.?!\uff0e\uff1f\uff01\u3002]+$")

FAQ_SCHEMA = pa.schema(
    [
        ("query_norm", pa.string()),
        ("qid", pa.string()),
        ("rank", pa.int32()),
        ("doc_id", pa.string()),
        ("text", pa.string()),
        ("score", pa.float64()),
        ("run_id", pa.string()),
        ("model", pa.string()),
        ("created_at", pa.timestamp("us", tz="UTC")),
        ("inputs_hash", pa.string()),
    ]
)
LOOKUP_COLUMNS = [n for n in FAQ_SCHEMA.names if n != "inputs_hash"]

# Settings that change how fast or where scores are computed, not what they are.
_RERANKER_OPERATIONAL = {"batch_size", "batch_tokens", "device", "cache", "cache_dir", "cohere"}
_COHERE_OPERATIONAL = {
    "api_key_secret",
    "requests_per_minute",
    "rate_window_s",
    "max_in_flight",
    "max_documents_per_request",
    "timeout_s",
    "max_attempts",
    "max_retry_seconds",
    "global_limit",
}


def normalize_query(text: str) -> str:
    """The lookup key, used at precompute and at lookup alike: NFKC, casefolded, whitespace
    collapsed and stripped, and trailing sentence punctuation dropped (`.`, `?`, `!`, their
    full-width forms and the ideographic full stop `。`, with the whitespace around them), so
    "How do I export to PDF" finds "how do i export to pdf?". Punctuation inside is kept.

    NFKC runs again after casefold because folding can leave a string that is not NFKC.
    Changing this function changes stored keys: `inputs_hash` covers the key, so the next
    precompute recomputes the questions whose key changed (their old rows are replaced).
    """
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    return _TRAILING_PUNCTUATION.sub("", " ".join(folded.split()))


def serving_dir(settings: Settings, faq_dir: str | Path | None = None) -> Path:
    """Where the table lives: `faq_dir` if given, else `faq.dir`, else beside a local runs root
    (`<runs>/../faq`). It is a local directory: apps open its DuckDB file read-only."""
    if faq_dir is not None:
        return Path(faq_dir)
    if settings.faq.dir is not None:
        return settings.faq.dir
    root = settings.run.runs_root
    if not storage.is_local(root):
        raise SettingsError(
            f"faq.dir is unset and run.runs_root is {root}: set faq.dir (or --faq-dir) to a "
            "local directory for the serving table (apps open its DuckDB file)"
        )
    return Path(root).parent / "faq"


def model_name(settings: Settings) -> str:
    return settings.reranker.model or settings.reranker.backend


# --------------------------------------------------------------------------- what to recompute


def inputs_fingerprint(settings: Settings, corpus_hash: str) -> dict[str, Any]:
    """Everything besides the question that a query's rows depend on. `corpus_hash` is the
    corpus file's hash, or `collection:<fingerprint>` for an existing collection."""
    r = settings.reranker
    reranker = r.model_dump(mode="json", exclude=_RERANKER_OPERATIONAL)
    # Documented as unused by these backends: changing them must not recompute everything.
    if r.backend != "bm25":
        reranker.pop("bm25_weight")
    if not BACKENDS[r.backend].takes_model:
        reranker.pop("model")
        reranker.pop("max_length")
    if r.backend == "cohere":
        reranker["cohere"] = r.cohere.model_dump(mode="json", exclude=_COHERE_OPERATIONAL)
    e = settings.embedder
    out: dict[str, Any] = {
        "format": FORMAT_VERSION,
        "corpus_hash": corpus_hash,
        # The index is identified by its collection and what it was built from (corpus hash,
        # embedder, document prefix; require_index checks those match); not by where it lives.
        "collection": settings.qdrant.collection,
        "embedder": {
            "model": e.model,
            "query_prefix": e.query_prefix,
            "document_prefix": e.document_prefix,
        },
        "reranker": reranker,
        "fetch_k": settings.run.fetch_k,
        "top_k": settings.run.top_k,
    }
    q = settings.qdrant
    if q.existing or q.filter or q.search_params:
        # What is searched and read (only when set: older tables keep their fingerprint).
        out["retrieval"] = q.model_dump(
            mode="json",
            include={"vector", "text_key", "id_key", "group_key", "filter", "search_params"},
        )
    return out


def inputs_hash(query_norm: str, fingerprint: Mapping[str, Any]) -> str:
    payload = json.dumps(
        {"query": query_norm, "inputs": fingerprint}, sort_keys=True, ensure_ascii=False
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Plan:
    """Which current questions to recompute and which to carry over; which old ones to drop."""

    todo: list[Query]
    new: list[str]
    carried: list[str]
    dropped: list[str]
    norms: dict[str, str]
    hashes: dict[str, str]


def check_unique_questions(queries: Sequence[Query], source: Path | str) -> dict[str, str]:
    """qid -> normalized text. Two qids with one normalized question would make lookups
    ambiguous, so that is an input error."""
    norms: dict[str, str] = {}
    first: dict[str, tuple[int, str]] = {}
    for n, query in enumerate(queries, start=1):
        norm = normalize_query(query.text)
        if not norm:
            raise InputError(
                f"{source}: entry {n}: field 'text': question of qid {query.qid!r} is empty "
                f"after normalization ({query.text!r}); give it words or remove it"
            )
        if norm in first:
            entry, qid = first[norm]
            raise InputError(
                f"{source}: entry {n}: field 'text': question of qid {query.qid!r} is the same "
                f"as qid {qid!r} (entry {entry}) after normalization: {norm!r}"
            )
        first[norm] = (n, query.qid)
        norms[query.qid] = norm
    return norms


def plan(
    queries: Sequence[Query],
    fingerprint: Mapping[str, Any],
    previous: pa.Table | None,
    source: Path | str,
) -> Plan:
    """New questions, changed questions and questions whose inputs changed are recomputed.

    The hash covers the normalized text, so a qid whose text changed gets a new hash too.
    """
    norms = check_unique_questions(queries, source)
    hashes = {qid: inputs_hash(norm, fingerprint) for qid, norm in norms.items()}
    before = stored_hashes(previous)
    todo = [q for q in queries if before.get(q.qid) != hashes[q.qid]]
    return Plan(
        todo=todo,
        new=[q.qid for q in todo if q.qid not in before],
        carried=[q.qid for q in queries if before.get(q.qid) == hashes[q.qid]],
        dropped=sorted(set(before) - set(norms)),
        norms=norms,
        hashes=hashes,
    )


def stored_hashes(table: pa.Table | None) -> dict[str, str]:
    if table is None:
        return {}
    pairs = table.select(["qid", "inputs_hash"]).to_pylist()
    return {row["qid"]: row["inputs_hash"] for row in pairs}


# --------------------------------------------------------------------------- building the table


def read_table(faq_dir: Path) -> pa.Table | None:
    """The published table, or None when there is none (or it predates this layout)."""
    path = faq_dir / PARQUET_FILE
    if not path.exists():
        return None
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        raise InputError(
            f"{path}: not a readable Parquet file ({exc}); delete it to recompute every question"
        ) from None
    if table.schema.remove_metadata() != FAQ_SCHEMA:
        log.warning("%s: columns differ from this version's; recomputing every question", path)
        return None
    return table.replace_schema_metadata(None)


def computed_rows(
    reranked: pa.Table,
    plan: Plan,
    texts: Mapping[str, str],
    run_id: str,
    model: str,
    computed_at: Mapping[str, datetime],
) -> pa.Table:
    """A run's reranked rows (tasks.runs.runstore.RERANKED_SCHEMA) as serving rows."""
    qids = reranked.column("qid").to_pylist()
    doc_ids = reranked.column("doc_id").to_pylist()
    missing = sorted({d for d in doc_ids if d not in texts})
    if missing:
        raise RuntimeError(
            f"run {run_id}: retrieved documents absent from the corpus file "
            f"({', '.join(missing[:5])}); re-index with `rerankflow index`"
        )
    return pa.Table.from_pydict(
        {
            "query_norm": [plan.norms[q] for q in qids],
            "qid": qids,
            "rank": reranked.column("rank"),
            "doc_id": doc_ids,
            "text": [texts[d] for d in doc_ids],
            "score": reranked.column("rerank_score"),
            "run_id": [run_id] * len(qids),
            "model": [model] * len(qids),
            "created_at": [computed_at[q] for q in qids],
            "inputs_hash": [plan.hashes[q] for q in qids],
        },
        schema=FAQ_SCHEMA,
    )


def kept_on_failure(previous: pa.Table | None, plan: Plan, failed: Sequence[str]) -> list[str]:
    """Failed questions whose old rows answer the same question: serve those until a retry."""
    if previous is None or not failed:
        return []
    old = dict(zip(*(previous.column(c).to_pylist() for c in ("qid", "query_norm")), strict=True))
    return [qid for qid in failed if old.get(qid) == plan.norms.get(qid)]


def _rows_of(table: pa.Table, qids: Sequence[str]) -> pa.Table:
    return table.filter(pc.is_in(table.column("qid"), pa.array(list(qids), pa.string())))


def assemble(previous: pa.Table | None, keep: Sequence[str], computed: pa.Table | None) -> pa.Table:
    """Kept rows from the previous table plus the new ones, ordered for lookups."""
    parts = [computed if computed is not None else FAQ_SCHEMA.empty_table()]
    if previous is not None and keep:
        parts.append(_rows_of(previous, keep))
    table = pa.concat_tables(parts)
    return table.sort_by([("query_norm", "ascending"), ("rank", "ascending")]).combine_chunks()


def refresh_counts(
    plan: Plan, recomputed: Sequence[str], failed: Sequence[str], table: pa.Table
) -> dict[str, int]:
    """What a refresh did; `total` counts the questions the new table answers."""
    return {
        "recomputed": len(recomputed),
        "carried_over": len(plan.carried),
        "dropped": len(plan.dropped),
        "failed": len(failed),
        "total": len(pc.unique(table.column("qid"))),
        "rows": table.num_rows,
    }


def table_hash(table: pa.Table) -> str:
    """Content hash, independent of row order and file format (so Parquet and DuckDB agree)."""
    rows = table.select(FAQ_SCHEMA.names).sort_by(
        [("query_norm", "ascending"), ("rank", "ascending")]
    )
    digest = hashlib.sha256()
    for row in rows.to_pylist():
        row["created_at"] = row["created_at"].isoformat()
        digest.update(json.dumps(row, sort_keys=True, ensure_ascii=False).encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()


# --------------------------------------------------------------------------- publishing


@contextmanager
def writer_lock(faq_dir: Path) -> Iterator[None]:
    """One writer per directory: two refreshes interleaving their renames would mix versions."""
    faq_dir.mkdir(parents=True, exist_ok=True)
    path = faq_dir / LOCK_FILE
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RuntimeError(
                f"{faq_dir}: another FAQ precompute is writing here ({path} is locked)"
            ) from None
        try:
            _remove_leftovers(faq_dir)
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _remove_leftovers(faq_dir: Path) -> None:
    # Temporary files of a writer that died; safe to delete while holding the lock.
    for path in faq_dir.glob(".faq.*.tmp*"):
        path.unlink(missing_ok=True)


def _fsync(path: Path) -> None:
    """Flush a file (or directory entry) so a rename never outlives its data on power loss."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _build_duckdb(db_path: Path, parquet_path: Path, meta: Mapping[str, Any]) -> None:
    import duckdb

    con = duckdb.connect(str(db_path))
    try:
        # Built from the Parquet file just written: the two files hold the same rows.
        con.execute(
            "CREATE TABLE faq AS SELECT * FROM read_parquet($path) ORDER BY query_norm, rank",
            {"path": str(parquet_path)},
        )
        con.execute("CREATE INDEX faq_query_norm ON faq (query_norm)")
        con.execute(
            "CREATE TABLE faq_meta AS SELECT $run_id AS run_id, "
            "$created_at::TIMESTAMPTZ AS created_at, $table_hash AS table_hash, "
            "$queries::BIGINT AS queries, $rows::BIGINT AS rows",
            {k: meta[k] for k in ("run_id", "created_at", "table_hash", "queries", "rows")},
        )
        con.execute("CHECKPOINT")
    finally:
        con.close()


def publish(faq_dir: Path, table: pa.Table, manifest: Mapping[str, Any]) -> None:
    """Swap in the new Parquet, then the new DuckDB file, then the manifest.

    Call under `writer_lock`. Each file is complete before its rename, and a reader that already
    holds the old file keeps reading it (its inode lives on until closed).
    """
    faq_dir.mkdir(parents=True, exist_ok=True)
    token = f"{os.getpid()}.{secrets.token_hex(3)}"
    tmp_parquet = faq_dir / f".{PARQUET_FILE}.{token}.tmp"
    tmp_db = faq_dir / f".{DB_FILE}.{token}.tmp"
    labels = {"run_id": manifest["run_id"], "table_hash": manifest["table_hash"]}
    try:
        pq.write_table(
            table.replace_schema_metadata({f"rerankflow.{k}": v for k, v in labels.items()}),
            tmp_parquet,
        )
        _fsync(tmp_parquet)
        _build_duckdb(tmp_db, tmp_parquet, manifest)
        os.replace(tmp_parquet, faq_dir / PARQUET_FILE)
        os.replace(tmp_db, faq_dir / DB_FILE)
        _fsync(faq_dir)
    finally:
        for path in (tmp_parquet, tmp_db, tmp_db.with_name(tmp_db.name + ".wal")):
            path.unlink(missing_ok=True)
    storage.write_json(dict(manifest), faq_dir / MANIFEST_FILE)


# --------------------------------------------------------------------------- serving


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
