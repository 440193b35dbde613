"""Fixtures of the embedder tests: tiny FlagEmbedding models, and the shipped sample indexed
with the tiny BGE model through the flag backend (one per session: indexing costs seconds)."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.settings import Settings, load_settings
from tests.helpers import profile_overrides
from tests.helpers.flag_models import build_tiny_bge_m3, build_tiny_flag_model


@pytest.fixture(scope="session")
def tiny_flag_model(tmp_path_factory) -> Path:
    return build_tiny_flag_model(tmp_path_factory.mktemp("tiny-bge"))


@pytest.fixture(scope="session")
def tiny_bge_m3(tmp_path_factory) -> Path:
    return build_tiny_bge_m3(tmp_path_factory.mktemp("tiny-bge-m3"))


# BGE v1.5's query instruction, as production stacks pass it to FlagModel.
BGE_INSTRUCTION = "Represent this sentence for searching relevant passages: "


def flag_overrides(tmp: Path, model: Path, **extra) -> dict:
    return profile_overrides(
        tmp,
        **{
            "embedder.backend": "flag",
            "embedder.model": str(model),
            "embedder.query_prefix": BGE_INSTRUCTION,
            "qdrant.collection": "flag",
            **extra,
        },
    )


@pytest.fixture(scope="session")
def flag_index(tmp_path_factory, tiny_flag_model) -> Settings:
    """The sample corpus indexed with the tiny BGE model (flag backend): the run's settings."""
    from tasks.index.indexing import index_corpus

    settings = load_settings(
        "demo", flag_overrides(tmp_path_factory.mktemp("flag-index"), tiny_flag_model)
    )
    index_corpus(settings)
    return settings
