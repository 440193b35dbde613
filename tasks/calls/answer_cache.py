"""On-disk cache of paid answers: a billed backend never pays twice for the same request.

Keys are what decides the answer (tasks.rerank.cache.cache_key for a rerank request,
tasks.embed.cohere.text_key for one text's vector); values are float arrays (scores or a
vector). Append-only Parquet parts written atomically under unique names, so several worker
processes can share one cache directory without locks. A billed answer gets its own part the
moment it arrives (a crash then loses no paid answer); a batch folds its parts into one when it
ends.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.dataset as ds

from tasks.runs.storage import write_parquet

# "scores": the name the rerank cache has always used; an embed entry holds a vector there.
CACHE_SCHEMA = pa.schema([("key", pa.string()), ("scores", pa.list_(pa.float64()))])


class AnswerCache:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def get_many(self, keys: Sequence[str]) -> dict[str, np.ndarray]:
        for _ in range(5):
            parts = sorted(self.root.glob("part-*.parquet")) if self.root.is_dir() else []
            if not parts or not keys:
                return {}
            try:
                table = ds.dataset(parts, schema=CACHE_SCHEMA).to_table(
                    filter=ds.field("key").isin(list(set(keys)))
                )
                break
            except FileNotFoundError:
                continue  # another process folded some parts away meanwhile: list again
        else:
            raise RuntimeError(f"{self.root}: cache parts kept vanishing while being read")
        return {
            key: np.asarray(scores, dtype=np.float64)
            for key, scores in zip(
                table.column("key").to_pylist(), table.column("scores").to_pylist(), strict=True
            )
        }

    def put_many(self, entries: Mapping[str, np.ndarray]) -> Path | None:
        """Write the entries as one new part; its path (None when there was nothing)."""
        if not entries:
            return None
        table = pa.Table.from_pydict(
            {
                "key": list(entries),
                "scores": [np.asarray(v, dtype=np.float64).tolist() for v in entries.values()],
            },
            schema=CACHE_SCHEMA,
        )
        name = f"part-{os.getpid()}-{secrets.token_hex(6)}.parquet"
        write_parquet(table, self.root / name)
        return self.root / name
