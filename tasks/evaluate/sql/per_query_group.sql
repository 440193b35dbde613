-- Per-query metrics at group level: per_query.sql over the group run, plus chunk_coverage.
-- Placeholders {groups}: per_query.sql over a group_run.sql relation; {coverage}:
-- chunk_coverage.sql over the same relation, with the same $ks and qrels.
SELECT g.*, c.chunk_coverage
FROM ({groups}) AS g
JOIN ({coverage}) AS c USING (qid, k)
