"""The CPU worker's stage for one query batch: embed the queries, pull each one's top fetch_k.

Its hits are the hand-off: written as the batch's hits part (tasks.runs.runstore.write_hits),
then read by the rerank stage (tasks.rerank.batch) on whichever worker holds the device.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from config.settings import Settings
from tasks import embed
from tasks.retrieve.search import search_batch
from tasks.retrieve.vectorstore import open_client
from tasks.types import Hit, Query


def retrieve(
    settings: Settings, queries: Sequence[Query]
) -> tuple[list[list[Hit]], dict[str, float]]:
    """Each query's top fetch_k, best first, and the stage's timings (embed, retrieve)."""
    t0 = time.perf_counter()
    vectors = embed.embed_queries(queries, settings.embedder)
    t1 = time.perf_counter()
    client = open_client(settings.qdrant)
    hits = search_batch(client, settings.qdrant, vectors, settings.run.fetch_k)
    return [list(h) for h in hits], {"embed": t1 - t0, "retrieve": time.perf_counter() - t1}
