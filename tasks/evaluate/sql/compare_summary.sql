-- Means and per-query wins/losses/ties of run B against run A.
-- Placeholder {paired}: a relation (stage, qid, k, metric, a, b), see compare_paired.sql.
-- Parameter $eps DOUBLE: per-query differences within eps are ties (float summation noise).
SELECT stage, metric, k,
       count(*) AS n,
       avg(a) AS mean_a,
       avg(b) AS mean_b,
       count(*) FILTER (WHERE b > a + $eps) AS wins,
       count(*) FILTER (WHERE b < a - $eps) AS losses,
       count(*) FILTER (WHERE abs(b - a) <= $eps) AS ties
FROM ({paired})
GROUP BY stage, metric, k
ORDER BY stage, metric, k
