-- Per-query ranking metrics at every cutoff k, trec_eval conventions.
-- Placeholder {run}: a relation with columns qid, doc_id, score.
-- Parameter $ks: INTEGER[] of cutoffs. Expects a table qrels(qid, doc_id, rel).
-- One row per (labelled query, k); labelled queries absent from the run score 0.
WITH run AS (
    -- Duplicate (qid, doc_id) rows: keep the highest score.
    SELECT CAST(qid AS VARCHAR) AS qid,
           CAST(doc_id AS VARCHAR) AS doc_id,
           max(CAST(score AS DOUBLE)) AS score
    FROM ({run})
    GROUP BY 1, 2
),
labelled AS (
    SELECT qid, count(*) AS n_rel
    FROM qrels
    WHERE rel > 0
    GROUP BY qid
),
ks AS (
    SELECT DISTINCT unnest(CAST($ks AS INTEGER[])) AS k
),
ranked AS (
    -- trec_eval order: score descending at float32 resolution ({rank_score}, see
    -- tasks.evaluate.sql.RANK_SCORE_SQL), ties broken by doc_id descending.
    SELECT r.qid, r.doc_id,
           row_number() OVER (
               PARTITION BY r.qid ORDER BY {rank_score} DESC, r.doc_id DESC
           ) AS rnk
    FROM run AS r
    SEMI JOIN labelled AS l ON r.qid = l.qid
),
hits AS (
    SELECT r.qid, r.rnk, q.rel
    FROM ranked AS r
    JOIN qrels AS q ON q.qid = r.qid AND q.doc_id = r.doc_id
    WHERE q.rel > 0
),
at_k AS (
    SELECT h.qid, ks.k,
           count(*) AS n_hit,
           min(h.rnk) AS first_rnk,
           sum(CAST(h.rel AS DOUBLE) / log2(h.rnk + 1)) AS dcg
    FROM hits AS h
    JOIN ks ON h.rnk <= ks.k
    GROUP BY h.qid, ks.k
),
ideal AS (
    SELECT qid, rel, row_number() OVER (PARTITION BY qid ORDER BY rel DESC) AS irnk
    FROM qrels
    WHERE rel > 0
),
idcg AS (
    SELECT i.qid, ks.k, sum(CAST(i.rel AS DOUBLE) / log2(i.irnk + 1)) AS idcg
    FROM ideal AS i
    JOIN ks ON i.irnk <= ks.k
    GROUP BY i.qid, ks.k
)
SELECT l.qid,
       ks.k,
       CAST(coalesce(a.n_hit, 0) AS DOUBLE) / l.n_rel AS recall,
       CAST(coalesce(a.n_hit, 0) AS DOUBLE) / ks.k AS precision,
       CASE WHEN coalesce(a.n_hit, 0) > 0 THEN 1.0 ELSE 0.0 END AS hit_rate,
       coalesce(1.0 / CAST(a.first_rnk AS DOUBLE), 0.0) AS mrr,
       coalesce(a.dcg / d.idcg, 0.0) AS ndcg
FROM labelled AS l
CROSS JOIN ks
JOIN idcg AS d ON d.qid = l.qid AND d.k = ks.k
LEFT JOIN at_k AS a ON a.qid = l.qid AND a.k = ks.k
