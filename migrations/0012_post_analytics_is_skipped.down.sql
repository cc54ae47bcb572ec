ALTER TABLE post_analytics DROP COLUMN IF EXISTS is_skipped;
