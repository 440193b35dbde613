"""Load corpora, queries and relevance labels from BEIR files, labels.jsonl or Parquet.

Every loader rejects bad input with a one-line `InputError`:
`{path}:{line}: field '{field}': {problem}`, or `{path}: {problem}` for whole-file problems.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Literal

from tasks.types import Document, InputError, Qrels, Query

try:
    import orjson

    _loads: Callable[[str], Any] = orjson.loads
except ImportError:  # pragma: no cover - orjson is a dependency, json is only a fallback
    _loads = json.loads

logger = logging.getLogger(__name__)

QRELS_HEADER = ("query-id", "corpus-id", "score")
_MAX_EXAMPLES = 5
_HASH_CHUNK = 1 << 20

# id -> line it first appeared on, so a duplicate can name both lines.
_Seen = dict[str, int]


def _short(value: object, limit: int = 60) -> str:
    """repr() of a value, cut to keep error messages on one short line."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _field_error(path: Path, lineno: int, field: str, problem: str) -> InputError:
    return InputError(f"{path}:{lineno}: field '{field}': {problem}")


def _type_name(value: object) -> str:
    if value is None:
        return "null"
    return {dict: "object", list: "array", str: "string", bool: "boolean"}.get(
        type(value), type(value).__name__
    )


def _check_file(path: Path) -> None:
    if not path.exists():
        raise InputError(f"{path}: file not found")
    if not path.is_file():
        raise InputError(f"{path}: not a regular file")


