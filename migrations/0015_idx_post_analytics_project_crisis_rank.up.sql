-- smap:no-transaction
-- Crisis radar in its own order: CRITICAL first, then impact, then the keyset tail, for the
-- HIGH/CRITICAL posts only (partial, about 7 % of the rows at the bench's mix). The radar's
-- ORDER BY walks this index and stops at its LIMIT, instead of reading every HIGH/CRITICAL post of
-- the project through idx_post_analytics_project_crisis and sorting them (1 400 heap rows per
-- project at 1M posts: 34.6 ms p50 / 68.3 ms p99 under 10 clients, docs/benchmarks.md). A
-- published range is checked on the index's own published_at column before any heap row is read.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_post_analytics_project_crisis_rank ON post_analytics (project_id, (risk_level = 'CRITICAL') DESC, impact_score DESC, published_at DESC, platform DESC, id DESC) WHERE risk_level IN ('HIGH', 'CRITICAL');
