"""Writing a plot: a headless matplotlib figure saved as a deterministic PNG, and the colours.

Matplotlib runs headless: figures are built as `Figure` objects on an Agg canvas, never through
pyplot, so there is no display, no global figure registry to leak, and nothing to close. Each
plot is drawn under matplotlib's default style (a user's matplotlibrc cannot change the bytes)
and saved without a "Software" stamp, so the same inputs give the same PNG. Every file is
written atomically (`tasks.runs.storage`): readers see the old plot or the new one.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager

import matplotlib.style
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from upath import UPath

from tasks.runs import storage

DPI = 100
# Okabe-Ito colours: distinguishable with the common colour-vision deficiencies.
COLORS = {"retrieval": "#0072B2", "reranked": "#D55E00", "cost": "#009E73"}


@contextmanager
def png_figure(out_path: UPath, size: tuple[float, float]) -> Iterator[Figure]:
    """A figure to draw on; saved atomically as a PNG at `out_path` when the block ends."""
    # Default style: the output must not depend on the machine's matplotlibrc.
    with matplotlib.style.context("default"):
        fig = Figure(figsize=size, dpi=DPI, layout="constrained")
        FigureCanvasAgg(fig)
        yield fig
        png = io.BytesIO()
        # No "Software" chunk: the bytes then depend on the inputs alone.
        fig.savefig(png, format="png", metadata={"Software": None})
    storage.write_bytes(out_path, png.getvalue())
