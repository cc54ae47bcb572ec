-- smap:no-transaction
DROP INDEX CONCURRENTLY IF EXISTS idx_post_aspect_rollup_hourly_read;
