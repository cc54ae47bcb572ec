-- smap:no-transaction
DROP INDEX CONCURRENTLY IF EXISTS idx_batch_ledger_project_id;
