-- The queries where run B lost most against run A, per (stage, metric, k).
-- Placeholder {paired}: a relation (stage, qid, k, metric, a, b), see compare_paired.sql.
-- Parameters: $eps DOUBLE (smaller drops are noise, not losses), $n INTEGER (rows per group).
-- Ties on the drop are broken by qid so the list is reproducible.
SELECT stage, metric, k, qid, a, b, b - a AS delta
FROM ({paired})
WHERE b < a - $eps
QUALIFY row_number() OVER (PARTITION BY stage, metric, k ORDER BY b - a, qid) <= $n
ORDER BY stage, metric, k, delta, qid
