-- smap:no-transaction
-- Crisis radar: only HIGH/CRITICAL rows, so the partial index stays small.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_post_analytics_project_crisis ON post_analytics (project_id, published_at DESC) WHERE risk_level IN ('HIGH', 'CRITICAL');
