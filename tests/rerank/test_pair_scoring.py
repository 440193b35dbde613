"""PairScorer gives FlagReranker.compute_score's scores, in input order, under any batching."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tasks.rerank.pair_scoring import (
    CPU_BATCH_TOKENS,
    MAX_AUTO_TOKENS,
    PairScorer,
    activation_bytes_per_token,
    auto_token_budget,
    plan_batches,
)

WORDS = [
    "export",
    "pdf",
    "markdown",
    "sso",
    "login",
    "billing",
    "invoice",
    "team",
    "seat",
    "plan",
    "upgrade",
    "api",
]


def pairs(n: int, seed: int = 0) -> list[tuple[str, str]]:
    rng = np.random.default_rng(seed)
    queries = [" ".join(rng.choice(WORDS, size=rng.integers(2, 6))) for _ in range(3)]
    # Documents from 1 to ~90 words: several batch shapes and some truncation at max_length 64.
    return [
        (queries[i % 3], " ".join(rng.choice(WORDS, size=int(rng.integers(1, 90)))))
        for i in range(n)
    ]


@pytest.fixture(scope="module")
def flag(tiny_cross_encoder):
    from FlagEmbedding import FlagReranker

    return FlagReranker(str(tiny_cross_encoder), use_fp16=False, devices=["cpu"])


def scorer(flag, **kw) -> PairScorer:
    return PairScorer(flag.model, flag.tokenizer, device="cpu", **kw)


@pytest.mark.parametrize("max_length,batch_size", [(512, 8), (64, 4), (64, 1)])
def test_same_scores_as_compute_score(flag, max_length, batch_size):
    data = pairs(41)
    want = flag.compute_score(data, batch_size=batch_size, max_length=max_length)
    got = scorer(flag, batch_size=batch_size, max_length=max_length).score(data)
    np.testing.assert_allclose(got, want, atol=1e-5)


def test_long_query_is_cut_like_compute_score(flag):
    long_query = " ".join(WORDS * 8)  # over 3/4 of max_length on its own
    data = [(long_query, "pdf export for the team plan"), ("short", "pdf export")]
    want = flag.compute_score(data, max_length=64)
    got = scorer(flag, max_length=64).score(data)
    np.testing.assert_allclose(got, want, atol=1e-5)


def test_plan_batches_keeps_the_padded_budget():
    lengths = [5, 300, 40, 40, 299, 7, 120]
    batches = plan_batches(lengths, max_tokens=600)
    assert sorted(np.concatenate(batches).tolist()) == list(range(len(lengths)))
    for b in batches:
        assert len(b) == 1 or len(b) * max(lengths[i] for i in b) <= 600
    # Longest first: the 300-token pairs share a batch, the short ones fill large batches.
    assert sorted(batches[0].tolist()) == [1, 4]


class RunsOutOfMemory(torch.nn.Module):
    """The real model behind a device-memory ceiling (no GPU here): batches over `rows` raise
    the error CUDA would, and are counted."""

    def __init__(self, model: torch.nn.Module, rows: int) -> None:
        super().__init__()
        self.inner, self.rows, self.refused = model, rows, 0

    def forward(self, **inputs):
        if inputs["input_ids"].shape[0] > self.rows:
            self.refused += 1
            raise torch.cuda.OutOfMemoryError("CUDA out of memory (simulated ceiling)")
        return self.inner(**inputs)


def test_out_of_memory_halves_the_batch_and_keeps_every_score(flag):
    data = pairs(40, seed=3)
    want = scorer(flag, batch_size=64, max_length=128).score(data)
    limited = RunsOutOfMemory(flag.model, rows=5)
    s = PairScorer(limited, flag.tokenizer, device="cpu", batch_size=64, max_length=128)
    got = s.score(data)
    np.testing.assert_allclose(got, want, atol=1e-5)
    assert limited.refused > 0
    single = PairScorer(
        RunsOutOfMemory(flag.model, rows=0), flag.tokenizer, device="cpu", max_length=128
    )
    with pytest.raises(torch.cuda.OutOfMemoryError):
        single.score(data[:3])


def test_flag_backend_keeps_the_model_where_the_scorer_put_it(tiny_cross_encoder, monkeypatch):
    """FlagReranker's __del__ moves its model to the CPU: the backend must keep it alive, or
    on CUDA the weights would leave the device the inputs go to."""
    import gc

    from tasks.rerank.flag import FlagRerankerBackend

    moves: list[tuple[int, tuple, dict]] = []
    real_to = torch.nn.Module.to

    def spy(self, *args, **kwargs):
        moves.append((id(self), args, kwargs))
        return real_to(self, *args, **kwargs)

    monkeypatch.setattr(torch.nn.Module, "to", spy)
    backend = FlagRerankerBackend(
        str(tiny_cross_encoder), batch_size=4, max_length=64, device="cpu"
    )
    gc.collect()
    model_moves = [(a, k) for i, a, k in moves if i == id(backend.scorer.model)]
    assert model_moves and "dtype" in model_moves[-1][1]  # the scorer's move is the last


def test_token_budget_from_free_memory():
    from transformers import XLMRobertaConfig

    # bge-reranker-v2-m3's shape: hidden 1024, feed-forward 4096, 16 heads; fp16, 512 tokens.
    config = XLMRobertaConfig(hidden_size=1024, intermediate_size=4096, num_attention_heads=16)
    per_token = activation_bytes_per_token(config, 2, 512)
    assert per_token == 2 * (8 * 1024 + 4096 + 2 * 16 * 512)
    assert auto_token_budget(130 * 2**30, per_token, 512) == MAX_AUTO_TOKENS  # an H200: capped
    assert auto_token_budget(2**30, per_token, 512) == 2**29 // per_token  # half of 1 GiB
    assert auto_token_budget(2**20, per_token, 512) == 512  # always one full-length pair


def test_budget_on_the_cpu_and_when_set(flag, tiny_cross_encoder):
    from config.settings import RerankerSettings
    from tasks.rerank.registry import get_reranker

    assert scorer(flag, batch_size=8, max_length=64).max_tokens == 8 * 64
    # 32 x 512 would make ~50-pair batches of 300-token pairs, slower on a CPU than ~12.
    assert scorer(flag, batch_size=32, max_length=512).max_tokens == CPU_BATCH_TOKENS
    data = pairs(41)
    small = scorer(flag, max_length=64, max_tokens=64)  # one longest pair a batch
    np.testing.assert_allclose(
        small.score(data), scorer(flag, max_length=64).score(data), atol=1e-5
    )
    settings = RerankerSettings(
        backend="flag", model=str(tiny_cross_encoder), device="cpu", batch_tokens=1024
    )
    assert get_reranker(settings, None).scorer.max_tokens == 1024
