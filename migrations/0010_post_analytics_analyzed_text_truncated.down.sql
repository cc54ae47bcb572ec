ALTER TABLE post_analytics DROP COLUMN IF EXISTS analyzed_text_truncated;
