"""Document embedding speed and retrieval parity: PyTorch vs ONNX Runtime (fp32, int8) on SciFact.

The default embedder (packaged all-MiniLM-L6-v2) embeds SciFact's documents as `rerankflow
index` does (title + text, batch 64, length-sorted batches, max 256 tokens) with three engines:

- `pytorch`: the project's `embed_documents` / `embed_queries` (sentence-transformers on torch);
- `onnx-fp32`: the same model exported once with `torch.onnx.export` (transformer, mean pooling
  and normalisation in one graph), run by ONNX Runtime's CPU provider;
- `onnx-int8`: that graph with its MatMul weights quantized to int8, per channel
  (`onnxruntime.quantization.quantize_dynamic`, activations quantized at run time).

sentence-transformers' own `backend="onnx"` cannot be used here: it needs optimum-onnx, whose
only release (0.1.0) requires transformers < 4.58, while sentence-transformers 6 requires >= 5
(with both forced in, `import optimum.onnxruntime` fails on transformers 5). Its engine is the
same ONNX Runtime, so these figures stand for it.

The corpus is cut into chunks; each chunk is embedded by all three engines in a rotating order
(interleaved, so a load change on the shared machine hits all three alike), and each engine's
docs/s per chunk gives the ratio to PyTorch on the same documents. With the whole corpus
(the default), the test queries are embedded by each engine too and retrieval is scored by
brute-force cosine with pytrec_eval: nDCG@10 and Recall@100, and the deltas to PyTorch.

    .venv/bin/python benchmarks/embed_speed.py [--docs N] [--chunk 256] [--engines ...]

Needs `onnxruntime` and `onnx` (torch.onnx.export's TorchScript exporter writes with it).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
SCIFACT = REPO.parent / "shared" / "datasets" / "scifact"
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
ENGINES = ("pytorch", "onnx-fp32", "onnx-int8")
PARITY = 0.002  # the criterion: within this of PyTorch's nDCG@10 and Recall@100


def export_onnx(model, out: Path) -> None:
    """The whole sentence-transformers pipeline (transformer, pooling, normalise) as one graph."""
    import torch

    class Pipeline(torch.nn.Module):
        def __init__(self, st) -> None:
            super().__init__()
            self.st = st

        def forward(self, input_ids, attention_mask, token_type_ids):
            features = {
                "input_ids": input_ids,
                "attention_mask": attention_mask,
                "token_type_ids": token_type_ids,
            }
            return self.st(features)["sentence_embedding"]

    sample = model.tokenize(["a short one", "and a somewhat longer second text"])
    axes = {name: {0: "batch", 1: "tokens"} for name in INPUTS}
    with torch.no_grad():
        torch.onnx.export(
            Pipeline(model).eval(),
            tuple(sample[name] for name in INPUTS),
            str(out),
            input_names=list(INPUTS),
            output_names=["sentence_embedding"],
            dynamic_axes={**axes, "sentence_embedding": {0: "batch"}},
            opset_version=17,
            dynamo=False,  # the dynamo exporter needs onnxscript; this one needs only onnx
        )


def quantize_int8(fp32: Path, out: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # Per-tensor int8 weights cost too much here (cosine to fp32 ~0.93); per channel ~0.995.
    quantize_dynamic(
        str(fp32),
        str(out),
        weight_type=QuantType.QInt8,
        per_channel=True,
        op_types_to_quantize=["MatMul"],
    )


def onnx_encoder(path: Path, model, batch_size: int, threads: int) -> Callable:
    """Encode as SentenceTransformer.encode does: longest texts first, batches, original order."""
    import numpy as np
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    def encode(texts: Sequence[str]) -> np.ndarray:
        order = np.argsort([-len(t) for t in texts], kind="stable")
        out = np.empty((len(texts), model.get_embedding_dimension()), dtype=np.float32)
        for start in range(0, len(texts), batch_size):
            idx = order[start : start + batch_size]
            enc = model.tokenize([texts[i] for i in idx])
            feed = {name: enc[name].numpy().astype(np.int64) for name in INPUTS}
            vectors = session.run(None, feed)[0]
            # int8 drifts off unit length; cosine = dot product needs it back on.
            out[idx] = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
        return out

    return encode


def load() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"


def print_rates(rates: dict[str, list[float]], names: list[str]) -> None:
    print(f"\n{'engine':<10} {'docs/s median (min-max)':>26} {'x pytorch (min-max)':>22}")
    for name in names:
        ratios = [r / p for r, p in zip(rates[name], rates["pytorch"], strict=True)]
        print(f"{name:<10} {spread(rates[name]):>26} {spread(ratios):>22}")


def scores(doc_vecs, doc_ids, query_vecs, query_ids, qrels) -> dict[str, float]:
    import numpy as np
    import pytrec_eval

    sims = query_vecs @ doc_vecs.T
    top = np.argsort(-sims, axis=1, kind="stable")[:, :100]
    run = {qid: {doc_ids[j]: float(sims[i, j]) for j in top[i]} for i, qid in enumerate(query_ids)}
    evaluator = pytrec_eval.RelevanceEvaluator(qrels, {"ndcg_cut.10", "recall.100"})
    per_query = evaluator.evaluate(run)
    return {
        "nDCG@10": float(np.mean([per_query[q]["ndcg_cut_10"] for q in qrels])),
        "Recall@100": float(np.mean([per_query[q]["recall_100"] for q in qrels])),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=0, help="first N documents (0 = all)")
    parser.add_argument(
        "--chunk", type=int, default=256, help="documents per timed chunk (index embeds 256 a call)"
    )
    parser.add_argument("--threads", type=int, default=0, help="0 = torch's default")
    parser.add_argument(
        "--engines", default=",".join(ENGINES), help="comma-separated, pytorch first"
    )
    parser.add_argument(
        "--cache", type=Path, help="keep each chunk's vectors here; a rerun skips (not times) them"
    )
    args = parser.parse_args()
    if not SCIFACT.exists():
        sys.exit(f"{SCIFACT} not found: the benchmark needs ../shared/datasets/scifact")

    import numpy as np
    import torch

    from config.settings import EmbedderSettings
    from tasks import embed
    from tasks.embed import sentence_transformer
    from tasks.inputs.loaders import load_corpus, load_qrels, load_queries

    if args.threads:
        torch.set_num_threads(args.threads)
    threads = torch.get_num_threads()
    settings = EmbedderSettings()
    model = sentence_transformer.load_model(settings.model, settings.device)
    docs = load_corpus(SCIFACT / "corpus.jsonl")
    whole = not args.docs or args.docs >= len(docs)
    docs = docs if whole else docs[: args.docs]
    texts = [d.full_text for d in docs]

    tmp = Path(tempfile.mkdtemp(prefix="rerankflow-onnx-"))
    t0 = time.perf_counter()
    export_onnx(model, tmp / "model.onnx")
    t1 = time.perf_counter()
    quantize_int8(tmp / "model.onnx", tmp / "model_int8.onnx")
    t2 = time.perf_counter()
    engines: dict[str, Callable] = {
        "pytorch": lambda batch: embed.embed_documents(batch, settings),
        "onnx-fp32": onnx_encoder(tmp / "model.onnx", model, settings.batch_size, threads),
        "onnx-int8": onnx_encoder(tmp / "model_int8.onnx", model, settings.batch_size, threads),
    }
    names = args.engines.split(",")
    if names[0] != "pytorch" or not set(names) <= set(ENGINES):
        sys.exit(f"--engines: pytorch first, then any of {ENGINES}")
    print(f"start: {load()}")
    print(
        f"{len(docs)} SciFact documents in chunks of {args.chunk}, batch {settings.batch_size}, "
        f"{threads} torch / ONNX Runtime intra-op threads, {os.cpu_count()} CPUs; "
        f"export {t1 - t0:.1f} s, int8 quantization {t2 - t1:.1f} s"
    )
    for name in names[1:]:  # warm-up outside the timings (first-run allocations)
        engines[name](texts[:8])
    engines["pytorch"](texts[:8])

    vectors = {name: np.empty((len(texts), 384), dtype=np.float32) for name in names}
    rates: dict[str, list[float]] = {name: [] for name in names}
    for n, start in enumerate(range(0, len(texts), args.chunk)):
        chunk = texts[start : start + args.chunk]
        rotated = names[n % len(names) :] + names[: n % len(names)]  # who goes first
        cache = args.cache or Path()
        cached = {name: cache / f"{name}-{n:04d}-{len(chunk)}.npy" for name in names}
        if args.cache and all(f.exists() for f in cached.values()):
            for name in names:
                vectors[name][start : start + len(chunk)] = np.load(cached[name])
            continue
        for name in rotated:
            t = time.perf_counter()
            vectors[name][start : start + len(chunk)] = engines[name](chunk)
            rates[name].append(len(chunk) / (time.perf_counter() - t))
        if args.cache:
            args.cache.mkdir(parents=True, exist_ok=True)
            for name in names:  # whole files only: a killed run leaves no half chunk
                part = cached[name].with_suffix(".part.npy")
                np.save(part, vectors[name][start : start + len(chunk)])
                part.replace(cached[name])
        print(f"chunk {n}: " + ", ".join(f"{k} {rates[k][-1]:.2f}" for k in names), flush=True)
    print(f"end:   {load()}")

    if not rates["pytorch"]:
        print("\nevery chunk came from --cache: no timings")
    else:
        print_rates(rates, names)
    for name in names[1:]:
        cos = (vectors[name] * vectors["pytorch"]).sum(1)
        print(f"{name} cosine to pytorch: min {cos.min():.4f}, median {np.median(cos):.4f}")
    if not whole:
        print("\n(parity needs the whole corpus: run without --docs)")
        return

    qrels = load_qrels(SCIFACT / "qrels" / "test.tsv")
    queries = [q for q in load_queries(SCIFACT / "queries.jsonl") if q.qid in qrels]
    query_ids = [q.qid for q in queries]
    doc_ids = [d.doc_id for d in docs]
    print(f"\nretrieval on {len(queries)} test queries (brute-force cosine, pytrec_eval):")
    base = None
    for name in names:
        qv = (
            embed.embed_queries(queries, settings)
            if name == "pytorch"
            else engines[name]([q.text for q in queries])
        )
        got = scores(vectors[name], doc_ids, qv, query_ids, qrels)
        base = base or got
        deltas = {k: got[k] - base[k] for k in got}
        ok = all(abs(d) <= PARITY for d in deltas.values())
        print(
            f"{name:<10} "
            + "  ".join(f"{k} {got[k]:.4f} ({deltas[k]:+.4f})" for k in got)
            + ("" if name == "pytorch" else f"  parity {'yes' if ok else 'NO'}")
        )


if __name__ == "__main__":
    main()
