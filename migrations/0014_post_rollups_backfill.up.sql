-- smap:no-transaction
-- Counts the posts stored before migration 0013 into its rollups, 5 000 posts per transaction
-- (post_rollup_backfill commits after each batch), with consumers running: a writer waits at
-- most for one batch. Outside any transaction, so that the procedure may commit. If it is
-- interrupted, the next `migrate up` resumes from the last committed batch; once every post is
-- counted it returns at once.
CALL post_rollup_backfill(5000);
