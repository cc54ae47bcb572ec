-- Per-project rollups of post_analytics by UTC hour (by UTC day for keywords), for the read
-- side's summary, trend, aspects and top keywords (src/adapters/postgres/AnalyticsQueries.ts): at 1M posts a project's 30 days are
-- 720 hours × platforms rows instead of 20 000 posts. `hour` is date_bin('1 hour', published_at,
-- 2000-01-01T00:00Z), so it does not depend on the session time zone; NULL holds the posts
-- without published_at. Posts without a project (dry runs) are not rolled up: no query reads them.
--
-- Kept by statement-level triggers on post_analytics, by delta (OLD rows subtracted, NEW rows
-- added), in the writer's own transaction: a re-stored post whose sentiment, hour or aspects
-- changed moves its counts, a redelivered batch that changes nothing writes nothing, and the
-- writer's SQL is untouched. Rows whose counts fall to 0 stay (the queries skip them).
--
-- The posts stored before this migration are added by migration 0014 in batches
-- (post_rollup_backfill below). Until it is done the triggers apply only the changes of posts
-- the backfill has passed (post_rollup_state.through), under a shared advisory lock that each
-- backfill batch takes exclusively, so no post is counted twice or missed (docs/schema.md).
--
-- The migrator splits a script at every `;` that ends a line: inside the function bodies below,
-- statements are separated by a `;` at the start of the next line instead.

CREATE TABLE post_rollup_hourly (
  project_id     uuid        NOT NULL,
  hour           timestamptz NULL,
  platform       text        NOT NULL,
  posts          bigint      NOT NULL,
  positive       bigint      NOT NULL,
  negative       bigint      NOT NULL,
  neutral        bigint      NOT NULL,
  crisis         bigint      NOT NULL,
  seeding        bigint      NOT NULL,
  spam           bigint      NOT NULL,
  complaint      bigint      NOT NULL,
  lead           bigint      NOT NULL,
  support        bigint      NOT NULL,
  discussion     bigint      NOT NULL,
  risk_low       bigint      NOT NULL,
  risk_medium    bigint      NOT NULL,
  risk_high      bigint      NOT NULL,
  risk_critical  bigint      NOT NULL,
  views          numeric     NOT NULL,
  likes          numeric     NOT NULL,
  comments       numeric     NOT NULL,
  shares         numeric     NOT NULL,
  saves          numeric     NOT NULL,
  -- Sums of the double precision scores, exact in numeric so that adding and subtracting deltas
  -- never drifts; the averages are these over `posts`.
  sentiment_sum  numeric     NOT NULL,
  impact_sum     numeric     NOT NULL,
  confidence_sum numeric     NOT NULL,
  CONSTRAINT post_rollup_hourly_key UNIQUE NULLS NOT DISTINCT (project_id, hour, platform)
);

-- One row per (project, hour, aspect key of aspects_breakdown whose value is an object).
CREATE TABLE post_aspect_rollup_hourly (
  project_id uuid        NOT NULL,
  hour       timestamptz NULL,
  aspect     text        NOT NULL,
  posts      bigint      NOT NULL,
  positive   bigint      NOT NULL,
  negative   bigint      NOT NULL,
  neutral    bigint      NOT NULL,
  CONSTRAINT post_aspect_rollup_hourly_key UNIQUE NULLS NOT DISTINCT (project_id, hour, aspect)
);

-- Top keywords: one row per (project, UTC day, keyword, aspect) of the posts' `keywords` array
-- elements (as post_keywords holds them: a keyword listed twice counts twice), with the posts'
-- sentiment. By day rather than hour: a project's long tail of keywords is mentioned a few times
-- a day, so hourly rows would be nearly one per mention.
CREATE TABLE post_keyword_rollup_daily (
  project_id uuid        NOT NULL,
  day        timestamptz NULL,
  keyword    text        NOT NULL,
  aspect     text        NULL,
  mentions   bigint      NOT NULL,
  positive   bigint      NOT NULL,
  negative   bigint      NOT NULL,
  neutral    bigint      NOT NULL,
  CONSTRAINT post_keyword_rollup_daily_key UNIQUE NULLS NOT DISTINCT (project_id, day, keyword, aspect)
);

-- One row. `through` is the identity (project_id, platform, id) of the last post the backfill
-- has counted; the smallest possible key means none. `done` once every stored post is counted.
CREATE TABLE post_rollup_state (
  singleton        boolean NOT NULL DEFAULT true PRIMARY KEY CHECK (singleton),
  through_project  uuid    NOT NULL,
  through_platform text    NOT NULL,
  through_id       text    NOT NULL,
  done             boolean NOT NULL
);
INSERT INTO post_rollup_state (through_project, through_platform, through_id, done)
VALUES ('00000000-0000-0000-0000-000000000000', '', '', false);

