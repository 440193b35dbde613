-- chunk_coverage@k: distinct relevant groups among the top k chunks / relevant groups, where
-- k counts chunks (what a RAG app puts in its prompt), not groups as recall@k does.
-- Placeholder {run}: a group_run.sql relation (qid, chunk_id, doc_id = group, score).
-- Parameter $ks: INTEGER[] of cutoffs. Expects a table qrels(qid, doc_id, rel) naming groups.
-- One row per (labelled query, k), as per_query.sql; labelled queries absent from the run
-- score 0.
WITH chunks AS (
    -- Duplicate (qid, chunk) rows keep the highest score, as in per_query.sql.
    SELECT qid, chunk_id, any_value(doc_id) AS doc_id, max(CAST(score AS DOUBLE)) AS score
    FROM ({run})
    GROUP BY qid, chunk_id
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
    -- The chunk order: score descending at float32 resolution, ties broken by chunk id
    -- descending (trec_eval's, as per_query.sql ranks).
    SELECT c.qid, c.doc_id,
           row_number() OVER (
               PARTITION BY c.qid ORDER BY {rank_score} DESC, c.chunk_id DESC
           ) AS rnk
    FROM chunks AS c
    SEMI JOIN labelled AS l ON c.qid = l.qid
),
covered AS (
    -- Each relevant group at the rank of its first chunk.
    SELECT r.qid, r.doc_id, min(r.rnk) AS rnk
    FROM ranked AS r
    JOIN qrels AS q ON q.qid = r.qid AND q.doc_id = r.doc_id
    WHERE q.rel > 0
    GROUP BY r.qid, r.doc_id
),
at_k AS (
    SELECT c.qid, ks.k, count(*) AS n_covered
    FROM covered AS c
    JOIN ks ON c.rnk <= ks.k
    GROUP BY c.qid, ks.k
)
SELECT l.qid,
       ks.k,
       CAST(coalesce(a.n_covered, 0) AS DOUBLE) / l.n_rel AS chunk_coverage
FROM labelled AS l
CROSS JOIN ks
LEFT JOIN at_k AS a ON a.qid = l.qid AND a.k = ks.k
