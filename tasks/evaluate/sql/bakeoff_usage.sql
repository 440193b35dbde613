-- What one run's reranker used, per query, from its call log: latency, device seconds, units.
-- Placeholder {calls}: a relation with the calls.parquet columns.
-- A query's rerank latency is its device seconds for a local backend (its share of the batched
-- scoring time: what it occupied the device for) and the wall time of its requests for a
-- remote one (split requests and retries included). Cache hits took no time and are left out
-- of the latency percentiles. device_pairs counts the pairs scored in the device seconds, for
-- the measured throughput (pairs per second).
WITH calls AS (
    SELECT * FROM ({calls})
),
per_query AS (
    SELECT qid,
           bool_and(cache_hit) AS from_cache,
           sum(coalesce(device_seconds, latency_s)) FILTER (WHERE NOT cache_hit) AS latency_s,
           sum(coalesce(search_units, 0)) AS search_units,
           sum(coalesce(device_seconds, 0.0)) AS device_seconds,
           coalesce(sum(documents) FILTER (WHERE device_seconds IS NOT NULL), 0) AS device_pairs
    FROM calls
    GROUP BY qid
)
SELECT count(*) AS queries,
       count(*) FILTER (WHERE from_cache) AS cache_hits,
       quantile_cont(latency_s, 0.5) FILTER (WHERE NOT from_cache) AS latency_p50_s,
       quantile_cont(latency_s, 0.95) FILTER (WHERE NOT from_cache) AS latency_p95_s,
       coalesce(sum(search_units), 0) AS search_units,
       coalesce(sum(search_units) FILTER (WHERE NOT from_cache), 0) AS new_search_units,
       coalesce(sum(device_seconds), 0.0) AS device_seconds,
       coalesce(sum(device_pairs), 0) AS device_pairs
FROM per_query