-- The statement that adds sign × the contribution of the rows `changes` returns (a query over
-- post_analytics-shaped rows `ch` with an extra leading `sign` column), limited to posts with a
-- project and to those the predicate `gate` admits.
CREATE FUNCTION post_rollup_sql(changes text, gate text) RETURNS text LANGUAGE sql IMMUTABLE AS $body$
  SELECT format($sql$
    WITH c AS (
      SELECT ch.sign, ch.project_id, ch.platform, ch.overall_sentiment, ch.primary_intent, ch.risk_level,
        ch.view_count, ch.like_count, ch.comment_count, ch.share_count, ch.save_count,
        ch.overall_sentiment_score, ch.impact_score, ch.overall_confidence, ch.aspects_breakdown, ch.keywords,
        date_bin('1 hour', ch.published_at, '2000-01-01T00:00:00Z'::timestamptz) AS hour,
        date_bin('1 day', ch.published_at, '2000-01-01T00:00:00Z'::timestamptz) AS day
      FROM (%s) AS ch
      WHERE ch.project_id IS NOT NULL
        AND %s
    ), totals AS (
      INSERT INTO post_rollup_hourly AS r (project_id, hour, platform, posts, positive, negative, neutral,
        crisis, seeding, spam, complaint, lead, support, discussion, risk_low, risk_medium, risk_high, risk_critical,
        views, likes, comments, shares, saves, sentiment_sum, impact_sum, confidence_sum)
      SELECT * FROM (
        SELECT project_id, hour, platform, sum(sign) AS posts,
          sum(CASE WHEN overall_sentiment = 'POSITIVE' THEN sign ELSE 0 END) AS positive,
          sum(CASE WHEN overall_sentiment = 'NEGATIVE' THEN sign ELSE 0 END) AS negative,
          sum(CASE WHEN overall_sentiment = 'NEUTRAL' THEN sign ELSE 0 END) AS neutral,
          sum(CASE WHEN primary_intent = 'CRISIS' THEN sign ELSE 0 END) AS crisis,
          sum(CASE WHEN primary_intent = 'SEEDING' THEN sign ELSE 0 END) AS seeding,
          sum(CASE WHEN primary_intent = 'SPAM' THEN sign ELSE 0 END) AS spam,
          sum(CASE WHEN primary_intent = 'COMPLAINT' THEN sign ELSE 0 END) AS complaint,
          sum(CASE WHEN primary_intent = 'LEAD' THEN sign ELSE 0 END) AS lead,
          sum(CASE WHEN primary_intent = 'SUPPORT' THEN sign ELSE 0 END) AS support,
          sum(CASE WHEN primary_intent = 'DISCUSSION' THEN sign ELSE 0 END) AS discussion,
          sum(CASE WHEN risk_level = 'LOW' THEN sign ELSE 0 END) AS risk_low,
          sum(CASE WHEN risk_level = 'MEDIUM' THEN sign ELSE 0 END) AS risk_medium,
          sum(CASE WHEN risk_level = 'HIGH' THEN sign ELSE 0 END) AS risk_high,
          sum(CASE WHEN risk_level = 'CRITICAL' THEN sign ELSE 0 END) AS risk_critical,
          sum(sign * view_count::numeric) AS views, sum(sign * like_count::numeric) AS likes,
          sum(sign * comment_count::numeric) AS comments, sum(sign * share_count::numeric) AS shares,
          sum(sign * save_count::numeric) AS saves,
          sum(sign * overall_sentiment_score::numeric) AS sentiment_sum, sum(sign * impact_score::numeric) AS impact_sum,
          sum(sign * overall_confidence::numeric) AS confidence_sum
        FROM c GROUP BY project_id, hour, platform
      ) AS d
      -- A re-stored post that changed nothing counted here is a zero delta: no write.
      WHERE (posts, positive, negative, neutral, crisis, seeding, spam, complaint, lead, support, discussion,
          risk_low, risk_medium, risk_high, risk_critical, views, likes, comments, shares, saves,
          sentiment_sum, impact_sum, confidence_sum)
        <> (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
      -- Rows are locked in key order, so concurrent writers cannot deadlock on them.
      ORDER BY project_id, hour, platform
      ON CONFLICT ON CONSTRAINT post_rollup_hourly_key DO UPDATE SET
        posts = r.posts + EXCLUDED.posts, positive = r.positive + EXCLUDED.positive,
        negative = r.negative + EXCLUDED.negative, neutral = r.neutral + EXCLUDED.neutral,
        crisis = r.crisis + EXCLUDED.crisis, seeding = r.seeding + EXCLUDED.seeding, spam = r.spam + EXCLUDED.spam,
        complaint = r.complaint + EXCLUDED.complaint, lead = r.lead + EXCLUDED.lead,
        support = r.support + EXCLUDED.support, discussion = r.discussion + EXCLUDED.discussion,
        risk_low = r.risk_low + EXCLUDED.risk_low, risk_medium = r.risk_medium + EXCLUDED.risk_medium,
        risk_high = r.risk_high + EXCLUDED.risk_high, risk_critical = r.risk_critical + EXCLUDED.risk_critical,
        views = r.views + EXCLUDED.views, likes = r.likes + EXCLUDED.likes, comments = r.comments + EXCLUDED.comments,
        shares = r.shares + EXCLUDED.shares, saves = r.saves + EXCLUDED.saves,
        sentiment_sum = r.sentiment_sum + EXCLUDED.sentiment_sum, impact_sum = r.impact_sum + EXCLUDED.impact_sum,
        confidence_sum = r.confidence_sum + EXCLUDED.confidence_sum
    ), keywords AS (
      INSERT INTO post_keyword_rollup_daily AS r (project_id, day, keyword, aspect, mentions, positive, negative, neutral)
      SELECT * FROM (
        SELECT c.project_id, c.day, k.value->>'keyword' AS keyword, k.value->>'aspect' AS aspect, sum(c.sign) AS mentions,
          sum(CASE WHEN c.overall_sentiment = 'POSITIVE' THEN c.sign ELSE 0 END) AS positive,
          sum(CASE WHEN c.overall_sentiment = 'NEGATIVE' THEN c.sign ELSE 0 END) AS negative,
          sum(CASE WHEN c.overall_sentiment = 'NEUTRAL' THEN c.sign ELSE 0 END) AS neutral
        FROM c CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(c.keywords) = 'array' THEN c.keywords ELSE '[]'::jsonb END) AS k
        WHERE k.value->>'keyword' IS NOT NULL
        GROUP BY 1, 2, 3, 4
      ) AS d
      WHERE (mentions, positive, negative, neutral) <> (0, 0, 0, 0)
      ORDER BY project_id, day, keyword, aspect
      ON CONFLICT ON CONSTRAINT post_keyword_rollup_daily_key DO UPDATE SET
        mentions = r.mentions + EXCLUDED.mentions, positive = r.positive + EXCLUDED.positive,
        negative = r.negative + EXCLUDED.negative, neutral = r.neutral + EXCLUDED.neutral
    )
    INSERT INTO post_aspect_rollup_hourly AS r (project_id, hour, aspect, posts, positive, negative, neutral)
    SELECT * FROM (
      SELECT c.project_id, c.hour, a.key AS aspect, sum(c.sign) AS posts,
        sum(CASE WHEN a.value->>'label' = 'POSITIVE' THEN c.sign ELSE 0 END) AS positive,
        sum(CASE WHEN a.value->>'label' = 'NEGATIVE' THEN c.sign ELSE 0 END) AS negative,
        sum(CASE WHEN a.value->>'label' = 'NEUTRAL' THEN c.sign ELSE 0 END) AS neutral
      FROM c CROSS JOIN LATERAL jsonb_each(CASE WHEN jsonb_typeof(c.aspects_breakdown) = 'object' THEN c.aspects_breakdown ELSE '{}'::jsonb END) AS a
      WHERE jsonb_typeof(a.value) = 'object'
      GROUP BY c.project_id, c.hour, a.key
    ) AS d
    WHERE (posts, positive, negative, neutral) <> (0, 0, 0, 0)
    ORDER BY project_id, hour, aspect
    ON CONFLICT ON CONSTRAINT post_aspect_rollup_hourly_key DO UPDATE SET
      posts = r.posts + EXCLUDED.posts, positive = r.positive + EXCLUDED.positive,
      negative = r.negative + EXCLUDED.negative, neutral = r.neutral + EXCLUDED.neutral
  $sql$, changes, gate)
