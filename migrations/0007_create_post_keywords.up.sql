-- Top keywords (§4) read one narrow row per keyword of a post instead of unnesting the jsonb
-- `keywords` of every post of a project. The writer keeps it in step with post_analytics in the
-- same statement (analyticsRepository.ts, UPSERT_ANALYTICS_SQL): only rows the crawled_at guard
-- let through replace their keywords. `ord` is the element's 1-based position in `keywords`,
-- so a keyword listed twice counts twice, exactly as jsonb_array_elements did.
CREATE TABLE post_keywords (
  published_at timestamptz NULL,
  ord          integer     NOT NULL,
  project_id   uuid        NULL,
  platform     text        NOT NULL,
  post_id      text        NOT NULL,
  keyword      text        NULL,
  aspect       text        NULL,
  CONSTRAINT post_keywords_identity UNIQUE NULLS NOT DISTINCT (project_id, platform, post_id, ord)
);

-- Backfill from the posts already stored.
INSERT INTO post_keywords (published_at, ord, project_id, platform, post_id, keyword, aspect)
SELECT p.published_at, e.ord, p.project_id, p.platform, p.id, e.k->>'keyword', e.k->>'aspect'
FROM post_analytics p
CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(p.keywords) = 'array' THEN p.keywords ELSE '[]'::jsonb END)
  WITH ORDINALITY AS e(k, ord);
