-- smap:no-transaction
-- Posts page keyset order and the published range of the page, trend and summary.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_post_analytics_project_published ON post_analytics (project_id, published_at DESC, platform DESC, id DESC);