$body$;

-- The advisory lock key: one per schema, so backfills in different schemas do not wait on each other.
CREATE FUNCTION post_rollup_lock_key() RETURNS bigint LANGUAGE sql STABLE AS $body$
  SELECT hashtextextended(current_schema() || '.post_rollup', 0)
$body$;

-- One trigger function per operation, each with its statement written out (static SQL, so
-- PL/pgSQL caches its plan): until the backfill is done, only the posts at or before its
-- position count, read after waiting for a backfill batch in progress.
CREATE FUNCTION post_rollup_trigger_source(changes text) RETURNS text LANGUAGE sql IMMUTABLE AS $body$
  SELECT format($f$
    DECLARE s post_rollup_state; BEGIN
      SELECT * INTO s FROM post_rollup_state
      ; IF NOT s.done THEN
        PERFORM pg_advisory_xact_lock_shared(post_rollup_lock_key())
        ; SELECT * INTO s FROM post_rollup_state
      ; END IF
      ; %s
      ; RETURN NULL
    ; END
  $f$, post_rollup_sql(changes, '(s.done OR (ch.project_id, ch.platform, ch.id) <= (s.through_project, s.through_platform, s.through_id))'))
$body$;

DO $do$ BEGIN
  EXECUTE format('CREATE FUNCTION post_rollup_after_insert() RETURNS trigger LANGUAGE plpgsql AS %L',
    post_rollup_trigger_source('SELECT 1 AS sign, n.* FROM rollup_new n'))
  ; EXECUTE format('CREATE FUNCTION post_rollup_after_update() RETURNS trigger LANGUAGE plpgsql AS %L',
    post_rollup_trigger_source('SELECT -1 AS sign, o.* FROM rollup_old o UNION ALL SELECT 1, n.* FROM rollup_new n'))
  ; EXECUTE format('CREATE FUNCTION post_rollup_after_delete() RETURNS trigger LANGUAGE plpgsql AS %L',
    post_rollup_trigger_source('SELECT -1 AS sign, o.* FROM rollup_old o'))
