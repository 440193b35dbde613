"""The lookup key of a question: the same at precompute and at lookup."""

from __future__ import annotations

import re
import unicodedata

# Sentence-final . ? ! (ASCII, full-width, ideographic full stop) and whitespace around them.
_TRAILING_PUNCTUATION = re.compile(r"[\s.?!\uff0e\uff1f\uff01\u3002]+$")


def normalize_query(text: str) -> str:
    """The lookup key, used at precompute and at lookup alike: NFKC, casefolded, whitespace
    collapsed and stripped, and trailing sentence punctuation dropped (`.`, `?`, `!`, their
    full-width forms and the ideographic full stop `。`, with the whitespace around them), so
    "How do I export to PDF" finds "how do i export to pdf?". Punctuation inside is kept.

    NFKC runs again after casefold because folding can leave a string that is not NFKC.
    Changing this function changes stored keys: `inputs_hash` covers the key, so the next
    precompute recomputes the questions whose key changed (their old rows are replaced).
    """
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    return _TRAILING_PUNCTUATION.sub("", " ".join(folded.split()))
