-- Mean of per-query metrics over labelled queries, one row per cutoff k.
-- Placeholder {per_query}: a relation shaped like per_query.sql's output (or
-- per_query_group.sql's): every column besides qid and k is a metric, averaged as is.
-- Parameter $ks: INTEGER[] of cutoffs to report.
SELECT k, avg(COLUMNS(* EXCLUDE (qid, k)))
FROM ({per_query})
WHERE list_contains(CAST($ks AS INTEGER[]), k)
GROUP BY k
ORDER BY k
