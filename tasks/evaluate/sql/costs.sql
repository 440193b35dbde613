-- Cost of each run's rerank calls from its call log and a price table (embed calls:
-- costs_embed.sql).
-- Placeholder {calls}: a relation with the calls.parquet columns (endpoint filled in).
-- Parameters: $per_1k_units (price per 1,000 billed search units), $per_hour (price per device
-- hour), $queries_per_day (for the projection).
-- A query's cost is what its calls billed (search units) or used (device seconds); cache hits
-- cost nothing. The projection prices new queries, so it uses the queries that were not
-- served from the cache (falling back to all of them when every query was a cache hit).
WITH calls AS (
    SELECT * FROM ({calls}) WHERE endpoint = 'rerank'
),
per_query AS (
    SELECT run_id, backend, model, qid,
           bool_and(cache_hit) AS from_cache,
           count(*) FILTER (WHERE NOT cache_hit) AS requests,
           sum(coalesce(search_units, 0)) AS search_units,
           sum(coalesce(device_seconds, 0.0)) AS device_seconds,
           sum(coalesce(search_units, 0)) / 1000.0 * $per_1k_units
             + sum(coalesce(device_seconds, 0.0)) / 3600.0 * $per_hour AS cost
    FROM calls
    GROUP BY ALL
),
per_run AS (
    SELECT run_id, backend, model,
           count(*) AS queries,
           count(*) FILTER (WHERE from_cache) AS cache_hits,
           sum(requests) AS requests,
           sum(search_units) AS search_units,
           sum(device_seconds) AS device_seconds,
           sum(cost) AS cost,
           1000.0 * sum(cost) / count(*) AS cost_per_1k_queries,
           coalesce(1000.0 * avg(cost) FILTER (WHERE NOT from_cache),
                    1000.0 * avg(cost)) AS cost_per_1k_new_queries,
           quantile_cont(cost, 0.5) AS cost_per_query_p50,
           quantile_cont(cost, 0.9) AS cost_per_query_p90,
           quantile_cont(cost, 0.99) AS cost_per_query_p99
    FROM per_query
    GROUP BY ALL
),
per_call AS (
    SELECT run_id, backend, model,
           count(*) FILTER (WHERE attempt > 1) AS retries,
           count(*) FILTER (WHERE http_status = 429) AS rate_limited,
           count(*) FILTER (WHERE error IS NOT NULL) AS errors,
           quantile_cont(latency_s, 0.5) FILTER (WHERE NOT cache_hit) AS latency_p50_s,
           quantile_cont(latency_s, 0.95) FILTER (WHERE NOT cache_hit) AS latency_p95_s,
           min(started_at) AS first_call_at
    FROM calls
    GROUP BY ALL
)
SELECT r.run_id, 'rerank' AS endpoint, r.* EXCLUDE (run_id),
       c.retries, c.rate_limited, c.errors, c.latency_p50_s, c.latency_p95_s,
       r.cost_per_1k_new_queries * $queries_per_day / 1000.0 AS projected_per_day,
       r.cost_per_1k_new_queries * $queries_per_day / 1000.0 * 30 AS projected_per_30_days
FROM per_run AS r
JOIN per_call AS c USING (run_id, backend, model)
ORDER BY c.first_call_at, r.run_id
