DROP TABLE IF EXISTS post_keywords;
