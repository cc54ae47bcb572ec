-- smap:no-transaction
-- Every dashboard query filters by project; built concurrently so writers are never blocked (§4).
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_post_analytics_project_id ON post_analytics (project_id);
