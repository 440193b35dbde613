"""Pipeline speed on SciFact: indexing docs/s, per-stage queries/s, orchestration overhead.

Run it on an otherwise idle machine: the ratios hold under load, the absolute rates do not.

Ratios are against baselines measured in the same run (the machines are noisy):
- indexing throughput vs bare SentenceTransformer.encode on the same documents;
- the share of a rerank_batch flow's wall time spent outside model and Qdrant calls.

    .venv/bin/python benchmarks/pipeline_speed.py [--docs N]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
SCIFACT = REPO.parent / "shared" / "datasets" / "scifact"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--baseline-docs", type=int, default=500, help="documents for the bare-encode baseline"
    )
    args = parser.parse_args()
    if not SCIFACT.exists():
        sys.exit(f"{SCIFACT} not found: the benchmark needs ../shared/datasets/scifact")

    from prefect import flow

    from config.settings import load_settings
    from flows.index_corpus import index_corpus
    from flows.rerank_batch import rerank_batch
    from tasks import embed
    from tasks.inputs.loaders import load_corpus

    tmp = Path(tempfile.mkdtemp(prefix="rerankflow-bench-"))
    overrides = {
        "qdrant.path": str(tmp / "qdrant"),
        "index_dir": str(tmp / "index"),
        "run.runs_root": str(tmp / "runs"),
        "dataset.corpus": str(SCIFACT / "corpus.jsonl"),
        "dataset.queries": str(SCIFACT / "queries.jsonl"),
        "dataset.labels": str(SCIFACT / "qrels" / "test.tsv"),
    }
    settings = load_settings("scifact", overrides)

    @flow
    def warm_up() -> None:  # starts the temporary Prefect server outside the timings
        pass

    warm_up()
    docs = load_corpus(settings.dataset.corpus)
    import random

    # A seeded sample, so its length mix is the corpus's (documents are sorted by id, not size).
    sample = [d.full_text for d in random.Random(0).sample(docs, args.baseline_docs)]
    embed.embed_documents(sample[:8], settings.embedder)  # model load outside the timing
    t0 = time.perf_counter()
    embed.embed_documents(sample, settings.embedder)
    raw_docs_s = len(sample) / (time.perf_counter() - t0)

    t0 = time.perf_counter()
    report = index_corpus(profile="scifact", overrides=overrides)
    index_wall = time.perf_counter() - t0
    index_docs_s = report["documents"] / index_wall
    t0 = time.perf_counter()
    index_corpus(profile="scifact", overrides=overrides)
    reindex_wall = time.perf_counter() - t0

    print(f"SciFact corpus: {report['documents']} documents, {os.cpu_count()} CPU cores")
    print(f"bare encode (baseline, {len(sample)} docs): {raw_docs_s:8.1f} docs/s")
    print(
        f"index_corpus flow:                {index_docs_s:8.1f} docs/s "
        f"(ratio to bare encode {index_docs_s / raw_docs_s:.3f}; "
        f"embed {report['seconds']['embed']:.1f} s, upsert {report['seconds']['upsert']:.1f} s, "
        f"bm25 {report['seconds']['bm25']:.1f} s)"
    )
    print(f"re-index of the unchanged corpus: {reindex_wall:.2f} s (no embedding)")

    # All 1,109 queries (metrics still cover only the 300 labelled test queries): a nightly batch
    # is larger than SciFact's test split, and the flow's fixed start-up cost (~1 s) amortises.
    for backend, only_labelled in (("none", True), ("none", False), ("bm25", False)):
        over = {**overrides, "reranker.backend": backend, "dataset.only_labelled": only_labelled}
        t0 = time.perf_counter()
        result = rerank_batch(profile="scifact", overrides=over)
        wall = time.perf_counter() - t0
        n = result["manifest"]["counts"]["queries"]
        stages = result["manifest"]["seconds"]["stages"]
        evaluate_s = result["manifest"]["seconds"]["evaluate"]
        core = stages["embed"] + stages["retrieve"] + stages["rerank"]
        outside = wall - core - evaluate_s
        print(
            f"\nrerank_batch, reranker={backend}, {n} queries, wall {wall:.2f} s "
            f"({n / wall:.1f} queries/s end to end)"
        )
        for stage in ("embed", "retrieve", "rerank", "assemble"):
            secs = stages[stage]
            rate = f"{n / secs:10.1f} queries/s" if secs > 0 else "         - "
            print(f"  {stage:<9} {secs:7.3f} s  {rate}")
        print(f"  evaluate  {evaluate_s:7.3f} s  (DuckDB metrics)")
        print(
            f"  outside model, Qdrant and metrics: {outside:.3f} s = "
            f"{outside / wall:.1%} of wall (target < 10%)"
        )
        print(
            f"  nDCG@10 {result['metrics']['retrieval']['ndcg@10']:.4f} retrieval, "
            f"{result['metrics']['reranked']['ndcg@10']:.4f} reranked"
        )


if __name__ == "__main__":
    main()
