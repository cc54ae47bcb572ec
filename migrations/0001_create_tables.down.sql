DROP TABLE IF EXISTS batch_ledger;
DROP TABLE IF EXISTS crawl_errors;
DROP TABLE IF EXISTS post_analytics;