; END $do$;

CREATE TRIGGER post_rollup_insert AFTER INSERT ON post_analytics
  REFERENCING NEW TABLE AS rollup_new FOR EACH STATEMENT EXECUTE FUNCTION post_rollup_after_insert();
CREATE TRIGGER post_rollup_update AFTER UPDATE ON post_analytics
  REFERENCING OLD TABLE AS rollup_old NEW TABLE AS rollup_new FOR EACH STATEMENT EXECUTE FUNCTION post_rollup_after_update();
CREATE TRIGGER post_rollup_delete AFTER DELETE ON post_analytics
  REFERENCING OLD TABLE AS rollup_old FOR EACH STATEMENT EXECUTE FUNCTION post_rollup_after_delete();

-- Counts the stored posts past the backfill's position, `batch` posts per transaction, in
-- identity order. Each batch holds the advisory lock exclusively: it waits for writers whose
-- triggers have read the old position to commit, and writers arriving meanwhile wait for it.
-- `max_batches` stops it early (tests). Safe to interrupt and rerun; a no-op once done.
-- Called inside a transaction block (a CALL that is not the block's first statement, so now(),
-- the block's start, differs from statement_timestamp()) it cannot commit: it then counts
-- everything in the caller's transaction. Writers must use READ COMMITTED (the consumer does).
CREATE PROCEDURE post_rollup_backfill(batch integer DEFAULT 5000, max_batches integer DEFAULT NULL) LANGUAGE plpgsql AS $body$
DECLARE s post_rollup_state; last record; n integer := 0; in_block boolean := now() <> statement_timestamp(); BEGIN
  LOOP
    EXIT WHEN n = max_batches
    ; n := n + 1
    ; PERFORM pg_advisory_xact_lock(post_rollup_lock_key())
    ; SELECT * INTO s FROM post_rollup_state
    ; EXIT WHEN s.done
    ; SELECT k.project_id, k.platform, k.id INTO last FROM (
        SELECT p.project_id, p.platform, p.id FROM post_analytics p
        WHERE (p.project_id, p.platform, p.id) > (s.through_project, s.through_platform, s.through_id)
        ORDER BY p.project_id, p.platform, p.id LIMIT batch
      ) AS k ORDER BY k.project_id DESC, k.platform DESC, k.id DESC LIMIT 1
    ; IF NOT FOUND THEN
      UPDATE post_rollup_state SET done = true
      ; EXIT
    ; END IF
    ; EXECUTE post_rollup_sql(format(
        'SELECT 1 AS sign, p.* FROM post_analytics p WHERE (p.project_id, p.platform, p.id) > (%L::uuid, %L, %L) AND (p.project_id, p.platform, p.id) <= (%L::uuid, %L, %L)',
        s.through_project, s.through_platform, s.through_id, last.project_id, last.platform, last.id), 'true')
    ; UPDATE post_rollup_state SET through_project = last.project_id, through_platform = last.platform, through_id = last.id
    ; IF NOT in_block THEN COMMIT
    ; END IF
  ; END LOOP
  ; END
$body$;
