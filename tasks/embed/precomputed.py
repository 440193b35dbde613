"""`precomputed`: query vectors made elsewhere (any API or model), given in the queries Parquet
file's `vector` column (read and checked row by row by tasks.inputs.queries). Used as given,
in float32: a collection is searched with exactly the vectors production sends.

Documents cannot be precomputed here: `rerankflow index` needs an embedder, and refuses this
backend (tasks.index.indexing.check_indexable)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tasks.types import Query


def query_vectors(queries: Sequence[Query]) -> np.ndarray:
    """The queries' own vectors as one (n, dim) float32 matrix."""
    missing = [q.qid for q in queries if q.vector is None]
    if missing:
        # The loader reads a vector for every query with this backend: this is a bug.
        raise ValueError(f"queries without a precomputed vector: {missing[:5]}")
    return np.stack([q.vector for q in queries]).astype(np.float32, copy=False)


def dimension(queries: Sequence[Query]) -> int | None:
    """The vectors' length (the loader checked they agree); None without queries."""
    return None if not queries or queries[0].vector is None else int(queries[0].vector.shape[0])
