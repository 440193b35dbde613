"""Load queries from Parquet (`qid`, `query`, optionally `vector`), BEIR `queries.jsonl` or
`labels.jsonl`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

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

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

# What a query vector's problem is fixed by, in every message about the column.
_VECTOR_FIX = (
    "embedder.backend precomputed reads each query's vector from it (a list of floats, one "
    "per query, as the collection's vectors were made)"
)


def _parse_beir_queries(path: Path) -> list[Query]:
    queries: list[Query] = []
    seen: Seen = {}
    for lineno, row in iter_jsonl(path):
        qid = required_id(path, lineno, row, "_id")
        text = string_field(path, lineno, row, "text", required=True)
        check_unique(path, lineno, "_id", qid, seen)
        queries.append(Query(qid=qid, text=text))
    return queries


def _query_vectors(path: Path, table: pa.Table) -> np.ndarray:
    """The `vector` column as a float32 (rows, dim) matrix; the first bad row is named."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    if "vector" not in table.column_names:
        raise InputError(
            f"{path}: field 'vector': column missing (have {sorted(table.column_names)}); "
            f"{_VECTOR_FIX}"
        )
    column = table.column("vector").combine_chunks()
    kind = column.type
    if not (
        (
            pa.types.is_list(kind)
            or pa.types.is_large_list(kind)
            or pa.types.is_fixed_size_list(kind)
        )
        and (pa.types.is_floating(kind.value_type) or pa.types.is_integer(kind.value_type))
    ):
        raise InputError(f"{path}: field 'vector': expected a list of floats column, got {kind}")
    if column.null_count:
        row = int(np.flatnonzero(column.is_null().to_numpy(zero_copy_only=False))[0])
        raise field_error(path, row + 1, "vector", "null")
    lengths = pc.list_value_length(column).to_numpy(zero_copy_only=False)
    dim = int(lengths[0])
    if dim == 0:
        raise field_error(path, 1, "vector", "empty list")
    wrong = np.flatnonzero(lengths != dim)
    if wrong.size:
        row = int(wrong[0])
        raise field_error(path, row + 1, "vector", f"{lengths[row]} values, but row 1 has {dim}")
    values = pc.list_flatten(column)
    if values.null_count:
        at = int(np.flatnonzero(values.is_null().to_numpy(zero_copy_only=False))[0])
        raise field_error(path, at // dim + 1, "vector", f"null value at position {at % dim}")
    # Checked after the cast: a float64 beyond float32's range would become inf.
    with np.errstate(over="ignore"):  # an overflow is reported below, with its row
        matrix = values.to_numpy(zero_copy_only=False).astype(np.float32).reshape(-1, dim)
    finite = np.isfinite(matrix)
    if not finite.all():
        row, pos = (int(i[0]) for i in np.nonzero(~finite))
        raise field_error(
            path,
            row + 1,
            "vector",
            f"not a finite float32 ({table.column('vector')[row][pos]} at position {pos})",
        )
    zero = np.flatnonzero(~matrix.any(axis=1))
    if zero.size:
        raise field_error(path, int(zero[0]) + 1, "vector", "all zeros (no direction)")
    return matrix


def _load_parquet_queries(path: Path, vectors: bool) -> list[Query]:
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
    matrix = _query_vectors(path, table) if vectors else None
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
        vector = matrix[row_no - 1] if matrix is not None else None
        queries.append(Query(qid=str(qid), text=text, vector=vector))
    return queries


def load_queries(path: Path, *, vectors: bool = False) -> list[Query]:
    """Read queries from Parquet (`qid`, `query`), BEIR `queries.jsonl` or `labels.jsonl`.

    A JSONL file's format is picked from its first row: `_id` means BEIR, `qid` the labels form.
    `vectors`: each query's vector is read too, from the Parquet `vector` column (required).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return _load_parquet_queries(path, vectors)
    if vectors:
        check_file(path)
        raise InputError(
            f"{path}: query vectors are read from a Parquet file (columns qid, query, vector), "
            f"not {suffix or 'this file type'}; {_VECTOR_FIX}"
        )
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
