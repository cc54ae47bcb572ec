-- smap:no-transaction
-- Summary and trend read a project's hourly rollup rows (1 440 for 30 days on two platforms)
-- through the key index and then the heap, where the rows of one project lie scattered: rows are
-- made as each hour's first post arrives, so a page holds the same hours of many projects (the
-- bench's 1 440 rows sat on 196 pages). This index holds every column the two statements read, in
-- (project_id, hour) order, so they are index-only scans of a few leaf pages: PostgreSQL CPU per
-- request at 1M posts, 10 clients, 2.5 → 1.5 ms (trend by day) and 2.3 → 1.1 ms (summary),
-- docs/benchmarks.md. The writer's cost: a rollup update changes indexed columns, so it is no
-- longer a HOT update and adds an entry here and in the key index (a few rows per batch).
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_post_rollup_hourly_read ON post_rollup_hourly (project_id, hour) INCLUDE (platform, posts, positive, negative, neutral, crisis, seeding, spam, complaint, lead, support, discussion, risk_low, risk_medium, risk_high, risk_critical, views, likes, comments, shares, saves, sentiment_sum, impact_sum, confidence_sum);