def _read_text(path: Path) -> str:
    """Whole file as text; names the line of the first byte that is not UTF-8."""
    _check_file(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read file: {exc.strerror or exc}") from exc
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        # Decoding the whole file at once is fast; the line is recovered from the byte offset.
        lineno = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        bad = data[exc.start : exc.start + 1].hex()
        raise InputError(
            f"{path}:{lineno}: not valid UTF-8 (byte 0x{bad} at column {column})"
        ) from None
    return text.removeprefix("\ufeff")


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    """Non-blank lines with 1-based line numbers; fails on a file with no non-blank lines."""
    text = _read_text(path)
    found = False
    # split("\n"), not splitlines(): U+2028 and friends are legal inside JSON strings.
    for lineno, raw in enumerate(text.split("\n"), start=1):
        line = raw.removesuffix("\r")
        if not line.strip():
            continue
        found = True
        yield lineno, line
    if not found:
        raise InputError(f"{path}: file is empty (no records)")


def _iter_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Parsed JSON objects with their line numbers."""
    for lineno, line in _lines(path):
        try:
            row = _loads(line)
        except ValueError as exc:
            msg = getattr(exc, "msg", str(exc))
            colno = getattr(exc, "colno", None)
            where = f" at column {colno}" if colno else ""
            raise InputError(f"{path}:{lineno}: malformed JSON: {msg}{where}") from None
        if not isinstance(row, dict):
            raise InputError(f"{path}:{lineno}: expected a JSON object, got {_type_name(row)}")
        yield lineno, row


def _id_value(path: Path, lineno: int, field: str, value: object) -> str:
    """A non-empty id; JSON integers are accepted and converted (BEIR files have them)."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise _field_error(path, lineno, field, f"expected a string id, got {_type_name(value)}")
    text = str(value)
    if not text.strip():
        raise _field_error(path, lineno, field, "empty")
    return text


def _required_id(path: Path, lineno: int, row: dict[str, Any], field: str) -> str:
    if field not in row:
        raise _field_error(path, lineno, field, "missing")
    return _id_value(path, lineno, field, row[field])


def _string_field(
    path: Path, lineno: int, row: dict[str, Any], field: str, *, required: bool
) -> str:
    """A string field; `required` means present and not blank, otherwise absent/null is ''."""
    if field not in row or row[field] is None:
        if required:
            raise _field_error(path, lineno, field, "missing")
        return ""
    value = row[field]
    if not isinstance(value, str):
        raise _field_error(path, lineno, field, f"expected a string, got {_type_name(value)}")
    if required and not value.strip():
        raise _field_error(path, lineno, field, "empty")
    return value


def _check_unique(
    path: Path, lineno: int, field: str, key: str, seen: _Seen, what: str = "id"
) -> None:
    first = seen.get(key)
    if first is not None:
        raise _field_error(
            path, lineno, field, f"duplicate {what} {_short(key)} (first at line {first})"
        )
    seen[key] = lineno


def load_corpus(path: Path, *, empty_docs: Literal["warn", "fail"] = "warn") -> list[Document]:
    """Read a BEIR `corpus.jsonl`: one `{"_id", "title"?, "text"}` object a line.

    A document whose title and text are both blank is kept with one warning for the file
    (`empty_docs="warn"`) or rejected (`"fail"`).
    """
    path = Path(path)
    docs: list[Document] = []
    seen: _Seen = {}
    empty: list[tuple[int, str]] = []
    for lineno, row in _iter_jsonl(path):
        doc_id = _required_id(path, lineno, row, "_id")
        if "text" not in row:
            raise _field_error(path, lineno, "text", "missing")
        text = _string_field(path, lineno, row, "text", required=False)
        title = _string_field(path, lineno, row, "title", required=False)
        if not text.strip() and not title.strip():
            if empty_docs == "fail":
                raise _field_error(path, lineno, "text", "empty (and no title)")
            empty.append((lineno, doc_id))
        _check_unique(path, lineno, "_id", doc_id, seen)
        docs.append(Document(doc_id=doc_id, text=text, title=title))
    if empty:
        # Real collections have these (Cranfield 471 and 995, and 995 is judged relevant), so
        # dropping them would change the metrics; they are kept and reported.
        where = ", ".join(f"line {n} {_short(d)}" for n, d in empty[:_MAX_EXAMPLES])
        more = ", ..." if len(empty) > _MAX_EXAMPLES else ""
        logger.warning(
            "%s: %d document(s) with empty title and text kept (%s%s)",
            path,
            len(empty),
            where,
            more,
        )
    return docs


def _parse_beir_queries(path: Path) -> list[Query]:
    queries: list[Query] = []
    seen: _Seen = {}
    for lineno, row in _iter_jsonl(path):
        qid = _required_id(path, lineno, row, "_id")
        text = _string_field(path, lineno, row, "text", required=True)
        _check_unique(path, lineno, "_id", qid, seen)
        queries.append(Query(qid=qid, text=text))
    return queries


def _parse_labels(path: Path) -> tuple[list[Query], Qrels]:
    """Read the hand-written `labels.jsonl`: `{"qid", "query", "positives": [doc_id, ...]}`."""
    queries: list[Query] = []
    qrels: Qrels = {}
    seen: _Seen = {}
    for lineno, row in _iter_jsonl(path):
        qid = _required_id(path, lineno, row, "qid")
        text = _string_field(path, lineno, row, "query", required=True)
        if "positives" not in row or row["positives"] is None:
            raise _field_error(path, lineno, "positives", "missing")
        positives = row["positives"]
        if not isinstance(positives, list):
            raise _field_error(
                path,
                lineno,
                "positives",
                f"expected an array of doc ids, got {_type_name(positives)}",
            )
        if not positives:
            raise _field_error(path, lineno, "positives", "empty (every query needs a positive)")
        _check_unique(path, lineno, "qid", qid, seen)
        judged: dict[str, int] = {}
        for value in positives:
            doc_id = _id_value(path, lineno, "positives", value)
            if doc_id in judged:
                raise _field_error(path, lineno, "positives", f"duplicate doc id {_short(doc_id)}")
            judged[doc_id] = 1
        queries.append(Query(qid=qid, text=text))
        qrels[qid] = judged
    return queries, qrels


def _first_row_keys(path: Path) -> tuple[int, set[str]]:
    for lineno, row in _iter_jsonl(path):
        return lineno, set(row)
    raise AssertionError("unreachable: _iter_jsonl raises on an empty file")


def _load_parquet_queries(path: Path) -> list[Query]:
    # Imported here: pyarrow is slow to import and only Parquet queries need it.
    import pyarrow as pa
    import pyarrow.parquet as pq

    _check_file(path)
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        problem = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"{path}: not a readable Parquet file: {problem}") from None
    for column in ("qid", "query"):
        if column not in table.column_names:
            raise InputError(
                f"{path}: field '{column}': column missing (have {sorted(table.column_names)})"
            )
    qid_type, query_type = table.schema.field("qid").type, table.schema.field("query").type
    if not (
        pa.types.is_string(qid_type)
        or pa.types.is_large_string(qid_type)
        or pa.types.is_integer(qid_type)
    ):
        raise InputError(
            f"{path}: field 'qid': expected a string or integer column, got {qid_type}"
        )
    if not (pa.types.is_string(query_type) or pa.types.is_large_string(query_type)):
        raise InputError(f"{path}: field 'query': expected a string column, got {query_type}")
    if table.num_rows == 0:
        raise InputError(f"{path}: file is empty (no rows)")
    queries: list[Query] = []
    seen: _Seen = {}
    qids = table.column("qid").to_pylist()
    texts = table.column("query").to_pylist()
    # Rows are reported 1-based in the "line" slot so messages read like the JSONL ones.
    for row_no, (qid, text) in enumerate(zip(qids, texts, strict=True), start=1):
        for field, value in (("qid", qid), ("query", text)):
            if value is None:
                raise _field_error(path, row_no, field, "null")
            if not str(value).strip():
                raise _field_error(path, row_no, field, "empty")
        _check_unique(path, row_no, "qid", str(qid), seen)
        queries.append(Query(qid=str(qid), text=text))
    return queries


