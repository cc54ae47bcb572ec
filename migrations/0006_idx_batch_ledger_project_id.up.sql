-- smap:no-transaction
-- Ledger rows per project (counts, batch history).
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_batch_ledger_project_id ON batch_ledger (project_id, last_attempt_at DESC);
