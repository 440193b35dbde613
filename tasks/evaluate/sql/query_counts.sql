-- Query bookkeeping: which queries the averages cover.
-- Placeholder {run}: a relation with a qid column. Expects a table qrels(qid, doc_id, rel).
WITH in_run AS (
    SELECT DISTINCT CAST(qid AS VARCHAR) AS qid FROM ({run})
),
labelled AS (
    SELECT DISTINCT qid FROM qrels WHERE rel > 0
)
SELECT (SELECT count(*) FROM in_run) AS in_run,
       (SELECT count(*) FROM labelled) AS labelled,
       (SELECT count(*) FROM in_run ANTI JOIN labelled USING (qid)) AS unlabelled_in_run,
       (SELECT count(*) FROM labelled ANTI JOIN in_run USING (qid)) AS labelled_missing_from_run
