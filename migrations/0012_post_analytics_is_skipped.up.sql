-- True when the skip gate fired for the post (too short, spam keyword, SPAM or SEEDING intent,
-- §3.4). It used to be guessed on read; it is now written from the record.
-- Adding a NOT NULL column with a constant default is a catalogue-only change (no table rewrite).
ALTER TABLE post_analytics ADD COLUMN IF NOT EXISTS is_skipped boolean NOT NULL DEFAULT false;

-- Backfill rows stored before this column with the rule the reader used to guess by: a skipped
-- post is the only kind stored neutral with zero score, confidence and impact and no aspects.
-- One UPDATE, in the migration's transaction: it rewrites only the skipped rows (a minority)
-- and the column is new, so no writer depends on it yet. On a very large table run it in
-- batches by id range before deploying instead; the WHERE makes a rerun a no-op.
UPDATE post_analytics SET is_skipped = true
WHERE NOT is_skipped
  AND overall_sentiment = 'NEUTRAL'
  AND overall_sentiment_score = 0
  AND overall_confidence = 0
  AND impact_score = 0
  -- "no aspects" as the reader had it: Object.keys(value ?? {}) is empty
  AND (aspects_breakdown IS NULL
    OR jsonb_typeof(aspects_breakdown) IN ('null', 'number', 'boolean')
    OR aspects_breakdown IN ('{}'::jsonb, '[]'::jsonb, '""'::jsonb));
