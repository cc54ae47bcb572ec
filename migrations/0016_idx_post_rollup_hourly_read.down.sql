-- smap:no-transaction
DROP INDEX CONCURRENTLY IF EXISTS idx_post_rollup_hourly_read;
