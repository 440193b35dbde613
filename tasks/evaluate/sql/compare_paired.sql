-- Two runs' per-query metrics side by side, one row per (qid, k, metric).
-- Placeholders {a}, {b}: per_query.sql-shaped relations (baseline, candidate) computed with
-- the same qrels table and the same $ks, so both hold the same (qid, k) rows.
-- Every metric column is unpivoted, so a metric added to per_query.sql shows up here as is.
WITH a AS (
    UNPIVOT ({a}) ON COLUMNS(* EXCLUDE (qid, k)) INTO NAME metric VALUE value
),
b AS (
    UNPIVOT ({b}) ON COLUMNS(* EXCLUDE (qid, k)) INTO NAME metric VALUE value
)
SELECT qid,
       CAST(k AS INTEGER) AS k,
       metric,
       CAST(a.value AS DOUBLE) AS a,
       CAST(b.value AS DOUBLE) AS b
FROM a
JOIN b USING (qid, k, metric)
