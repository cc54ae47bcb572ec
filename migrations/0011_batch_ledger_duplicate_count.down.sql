ALTER TABLE batch_ledger DROP COLUMN IF EXISTS duplicate_count;
