"""Score (query, document) pairs with a sequence-classification cross-encoder, fast.

What it does that FlagReranker.compute_score does not (the benchmark measures the difference):
- one batched fast-tokenizer call for all pairs (compute_score re-tokenizes pair by pair under
  Transformers 5), with the same truncation: queries to 3/4 of max_length, then only the
  document;
- batches of pairs of similar length under a token budget, so short pairs go many to a batch
  and padding stays small; on CUDA the budget is sized from the device's free memory (capped),
  on the CPU it is small (CPU_BATCH_TOKENS), so a batch's activations stay near the caches;
- the next batch is padded (and pinned) on a thread while the device runs the current one, and
  scores stay on the device until the end: one synchronisation per call;
- a batch that runs out of device memory is split in half and retried (down to one pair),
  instead of probing the first batch twice;
- inference mode, fp16 on CUDA unless told otherwise.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

# A batch of this many padded tokens already keeps a GPU busy: larger ones buy few launches and
# make an out-of-memory retry costlier. (Not measured on a GPU yet: no device was lent.)
MAX_AUTO_TOKENS = 65_536
# On the CPU, padded tokens a batch (unless batch_size x max_length is smaller). Larger batches
# buy nothing there and spill the caches: in benchmarks/rerank_throughput.py's model (4-layer
# BERT, ~300-token pairs, one thread) 64-pair batches took 1.48x the CPU time of 16-pair ones,
# 32-pair ones 1.19x; batch_size x max_length (16,384) made 39-61-pair batches and lost to
# compute_score's 32 (benchmarks/README.md).
CPU_BATCH_TOKENS = 4096
# Share of the device's free memory one batch's activations may take; the rest is allocator
# slack, the next batch's copy and whatever else shares the device.
AUTO_MEMORY_FRACTION = 0.5


def activation_bytes_per_token(config: Any, dtype_bytes: int, max_length: int) -> int:
    """Peak activation bytes per padded token of an encoder forward under inference mode.

    One layer's activations are alive at a time: about 8 hidden-size vectors (q, k, v, attention
    output, residual, norm), the feed-forward's intermediate vector, and eager attention's
    scores and probabilities (2 x heads x sequence length).
    """
    hidden = int(config.hidden_size)
    intermediate = int(getattr(config, "intermediate_size", None) or 4 * hidden)
    heads = int(config.num_attention_heads)
    return dtype_bytes * (8 * hidden + intermediate + 2 * heads * max_length)


def auto_token_budget(free_bytes: int, bytes_per_token: int, max_length: int) -> int:
    """Padded tokens a batch may hold: a share of free memory, at least one full-length pair."""
    fits = int(AUTO_MEMORY_FRACTION * free_bytes / max(1, bytes_per_token))
    return max(max_length, min(MAX_AUTO_TOKENS, fits))


def resolve_dtype(requested: str, device: str) -> str:
    """`auto`: fp16 on CUDA (what FlagEmbedding's use_fp16 runs), fp32 elsewhere; else as
    given (settings admit float32, float16 and bfloat16)."""
    if requested != "auto":
        return requested
    return "float16" if device.startswith("cuda") else "float32"


@dataclass
class Encoded:
    """Token ids per pair, unpadded, and token type ids where the model takes them."""

    input_ids: list[list[int]]
    token_type_ids: list[list[int]] | None


def plan_batches(lengths: Sequence[int], max_tokens: int) -> list[np.ndarray]:
    """Pair indices, longest first, grouped so each batch's padded size stays in budget."""
    order = np.argsort(-np.asarray(lengths), kind="stable")
    batches: list[np.ndarray] = []
    start = 0
    while start < len(order):
        longest = lengths[order[start]]
        size = max(1, max_tokens // max(1, longest))  # the first pair is the longest
        batches.append(order[start : start + size])
        start += size
    return batches


class PairScorer:
    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        *,
        device: str,
        dtype: str = "auto",
        batch_size: int = 32,
        max_length: int = 512,
        query_max_length: int | None = None,
        max_tokens: int | None = None,
    ) -> None:
        """`max_tokens`: padded tokens a batch; None: on CUDA sized from free memory (once the
        weights are there), else batch_size x max_length up to CPU_BATCH_TOKENS."""
        import torch

        self.device = torch.device(device)
        self.dtype = getattr(torch, resolve_dtype(dtype, device))
        self.model = model.to(self.device, dtype=self.dtype).eval()
        self.tokenizer = tokenizer
        self.max_length = max_length
        self.query_max_length = query_max_length or max_length * 3 // 4
        if max_tokens is None and self.device.type == "cuda":
            free, _ = torch.cuda.mem_get_info(self.device)
            itemsize = torch.tensor([], dtype=self.dtype).element_size()
            per_token = activation_bytes_per_token(model.config, itemsize, max_length)
            max_tokens = auto_token_budget(free, per_token, max_length)
        self.max_tokens = max_tokens or min(batch_size * max_length, CPU_BATCH_TOKENS)
        self._pin = self.device.type == "cuda"
        self._types = "token_type_ids" in getattr(tokenizer, "model_input_names", [])

    # ----------------------------------------------------------------------- tokenizing

    def _short_queries(self, queries: Sequence[str]) -> list[str]:
        """Queries over query_max_length tokens cut to it (rare; compute_score does the same)."""
        unique = list(dict.fromkeys(queries))
        ids = self.tokenizer(unique, add_special_tokens=False)["input_ids"]
        cut = {
            q: self.tokenizer.decode(i[: self.query_max_length])
            for q, i in zip(unique, ids, strict=True)
            if len(i) > self.query_max_length
        }
        return [cut.get(q, q) for q in queries]

    def encode(self, pairs: Sequence[tuple[str, str]]) -> Encoded:
        queries = self._short_queries([q for q, _ in pairs])
        out = self.tokenizer(
            queries,
            [d for _, d in pairs],
            truncation="only_second",
            max_length=self.max_length,
            padding=False,
            return_attention_mask=False,
            return_token_type_ids=self._types,
        )
        return Encoded(out["input_ids"], out.get("token_type_ids") if self._types else None)

    # ----------------------------------------------------------------------- batches

    def _collate(self, enc: Encoded, index: np.ndarray) -> dict[str, Any]:
        import torch

        rows = [enc.input_ids[i] for i in index]
        width = max(len(r) for r in rows)
        pad = self.tokenizer.pad_token_id or 0
        ids = np.full((len(rows), width), pad, dtype=np.int64)
        mask = np.zeros((len(rows), width), dtype=np.int64)
        types = np.zeros((len(rows), width), dtype=np.int64) if enc.token_type_ids else None
        for j, i in enumerate(index):
            n = len(enc.input_ids[i])
            ids[j, :n] = enc.input_ids[i]
            mask[j, :n] = 1
            if types is not None and enc.token_type_ids is not None:
                types[j, :n] = enc.token_type_ids[i]
        batch = {"input_ids": ids, "attention_mask": mask}
        if types is not None:
            batch["token_type_ids"] = types
        tensors = {k: torch.from_numpy(v) for k, v in batch.items()}
        if self._pin:
            tensors = {k: v.pin_memory() for k, v in tensors.items()}
        return tensors

    def _forward(self, tensors: dict[str, Any]) -> Any:
        moved = {k: v.to(self.device, non_blocking=True) for k, v in tensors.items()}
        return self.model(**moved, return_dict=True).logits.view(-1).float()

    def _run(self, enc: Encoded, index: np.ndarray, tensors: dict[str, Any]) -> list[Any]:
        """Scores of one batch; on out-of-memory, its two halves one after the other."""
        import torch

        try:
            return [self._forward(tensors)]
        except torch.cuda.OutOfMemoryError:
            if len(index) == 1:
                raise
        # Outside the except block: its traceback would keep the failed pass's memory alive.
        del tensors
        if self.device.type == "cuda":
            torch.cuda.empty_cache()
        half = len(index) // 2
        return [
            *self._run(enc, index[:half], self._collate(enc, index[:half])),
            *self._run(enc, index[half:], self._collate(enc, index[half:])),
        ]

    def _batches(self, enc: Encoded) -> Iterator[tuple[np.ndarray, dict[str, Any]]]:
        """Each planned batch with its tensors, the next one padded while this one runs."""
        lengths = [len(r) for r in enc.input_ids]
        plan = plan_batches(lengths, self.max_tokens)
        with ThreadPoolExecutor(1, thread_name_prefix="collate") as pool:
            pending = pool.submit(self._collate, enc, plan[0])
            for k, index in enumerate(plan):
                tensors = pending.result()
                if k + 1 < len(plan):
                    pending = pool.submit(self._collate, enc, plan[k + 1])
                yield index, tensors

    def score(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        """One raw logit per pair, in input order."""
        import torch

        if not pairs:
            return np.empty(0)
        enc = self.encode(pairs)
        order: list[np.ndarray] = []
        outputs: list[Any] = []
        with torch.inference_mode():
            for index, tensors in self._batches(enc):
                parts = self._run(enc, index, tensors)
                order.append(index)
                outputs.extend(parts)
            flat = torch.cat(outputs).cpu().numpy().astype(np.float64)  # one sync
        scores = np.empty(len(pairs))
        scores[np.concatenate(order)] = flat
        return scores
