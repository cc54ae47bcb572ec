-- Items that repeat a post (or error) identity inside one batch: the ledger counts them, so that
-- actual_size = stored_count + skipped_count + error_count + duplicate_count.
-- Adding a column with a constant default is a catalogue change only (no table rewrite).
ALTER TABLE batch_ledger ADD COLUMN IF NOT EXISTS duplicate_count integer NOT NULL DEFAULT 0 CHECK (duplicate_count >= 0);
