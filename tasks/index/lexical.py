"""BM25 statistics (bm25s): over the corpus, built at index time and read by the bm25 reranker;
or, for a collection rerankflow did not index, over one query's own candidates."""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from tasks.runs import storage

_DOC_IDS = "doc_ids.json"


@functools.cache
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


def tokenize(texts: Sequence[str]) -> list[list[str]]:
    import bm25s

    return bm25s.tokenize(
        list(texts), stopwords="en", stemmer=_stemmer(), return_ids=False, show_progress=False
    )


def build(doc_ids: Sequence[str], texts: Sequence[str], out_dir: Path) -> None:
    """Index the corpus and save it; written beside, then swapped in, so readers never see half."""
    import bm25s

    retriever = bm25s.BM25()
    retriever.index(
        bm25s.tokenize(list(texts), stopwords="en", stemmer=_stemmer(), show_progress=False),
        show_progress=False,
    )
    with storage.atomic_path(out_dir) as tmp:
        retriever.save(str(tmp), show_progress=False)
        (tmp / _DOC_IDS).write_text(json.dumps(list(doc_ids)), encoding="utf-8")
    load.cache_clear()


class LexicalIndex:
    def __init__(self, retriever, doc_ids: list[str]) -> None:
        self._retriever = retriever
        self._row = {d: i for i, d in enumerate(doc_ids)}

    def scores(self, query: str, doc_ids: Sequence[str]) -> np.ndarray:
        """BM25 score of each named document for the query (0 for unknown documents)."""
        all_scores = self._retriever.get_scores(tokenize([query])[0])
        rows = [self._row.get(d, -1) for d in doc_ids]
        return np.array([all_scores[r] if r >= 0 else 0.0 for r in rows], dtype=np.float64)


def candidate_scores(query: str, texts: Sequence[str]) -> np.ndarray:
    """BM25 score of each text for the query, with statistics (IDF, average length) from these
    texts alone: no corpus file or scroll needed, and a query's scores do not depend on which
    other queries share its batch."""
    import bm25s

    tokens = tokenize(texts)
    if not any(tokens):  # no candidates, or only stopwords: nothing to score lexically
        return np.zeros(len(texts), dtype=np.float64)
    retriever = bm25s.BM25()
    retriever.index(tokens, show_progress=False)
    return np.asarray(retriever.get_scores(tokenize([query])[0]), dtype=np.float64)


@functools.cache
def load(index_dir: Path) -> LexicalIndex:
    import bm25s

    if not (index_dir / _DOC_IDS).exists():
        raise FileNotFoundError(
            f"{index_dir}: no BM25 index; run `rerankflow index` with this profile first"
        )
    retriever = bm25s.BM25.load(str(index_dir), show_progress=False)
    doc_ids = json.loads((index_dir / _DOC_IDS).read_text(encoding="utf-8"))
    return LexicalIndex(retriever, doc_ids)
