-- smap:no-transaction
DROP INDEX CONCURRENTLY IF EXISTS idx_post_keywords_project_keyword;
