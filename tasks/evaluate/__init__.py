"""Measuring runs: IR metrics in DuckDB SQL, comparing two runs, and the gates on them.

`names` is the metric-name type (`Metric`); `sql` loads the metric SQL and builds the relations
it reads; `checks` refuses bad cutoffs, run files and labels; `metrics` scores one run;
`compared_run` and `compare` pair two runs query by query, `significance` tests the
differences and `gates` judges them. Rendering any of it is `tasks.report`.

`tasks.evaluate.regression` (the nightly baseline and verdict) is imported as its own module,
not re-exported here: it renders through `tasks.report`, which builds on this package, so
re-exporting it would make the two packages import each other.
"""

from tasks.evaluate.checks import check_ks, check_label_ids, check_run_file, check_unit_columns
from tasks.evaluate.compare import compare_runs
from tasks.evaluate.compared_run import ComparedRun, load_run
from tasks.evaluate.gates import (
    GateCheck,
    GateResult,
    evaluate_gate,
    evaluate_ops_gate,
    failed_queries_gate,
)
from tasks.evaluate.metrics import (
    CANDIDATES_FILE,
    DEFAULT_KS,
    RERANKED_FILE,
    STAGES,
    describe_unit,
    evaluate_run,
    failed_qids,
    per_query,
    ranking_metrics,
    unit_of,
)
from tasks.evaluate.names import Metric
from tasks.evaluate.significance import format_p, paired_permutation_pvalue
from tasks.evaluate.sql import (
    parquet_relation,
    read_parquet_sql,
    register_qrels,
    render_sql,
    run_relation,
    sql_string,
)

__all__ = [
    "CANDIDATES_FILE",
    "DEFAULT_KS",
    "RERANKED_FILE",
    "STAGES",
    "ComparedRun",
    "GateCheck",
    "GateResult",
    "Metric",
    "check_ks",
    "check_label_ids",
    "check_run_file",
    "check_unit_columns",
    "compare_runs",
    "describe_unit",
    "evaluate_gate",
    "evaluate_ops_gate",
    "evaluate_run",
    "failed_qids",
    "failed_queries_gate",
    "format_p",
    "load_run",
    "paired_permutation_pvalue",
    "parquet_relation",
    "per_query",
    "ranking_metrics",
    "read_parquet_sql",
    "register_qrels",
    "render_sql",
    "run_relation",
    "sql_string",
    "unit_of",
]
