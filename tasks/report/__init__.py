"""Everything a person reads about runs: text and Markdown tables, PNG plots, the HTML report.

`tables` is the one table formatter and its number formats; `metrics_table` renders one run's
metrics (headline, table, diagnostics), `comparison` a comparison of two runs and its gates;
`progress` the done/total/rate/ETA lines of long work; `figure`, `plots` and `trend` draw the
PNGs; `html` puts a run's numbers, plots and comparison into one self-contained page.
"""

from tasks.report.comparison import comparison_markdown, comparison_rows, format_comparison
from tasks.report.figure import COLORS, png_figure
from tasks.report.html import render_report, write_report
from tasks.report.metrics_table import (
    diagnostic_lines,
    format_table,
    headline,
    headline_lines,
    metric_rows,
    table_rows,
)
from tasks.report.plots import (
    plot_headroom,
    plot_recall_curves,
    read_metrics,
    recall_curve_data,
    run_setting,
)
from tasks.report.tables import fmt_amount, fmt_number, markdown_table, text_table
from tasks.report.trend import latest_runs, plot_trend, trend_data, trend_metric

__all__ = [
    "COLORS",
    "comparison_markdown",
    "comparison_rows",
    "diagnostic_lines",
    "fmt_amount",
    "fmt_number",
    "format_comparison",
    "format_table",
    "headline",
    "headline_lines",
    "latest_runs",
    "markdown_table",
    "metric_rows",
    "plot_headroom",
    "plot_recall_curves",
    "plot_trend",
    "png_figure",
    "read_metrics",
    "recall_curve_data",
    "render_report",
    "run_setting",
    "table_rows",
    "text_table",
    "trend_data",
    "trend_metric",
    "write_report",
]
