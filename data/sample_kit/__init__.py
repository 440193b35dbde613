"""Sample-data kit behind ``data/make_sample.py``: builder types, topic content, labels, output.

Not part of the installed package; ``data/make_sample.py`` imports it from its own folder.
"""

from __future__ import annotations

from .corpus import ALT, Corpus, Doc, Label
from .dataset import SEED, build, validate, write_jsonl
from .labels import LABELS
from .topics import FAMILIES

__all__ = [
    "ALT",
    "FAMILIES",
    "LABELS",
    "SEED",
    "Corpus",
    "Doc",
    "Label",
    "build",
    "validate",
    "write_jsonl",
]
