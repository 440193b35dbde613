"""The call journal: every paid call on record the moment it returns, so a crash loses none.

A batch's remote attempts (any status: the server saw them all) are written one small Parquet
part each, atomically and under a unique name, into the batch's journal folder of the run
(safe for several processes, and on an object store each part is one PUT). A valid answer's
scores ride along under its cache key, so a resumed batch never buys an answer the run already
has. When the batch's part lands its journal is compacted into one part; the merge folds every
journal into calls.parquet, keeping each call once (by call_id), so a crash between two of
those writes counts nothing twice.
"""

from __future__ import annotations

import logging
import os
import secrets
import time
from collections.abc import Mapping
from typing import Any

import numpy as np
import pyarrow as pa
from upath import UPath

from tasks.calls.calllog import CALLS_SCHEMA, as_calls, call_defaults, first_of_each_call
from tasks.runs.storage import PathLike, location, read_parquet, write_parquet

JOURNAL_SCHEMA = pa.schema(
    [
        *CALLS_SCHEMA,
        # The request's cache key and its validated scores: only on a valid answer.
        ("key", pa.string()),
        ("scores", pa.list_(pa.float64())),
    ]
)

log = logging.getLogger(__name__)


class CallJournal:
    """One batch's journal under `directory` (tasks.runs.layout.journal_dir); thread-safe."""

    def __init__(self, directory: PathLike, run_id: str, batch: int) -> None:
        self.dir = location(directory)
        self.run_id = run_id
        self.batch = batch
        # Rows whose part could not be written, for the caller to put on record another way.
        self.unwritten: list[dict[str, Any]] = []

    def record(
        self, row: Mapping[str, Any], key: str | None = None, scores: np.ndarray | None = None
    ) -> bool:
        """Write one attempt now; False (logged) when it could not be written, so the caller
        keeps the row for the batch's own part instead."""
        stamped = {**call_defaults(self.run_id, self.batch), **row}
        columns = {name: [stamped.get(name)] for name in CALLS_SCHEMA.names}
        columns["key"] = [key if scores is not None else None]
        columns["scores"] = [None if scores is None else np.asarray(scores, float).tolist()]
        table = pa.Table.from_pydict(columns, schema=JOURNAL_SCHEMA)
        # Time first: parts list in the order the calls ended.
        name = f"{time.time_ns():020d}-{os.getpid()}-{secrets.token_hex(4)}.parquet"
        try:
            write_parquet(table, self.dir / name)
        except OSError as exc:
            log.warning("call journal %s: could not write a part (%s)", self.dir, exc)
            self.unwritten.append(stamped)
            return False
        return True

    def parts(self) -> list[UPath]:
        if not self.dir.exists():
            return []
        return sorted(self.dir.glob("*.parquet"), key=str)

    def read(self) -> pa.Table:
        """Every journal row of the batch (JOURNAL_SCHEMA), each call once."""
        return read_journal(self.parts())

    def answers(self) -> dict[str, np.ndarray]:
        """Cache key -> scores of every valid answer this batch already bought."""
        table = self.read()
        table = table.filter(table.column("scores").is_valid())
        return {
            key: np.asarray(scores, dtype=np.float64)
            for key, scores in zip(
                table.column("key").to_pylist(), table.column("scores").to_pylist(), strict=True
            )
        }

    def compact(self) -> None:
        """Fold the batch's parts into one (written first, then the small ones removed)."""
        parts = self.parts()
        if len(parts) < 2:
            return
        table = read_journal(parts)
        write_parquet(table, self.dir / f"compact-{os.getpid()}-{secrets.token_hex(6)}.parquet")
        for part in parts:
            part.unlink(missing_ok=True)


def read_journal(parts: list[UPath]) -> pa.Table:
    tables = []
    for part in parts:
        try:
            tables.append(read_parquet(part))
        except FileNotFoundError:
            continue  # compacted away meanwhile: its rows are in the compacted part
    if not tables:
        return JOURNAL_SCHEMA.empty_table()
    # as_calls: parts written before a column existed read it as null (endpoint: rerank).
    table = pa.concat_tables([as_calls(t, JOURNAL_SCHEMA) for t in tables])
    return table.take(first_of_each_call(table))


def journal_calls(parts: list[UPath]) -> pa.Table:
    """The journal's rows as calls (CALLS_SCHEMA)."""
    return as_calls(read_journal(parts))
