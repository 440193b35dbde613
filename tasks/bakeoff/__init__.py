"""A bake-off: several rerankers over one retrieval, side by side on quality, latency and cost.

Each column is a normal run under `run_date=.../run_id=...` (candidates, reranked, calls,
metrics.json, manifest), so `eval`, `compare` and `costs` work on it; its manifest's
`shared_retrieval` names the bake-off's retrieval directory, which `runstore.hits_dir` reads
instead of a copy of the hits. The table reuses the project's own definitions: quality from
`metrics.evaluate_run`, deltas and p-values from `compare.compare_runs`, cost from
`costs.run_costs`; only latency, throughput and the break-even volume are computed here.

`specs` (the columns, the metric, each column's settings), `manifest` (the bake-off's directory
and bakeoff.json), `measure` (one column's numbers), `table` (the table: tests, best,
break-even), `render` (the table as text and markdown); `report` (the plot and HTML page) is
imported on its own, so that reading a bake-off does not load matplotlib.
"""

from tasks.bakeoff.manifest import (
    BAKEOFF_FILE,
    BAKEOFFS_DIR,
    PLOT_FILE,
    REASON_CHARS,
    REPORT_FILE,
    RETRIEVAL_DIR,
    TABLE_FILE,
    bakeoff_dir,
    find_bakeoff,
    retrieval_ref,
    shorten,
    start_manifest,
)
from tasks.bakeoff.measure import column_cost, column_metrics, usage
from tasks.bakeoff.render import format_markdown, format_table, notes, table_rows
from tasks.bakeoff.specs import (
    BASELINE,
    DEFAULT_ALPHA,
    DEFAULT_METRIC,
    RerankerSpec,
    column_settings,
    parse_metric,
    parse_spec,
    parse_specs,
)
from tasks.bakeoff.table import best_columns, break_even, build_table

__all__ = [
    "BAKEOFFS_DIR",
    "BAKEOFF_FILE",
    "BASELINE",
    "DEFAULT_ALPHA",
    "DEFAULT_METRIC",
    "PLOT_FILE",
    "REASON_CHARS",
    "REPORT_FILE",
    "RETRIEVAL_DIR",
    "TABLE_FILE",
    "RerankerSpec",
    "bakeoff_dir",
    "best_columns",
    "break_even",
    "build_table",
    "column_cost",
    "column_metrics",
    "column_settings",
    "find_bakeoff",
    "format_markdown",
    "format_table",
    "notes",
    "parse_metric",
    "parse_spec",
    "parse_specs",
    "retrieval_ref",
    "shorten",
    "start_manifest",
    "table_rows",
    "usage",
]
