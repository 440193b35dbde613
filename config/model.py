"""`Settings`: the whole profile, one frozen model per section, and the checks across sections."""

from __future__ import annotations

from pathlib import Path

from pydantic import model_validator

from config.base import Frozen
from config.evaluation import CostSettings, RegressionSettings
from config.reranker import RerankerSettings
from config.retrieval import DatasetSettings, EmbedderSettings, QdrantSettings
from config.run import FaqSettings, RunSettings


class Settings(Frozen):
    profile: str = "custom"
    dataset: DatasetSettings
    # Side indexes built at index time (BM25 statistics), one folder per collection.
    index_dir: Path = Path("data/index")
    embedder: EmbedderSettings = EmbedderSettings()
    qdrant: QdrantSettings = QdrantSettings()
    reranker: RerankerSettings = RerankerSettings()
    run: RunSettings = RunSettings()
    costs: CostSettings = CostSettings()
    regression: RegressionSettings = RegressionSettings()
    faq: FaqSettings = FaqSettings()

    @model_validator(mode="after")
    def _corpus_or_existing(self) -> Settings:
        if self.qdrant.existing and self.dataset.corpus is not None:
            raise ValueError(
                "dataset.corpus is not used with qdrant.existing (the texts come from the "
                "collection, which rerankflow never writes): remove it"
            )
        if not self.qdrant.existing and self.dataset.corpus is None:
            raise ValueError(
                "dataset.corpus is required (the file `rerankflow index` embeds), unless "
                "qdrant.existing is true (a collection rerankflow did not create)"
            )
        return self

    @model_validator(mode="after")
    def _top_n_covers_top_k(self) -> Settings:
        top_n = self.reranker.cohere.top_n
        if self.reranker.backend == "cohere" and top_n is not None and top_n < self.run.top_k:
            raise ValueError(
                f"reranker.cohere.top_n ({top_n}) must be at least run.top_k ({self.run.top_k})"
            )
        return self

    @model_validator(mode="after")
    def _remote_retrieval_needs_a_server(self) -> Settings:
        if self.run.retrieve_deployment and not self.qdrant.url:
            raise ValueError(
                "run.retrieve_deployment sends retrieval to other workers, which need a Qdrant "
                "server (the embedded store at qdrant.path admits one process): set qdrant.url "
                "or unset run.retrieve_deployment"
            )
        return self
