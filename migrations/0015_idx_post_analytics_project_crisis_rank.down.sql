-- smap:no-transaction
DROP INDEX CONCURRENTLY IF EXISTS idx_post_analytics_project_crisis_rank;
