"""`index_corpus`: embed a corpus into Qdrant (changed documents only) and build BM25 statistics."""

from __future__ import annotations

from typing import Any

from prefect import flow

from config.settings import load_settings
from tasks import prefect_tasks


@flow(name="index-corpus", log_prints=True)
def index_corpus(profile: str = "demo", overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    settings = load_settings(profile, overrides)
    report = prefect_tasks.index_corpus(settings)
    print(
        f"collection '{report['collection']}': {report['documents']} documents, "
        f"{report['embedded']} embedded, {report['unchanged']} unchanged, "
        f"{report['deleted']} deleted "
        f"({report['seconds']['total']:.1f} s)"
    )
    return report
