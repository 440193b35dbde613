"""Where the FAQ serving table lives and what it holds.

One directory holds `faq.parquet`, `faq.duckdb` (table `faq`, indexed on `query_norm`, plus a
one-row `faq_meta`) and `faq.json`. Each is written under a temporary name in the same directory
and `os.replace`d into place (tasks.faq.store), so a reader opens the old file or the new one,
never half of either.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from config.settings import Settings
from tasks.errors import SettingsError
from tasks.runs import storage

PARQUET_FILE = "faq.parquet"
DB_FILE = "faq.duckdb"
MANIFEST_FILE = "faq.json"
LOCK_FILE = ".faq.lock"
# Bumped when the table's layout or meaning changes: every query is then recomputed.
FORMAT_VERSION = 1

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
