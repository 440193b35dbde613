"""`python -m flows.cli`: the same as the `rerankflow` console script."""

from flows.cli import app

app()
