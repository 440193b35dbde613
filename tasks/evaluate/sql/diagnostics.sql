-- Reranker diagnostics over labelled queries.
-- Placeholders {retrieval}, {reranked}: per_query.sql-shaped relations; {retrieval}
-- must hold k = $top_k and k = $fetch_k, {reranked} must hold k = $top_k.
-- Parameters: $top_k, $fetch_k INTEGER; $eps DOUBLE (ndcg differences within eps count as same).
WITH ret AS (
    SELECT qid,
           max(CASE WHEN k = $top_k THEN hit_rate END) AS hit_top,
           max(CASE WHEN k = $fetch_k THEN hit_rate END) AS hit_fetch,
           max(CASE WHEN k = $top_k THEN ndcg END) AS ndcg_top
    FROM ({retrieval})
    WHERE k IN ($top_k, $fetch_k)
    GROUP BY qid
),
rr AS (
    SELECT qid, hit_rate AS hit_top, ndcg AS ndcg_top
    FROM ({reranked})
    WHERE k = $top_k
),
q AS (
    SELECT ret.qid,
           ret.hit_top, ret.hit_fetch, ret.ndcg_top,
           rr.hit_top AS rr_hit_top, rr.ndcg_top AS rr_ndcg_top
    FROM ret
    JOIN rr USING (qid)
)
SELECT count(*) AS evaluated,
       coalesce(avg(CASE WHEN hit_fetch > 0 AND hit_top = 0 THEN 1.0 ELSE 0.0 END), 0.0)
           AS in_fetch_k_not_top_k,
       coalesce(avg(CASE WHEN hit_fetch > 0 AND rr_hit_top = 0 THEN 1.0 ELSE 0.0 END), 0.0)
           AS in_fetch_k_not_top_k_after,
       coalesce(avg(CASE WHEN hit_top > 0 THEN 1.0 ELSE 0.0 END), 0.0) AS already_right,
       coalesce(avg(CASE WHEN hit_fetch > 0 AND hit_top = 0 THEN 1.0 ELSE 0.0 END), 0.0)
           AS fixable_by_reranking,
       coalesce(avg(CASE WHEN hit_fetch = 0 THEN 1.0 ELSE 0.0 END), 0.0) AS not_retrieved,
       count(*) FILTER (WHERE rr_ndcg_top > ndcg_top + $eps) AS improved,
       count(*) FILTER (WHERE rr_ndcg_top < ndcg_top - $eps) AS worse,
       count(*) FILTER (WHERE abs(rr_ndcg_top - ndcg_top) <= $eps) AS same
FROM q
