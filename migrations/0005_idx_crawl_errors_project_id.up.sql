-- smap:no-transaction
-- Error rows per project (counts, error listings).
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_crawl_errors_project_id ON crawl_errors (project_id, created_at DESC);
