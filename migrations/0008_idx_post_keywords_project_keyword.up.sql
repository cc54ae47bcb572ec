-- smap:no-transaction
-- Top keywords: an index-only scan of the project's keyword rows, already in (keyword, aspect)
-- order, so the counts are a streaming GroupAggregate; published_at is INCLUDEd so a published
-- range is filtered in the index too. Measured on 1M posts against (project_id, published_at)
-- INCLUDE (keyword, aspect): 0.40 vs 0.62 ms all-time, 0.22 vs 0.15 ms for 7 days.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_post_keywords_project_keyword ON post_keywords (project_id, keyword, aspect) INCLUDE (published_at);
