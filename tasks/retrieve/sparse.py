"""Sparse vectors for hybrid queries, made the way the collection's were: the one place each
convention is defined, for the query side (a run) and the document side (whoever builds the
collection, e.g. data/make_existing_collection.py --sparse bm25).

bm25     index = CRC-32 of each token of tasks.index.lexical.tokenize (bm25s: lowercase,
         English stopwords, Snowball stemmer), so no vocabulary has to be shared. A document
         holds each token's BM25 term-frequency part tf / (tf + k1 (1 - b + b len/avg_len));
         the collection's sparse vector has Modifier.IDF, so Qdrant supplies
         idf = ln(1 + (N - df + 0.5) / (df + 0.5)) from the collection itself; a query holds
         1.0 per distinct token. The sparse score is then BM25 as bm25s ("lucene") computes it.
bge-m3   index = the model's token id, value = its lexical weight (BGEM3FlagModel.encode,
         return_sparse=True), for queries and documents alike; no modifier (the weights are
         already learned term importances): the score is BGE-M3's lexical matching score.
"""

from __future__ import annotations

import zlib
from collections import Counter
from collections.abc import Mapping, Sequence

from qdrant_client import models

from tasks.index import lexical

# bm25s' defaults, so the sparse score equals the project's bm25 (tasks.index.lexical).
BM25_K1 = 1.5
BM25_B = 0.75


def token_index(token: str) -> int:
    """A token's sparse index: CRC-32 of its UTF-8 bytes (unsigned 32-bit, as Qdrant's indices
    are), available in any language a collection builder may use."""
    return zlib.crc32(token.encode("utf-8"))


def _indexed(weights: Mapping[int, float]) -> models.SparseVector:
    indices = sorted(weights)
    return models.SparseVector(indices=indices, values=[float(weights[i]) for i in indices])


def _token_counts(tokens: Sequence[str]) -> Counter[int]:
    # Two tokens hashing to one index count as one term (Qdrant refuses repeated indices).
    return Counter(token_index(t) for t in tokens)


def bm25_query_vectors(texts: Sequence[str]) -> list[models.SparseVector]:
    """1.0 per distinct token: with Modifier.IDF each matching term adds its IDF times the
    document's term-frequency part."""
    return [
        _indexed(dict.fromkeys(_token_counts(tokens), 1.0)) for tokens in lexical.tokenize(texts)
    ]


def bm25_document_vectors(
    texts: Sequence[str], avg_len: float | None = None, k1: float = BM25_K1, b: float = BM25_B
) -> list[models.SparseVector]:
    """Each document's BM25 term-frequency parts; avg_len is the corpus's mean token count
    (default: these texts', right when they are the whole corpus)."""
    tokenized = lexical.tokenize(texts)
    if avg_len is None:
        avg_len = sum(map(len, tokenized)) / max(len(tokenized), 1)
    out = []
    for tokens in tokenized:
        norm = k1 * (1 - b + b * len(tokens) / avg_len) if avg_len else k1
        out.append(_indexed({i: tf / (tf + norm) for i, tf in _token_counts(tokens).items()}))
    return out


def bm25_indices(text: str) -> set[int]:
    """The indices a bm25 document vector of this text holds (for checking a collection)."""
    return set(_token_counts(lexical.tokenize([text])[0]))


def lexical_weights_vector(weights: Mapping[str | int, float]) -> models.SparseVector:
    """BGE-M3's lexical weights ({token id: weight}, ids as strings) as a sparse vector."""
    return _indexed({int(token): float(w) for token, w in weights.items()})
