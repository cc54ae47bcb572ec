-- True when the post's merged text was longer than PREPROCESSOR_MAX_ANALYZED_CHARS: only its
-- first part was analysed; content_text still holds the whole text. Adding a NOT NULL column
-- with a constant default is a catalogue-only change in PostgreSQL 11+ (no table rewrite).
ALTER TABLE post_analytics ADD COLUMN IF NOT EXISTS analyzed_text_truncated boolean NOT NULL DEFAULT false;
