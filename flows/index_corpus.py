"""`index_corpus`: embed a corpus into Qdrant (changed documents only) and build BM25 statistics."""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger

from config.settings import load_settings
from tasks import prefect_tasks


# log_prints: the model libraries a flow runs may print; their lines belong in its log.
@flow(name="index-corpus", log_prints=True)
def index_corpus(profile: str = "demo", overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    settings = load_settings(profile, overrides)
    report = prefect_tasks.index_corpus(settings)
    get_run_logger().info(
        "collection '%s': %d documents, %d embedded, %d unchanged, %d deleted (%.1f s)",
        report["collection"],
        report["documents"],
        report["embedded"],
        report["unchanged"],
        report["deleted"],
        report["seconds"]["total"],
    )
    return report
