"""What every HTML page shares: the Jinja environment over `templates/` and inlined images."""

from __future__ import annotations

import base64
from functools import cache

import jinja2


@cache
def environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("tasks.report", "templates"),
        autoescape=True,  # every value is text unless explicitly marked safe
        undefined=jinja2.StrictUndefined,  # a misspelt field fails the page, not blanks it
        trim_blocks=True,
        lstrip_blocks=True,
    )


def png_data_uri(png: bytes) -> str:
    """A PNG inlined in the page, so the page is one self-contained file."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")
