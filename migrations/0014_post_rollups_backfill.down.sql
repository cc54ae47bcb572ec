-- smap:no-transaction
-- Nothing to undo: the counts belong to 0013's tables, which its own down drops.
SELECT 1;
