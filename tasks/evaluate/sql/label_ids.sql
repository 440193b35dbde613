-- Do the labels name what the run holds? Relevant label ids (rel > 0) seen nowhere in the run.
-- Placeholder {run}: a relation with a doc_id column in the scored unit (documents, or groups
-- through group_run.sql). Expects a table qrels(qid, doc_id, rel) of the evaluated queries.
-- Parameter $n INTEGER: examples to return, of the unseen label ids and of the run's ids.
WITH seen AS (
    SELECT DISTINCT CAST(doc_id AS VARCHAR) AS doc_id FROM ({run}) WHERE doc_id IS NOT NULL
),
ids AS (
    SELECT DISTINCT doc_id FROM qrels WHERE rel > 0
),
unseen AS (
    SELECT doc_id FROM ids ANTI JOIN seen USING (doc_id)
)
SELECT (SELECT count(*) FROM ids) AS label_ids,
       (SELECT count(*) FROM unseen) AS not_in_run,
       (SELECT coalesce(list(doc_id ORDER BY doc_id), [])
          FROM (SELECT doc_id FROM unseen ORDER BY doc_id LIMIT $n)) AS unseen_examples,
       (SELECT coalesce(list(doc_id ORDER BY doc_id), [])
          FROM (SELECT doc_id FROM seen ORDER BY doc_id LIMIT $n)) AS run_examples