def load_queries(path: Path) -> list[Query]:
    """Read queries from Parquet (`qid`, `query`), BEIR `queries.jsonl` or `labels.jsonl`.

    A JSONL file's format is picked from its first row: `_id` means BEIR, `qid` the labels form.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return _load_parquet_queries(path)
    if suffix != ".jsonl":
        _check_file(path)
        raise InputError(f"{path}: unsupported file type {suffix!r} (expected .jsonl or .parquet)")
    lineno, keys = _first_row_keys(path)
    if "_id" in keys:
        return _parse_beir_queries(path)
    if "qid" in keys:
        return _parse_labels(path)[0]
    raise _field_error(
        path,
        lineno,
        "_id",
        "missing (expected BEIR keys '_id', 'text' or labels keys 'qid', 'query', 'positives')",
    )


def _load_qrels_tsv(path: Path) -> Qrels:
    qrels: Qrels = {}
    seen_pairs: dict[tuple[str, str], int] = {}
    lines = _lines(path)
    header_no, header = next(lines)
    if tuple(col.strip() for col in header.split("\t")) != QRELS_HEADER:
        raise _field_error(
            path,
            header_no,
            "header",
            f"expected {_short(chr(9).join(QRELS_HEADER))}, got {_short(header)}",
        )
    for lineno, line in lines:
        cols = line.split("\t")
        if len(cols) != len(QRELS_HEADER):
            raise _field_error(
                path,
                lineno,
                "columns",
                f"expected {len(QRELS_HEADER)} tab-separated columns, got {len(cols)}",
            )
        qid, doc_id, raw_score = (col.strip() for col in cols)
        if not qid:
            raise _field_error(path, lineno, "query-id", "empty")
        if not doc_id:
            raise _field_error(path, lineno, "corpus-id", "empty")
        try:
            score = int(raw_score)
        except ValueError:
            raise _field_error(
                path, lineno, "score", f"expected an integer, got {_short(raw_score)}"
            ) from None
        first = seen_pairs.get((qid, doc_id))
        if first is not None:
            raise _field_error(
                path,
                lineno,
                "corpus-id",
                f"duplicate pair ({_short(qid)}, {_short(doc_id)}) (first at line {first})",
            )
        seen_pairs[(qid, doc_id)] = lineno
        qrels.setdefault(qid, {})[doc_id] = score
    if not qrels:
        raise InputError(f"{path}: no judged pairs after the header")
    return qrels


def load_qrels(path: Path) -> Qrels:
    """Read relevance labels from a BEIR `qrels/<split>.tsv` or a `labels.jsonl`."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".tsv":
        return _load_qrels_tsv(path)
    if suffix == ".jsonl":
        lineno, keys = _first_row_keys(path)
        if "qid" not in keys:
            raise _field_error(
                path,
                lineno,
                "qid",
                "missing (a labels file has 'qid', 'query', 'positives'; "
                "BEIR labels are a qrels/<split>.tsv)",
            )
        return _parse_labels(path)[1]
    _check_file(path)
    raise InputError(f"{path}: unsupported file type {suffix!r} (expected .tsv or .jsonl)")


def check_labels_against_corpus(
    qrels: Qrels,
    doc_ids: set[str],
    source: Path,
    on_missing: Literal["warn", "fail"],
    where: str = "the corpus",
) -> int:
    """Count label rows naming documents absent from the corpus (or `where` they are looked
    up, e.g. a collection); warn or raise if any."""
    if on_missing not in ("warn", "fail"):
        raise ValueError(f"on_missing must be 'warn' or 'fail', got {on_missing!r}")
    absent = [doc_id for judged in qrels.values() for doc_id in judged if doc_id not in doc_ids]
    count = len(absent)
    missing = sorted(set(absent))
    if count == 0:
        return 0
    examples = ", ".join(_short(d) for d in missing[:_MAX_EXAMPLES])
    more = ", ..." if len(missing) > _MAX_EXAMPLES else ""
    message = (
        f"{source}: {count} label row(s) name documents not in {where} "
        f"({len(missing)} distinct, e.g. {examples}{more})"
    )
    if on_missing == "fail":
        raise InputError(message)
    logger.warning(message)
    return count


def dataset_hash(path: Path) -> str:
    """Hex sha256 of the file's bytes, read in chunks."""
    path = Path(path)
    _check_file(path)
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(_HASH_CHUNK):
                digest.update(chunk)
    except OSError as exc:
        raise InputError(f"{path}: cannot read file: {exc.strerror or exc}") from exc
    return digest.hexdigest()
