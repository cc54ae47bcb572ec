-- smap:no-transaction
DROP INDEX CONCURRENTLY IF EXISTS idx_crawl_errors_project_id;
