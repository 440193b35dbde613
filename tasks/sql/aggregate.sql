-- Mean of per-query metrics over labelled queries, one row per cutoff k.
-- Placeholder {per_query}: a relation shaped like per_query.sql's output.
-- Parameter $ks: INTEGER[] of cutoffs to report.
SELECT k,
       avg(recall) AS recall,
       avg(precision) AS precision,
       avg(hit_rate) AS hit_rate,
       avg(mrr) AS mrr,
       avg(ndcg) AS ndcg
FROM ({per_query})
WHERE list_contains(CAST($ks AS INTEGER[]), k)
GROUP BY k
ORDER BY k
