"""Load queries from Parquet (`qid`, `query`), BEIR `queries.jsonl` or `labels.jsonl`."""

from __future__ import annotations

from pathlib import Path

from tasks.errors import InputError
from tasks.inputs.labels import parse_labels
from tasks.inputs.records import (
    Seen,
    check_file,
    check_unique,
    field_error,
    first_row_keys,
    iter_jsonl,
    required_id,
    string_field,
)
from tasks.types import Query


def _parse_beir_queries(path: Path) -> list[Query]:
    queries: list[Query] = []
    seen: Seen = {}
    for lineno, row in iter_jsonl(path):
        qid = required_id(path, lineno, row, "_id")
        text = string_field(path, lineno, row, "text", required=True)
        check_unique(path, lineno, "_id", qid, seen)
        queries.append(Query(qid=qid, text=text))
    return queries


def _load_parquet_queries(path: Path) -> list[Query]:
    # Imported here: pyarrow is slow to import and only Parquet queries need it.
    import pyarrow as pa
    import pyarrow.parquet as pq

    check_file(path)
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
    seen: Seen = {}
    qids = table.column("qid").to_pylist()
    texts = table.column("query").to_pylist()
    # Rows are reported 1-based in the "line" slot so messages read like the JSONL ones.
    for row_no, (qid, text) in enumerate(zip(qids, texts, strict=True), start=1):
        for field, value in (("qid", qid), ("query", text)):
            if value is None:
                raise field_error(path, row_no, field, "null")
            if not str(value).strip():
                raise field_error(path, row_no, field, "empty")
        check_unique(path, row_no, "qid", str(qid), seen)
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
        check_file(path)
        raise InputError(f"{path}: unsupported file type {suffix!r} (expected .jsonl or .parquet)")
    lineno, keys = first_row_keys(path)
    if "_id" in keys:
        return _parse_beir_queries(path)
    if "qid" in keys:
        return parse_labels(path)[0]
    raise field_error(
        path,
        lineno,
        "_id",
        "missing (expected BEIR keys '_id', 'text' or labels keys 'qid', 'query', 'positives')",
    )
