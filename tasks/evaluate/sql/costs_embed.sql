-- Cost of each run's embed calls (Cohere Embed) from its call log and a price table.
-- Placeholder {calls}: a relation with the calls.parquet columns (endpoint filled in).
-- Parameters: $per_1m_tokens (price per 1,000,000 billed input tokens), $queries_per_day.
-- Embed bills tokens, not queries: one request embeds up to 96 texts, so the cost is per run
-- and spread over the run's queries (those its rerank stage logged). Cache hits cost nothing.
WITH calls AS (
    SELECT * FROM ({calls})
),
run_queries AS (
    SELECT run_id, count(DISTINCT qid) AS queries
    FROM calls
    WHERE endpoint = 'rerank' AND qid IS NOT NULL
    GROUP BY run_id
),
per_run AS (
    SELECT run_id, backend, model,
           count(*) FILTER (WHERE NOT cache_hit) AS requests,
           coalesce(sum(documents) FILTER (WHERE cache_hit), 0) AS cache_hits,
           coalesce(sum(documents) FILTER (WHERE NOT cache_hit AND error IS NULL), 0) AS texts,
           coalesce(sum(billed_tokens), 0) AS billed_tokens,
           count(*) FILTER (WHERE attempt > 1) AS retries,
           count(*) FILTER (WHERE http_status = 429) AS rate_limited,
           count(*) FILTER (WHERE error IS NOT NULL) AS errors,
           quantile_cont(latency_s, 0.5) FILTER (WHERE NOT cache_hit) AS latency_p50_s,
           quantile_cont(latency_s, 0.95) FILTER (WHERE NOT cache_hit) AS latency_p95_s,
           min(started_at) AS first_call_at
    FROM calls
    WHERE endpoint = 'embed'
    GROUP BY ALL
),
priced AS (
    SELECT p.*, q.queries, p.billed_tokens / 1000000.0 * $per_1m_tokens AS cost
    FROM per_run AS p
    LEFT JOIN run_queries AS q USING (run_id)
)
SELECT run_id, 'embed' AS endpoint, backend, model, queries, requests, cache_hits, texts,
       billed_tokens, cost,
       1000.0 * cost / nullif(queries, 0) AS cost_per_1k_queries,
       1000.0 * cost / nullif(queries, 0) AS cost_per_1k_new_queries,
       retries, rate_limited, errors, latency_p50_s, latency_p95_s,
       cost / nullif(queries, 0) * $queries_per_day AS projected_per_day,
       cost / nullif(queries, 0) * $queries_per_day * 30 AS projected_per_30_days,
       first_call_at
FROM priced
ORDER BY first_call_at, run_id
