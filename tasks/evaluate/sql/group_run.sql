-- The group run (qdrant.group_key): every chunk row under its group's id, keeping the chunk id.
-- Placeholder {run}: a relation with columns qid, doc_id (the chunk), group_id, score.
-- Output: qid, chunk_id, doc_id (the group), score. Fed to per_query.sql, whose duplicate
-- (qid, doc_id) rule keeps the highest score, each group is scored by its best chunk (MaxP)
-- and groups rank by (best score DESC, group id DESC): the chunk order with each group's
-- later chunks dropped, and where two groups' best chunks tie on score, trec_eval's order of
-- this MaxP group run (pytrec_eval's on the same run). A chunk without a group id counts as a
-- group of its own, named by its chunk id.
SELECT CAST(qid AS VARCHAR) AS qid,
       CAST(doc_id AS VARCHAR) AS chunk_id,
       CAST(coalesce(group_id, doc_id) AS VARCHAR) AS doc_id,
       score
FROM ({run})
