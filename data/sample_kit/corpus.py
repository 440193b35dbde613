"""Builder types: documents, labels, and the corpus that expands ``[a|b]`` alternatives."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

# ``[a|b|c]`` marks alternative phrasings; one is picked per document with the seeded RNG.
ALT = re.compile(r"\[([^\[\]]*\|[^\[\]]*)\]")


@dataclass(frozen=True, slots=True)
class Doc:
    key: str
    title: str
    text: str


@dataclass(frozen=True, slots=True)
class Label:
    query: str
    positives: tuple[str, ...]  # document keys, resolved to doc ids at write time


class Corpus:
    """Collects documents, expanding ``[a|b]`` alternatives with a seeded RNG."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.docs: list[Doc] = []
        self._keys: set[str] = set()

    def vary(self, text: str) -> str:
        return ALT.sub(lambda m: self.rng.choice(m.group(1).split("|")), text)

    def add(self, key: str, title: str, text: str) -> None:
        if key in self._keys:
            raise ValueError(f"duplicate document key {key!r}")
        self._keys.add(key)
        # The text is expanded before the title: the RNG draw order fixes the output bytes.
        body = " ".join(self.vary(text).split())
        self.docs.append(Doc(key=key, title=self.vary(title), text=body))
