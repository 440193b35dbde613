"""The FAQ serving table: precomputed reranked answers per question, swapped in atomically.

`layout` (files, schema, where the table lives), `normalize` (the lookup key), `planning` (what
a refresh recomputes), `table` (the new table's rows and content hash), `store` (read the
published table; publish a new one atomically under a writer lock), `serving` (lookups).
"""

from tasks.faq.layout import (
    DB_FILE,
    FAQ_SCHEMA,
    FORMAT_VERSION,
    LOCK_FILE,
    LOOKUP_COLUMNS,
    MANIFEST_FILE,
    PARQUET_FILE,
    serving_dir,
)
from tasks.faq.normalize import normalize_query
from tasks.faq.planning import (
    Plan,
    check_unique_questions,
    inputs_fingerprint,
    inputs_hash,
    plan,
    stored_hashes,
)
from tasks.faq.serving import lookup
from tasks.faq.store import publish, read_table, writer_lock
from tasks.faq.table import (
    assemble,
    computed_rows,
    kept_on_failure,
    model_name,
    refresh_counts,
    table_hash,
)

__all__ = [
    "DB_FILE",
    "FAQ_SCHEMA",
    "FORMAT_VERSION",
    "LOCK_FILE",
    "LOOKUP_COLUMNS",
    "MANIFEST_FILE",
    "PARQUET_FILE",
    "Plan",
    "assemble",
    "check_unique_questions",
    "computed_rows",
    "inputs_fingerprint",
    "inputs_hash",
    "kept_on_failure",
    "lookup",
    "model_name",
    "normalize_query",
    "plan",
    "publish",
    "read_table",
    "refresh_counts",
    "serving_dir",
    "stored_hashes",
    "table_hash",
    "writer_lock",
]
