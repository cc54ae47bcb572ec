-- Tables of §4. Every timestamp is timestamptz (stored as UTC instants); counts are bigint
-- because view counts exceed 2^31; breakdowns are jsonb so dashboards can query into them.

-- Column order is physical layout, not the §4 listing: fixed-width NOT NULL columns first (no
-- alignment padding, reached at cached offsets), short enums next, long text and jsonb last.
CREATE TABLE post_analytics (
  analyzed_at             timestamptz      NOT NULL,
  overall_sentiment_score double precision NOT NULL,
  overall_confidence      double precision NOT NULL,
  intent_confidence       double precision NOT NULL,
  impact_score            double precision NOT NULL,
  view_count              bigint           NOT NULL DEFAULT 0,
  like_count              bigint           NOT NULL DEFAULT 0,
  comment_count           bigint           NOT NULL DEFAULT 0,
  share_count             bigint           NOT NULL DEFAULT 0,
  save_count              bigint           NOT NULL DEFAULT 0,
  follower_count          bigint           NOT NULL DEFAULT 0,
  processing_time_ms      double precision NOT NULL DEFAULT 0,
  is_viral                boolean          NOT NULL,
  is_kol                  boolean          NOT NULL,
  author_is_verified      boolean          NOT NULL DEFAULT false,
  platform                text             NOT NULL,
  overall_sentiment       text             NOT NULL CHECK (overall_sentiment IN ('POSITIVE', 'NEGATIVE', 'NEUTRAL')),
  primary_intent          text             NOT NULL CHECK (primary_intent IN ('CRISIS', 'SEEDING', 'SPAM', 'COMPLAINT', 'LEAD', 'SUPPORT', 'DISCUSSION')),
  risk_level              text             NOT NULL CHECK (risk_level IN ('LOW', 'MEDIUM', 'HIGH', 'CRITICAL')),
  id                      text             NOT NULL,
  project_id              uuid             NULL,
  published_at            timestamptz      NULL,
  crawled_at              timestamptz      NULL,
  batch_index             integer          NULL,
  fetch_status            text             NOT NULL,
  model_version           text             NOT NULL,
  job_id                  text             NULL,
  task_type               text             NULL,
  keyword_source          text             NULL,
  pipeline_version        text             NULL,
  brand_name              text             NULL,
  keyword                 text             NULL,
  author_id               text             NULL,
  author_name             text             NULL,
  author_username         text             NULL,
  permalink               text             NULL,
  content_text            text             NOT NULL,
  aspects_breakdown       jsonb            NOT NULL,
  keywords                jsonb            NOT NULL,
  sentiment_probabilities jsonb            NOT NULL,
  impact_breakdown        jsonb            NOT NULL,
  hashtags                jsonb            NOT NULL,
  -- A dry run has no project: two dry runs of the same post must still be one row.
  CONSTRAINT post_analytics_identity UNIQUE NULLS NOT DISTINCT (project_id, platform, id)
);

CREATE TABLE crawl_errors (
  content_id     text        NOT NULL,
  project_id     uuid        NULL,
  job_id         text        NULL,
  platform       text        NOT NULL,
  error_code     text        NOT NULL,
  error_category text        NOT NULL CHECK (error_category IN ('rate_limiting', 'content', 'network', 'parsing', 'media', 'storage', 'processing', 'generic')),
  error_message  text        NULL,
  error_details  jsonb       NULL,
  permalink      text        NULL,
  created_at     timestamptz NOT NULL,
  -- Redelivery of a batch must not add a second row for the same failed item.
  CONSTRAINT crawl_errors_identity UNIQUE NULLS NOT DISTINCT (content_id, project_id, platform, job_id)
);

CREATE TABLE batch_ledger (
  object_path      text        PRIMARY KEY,
  event_id         text        NULL,
  project_id       uuid        NULL,
  job_id           text        NULL,
  platform         text        NOT NULL,
  batch_index      integer     NULL,
  expected_size    integer     NULL,
  actual_size      integer     NOT NULL CHECK (actual_size >= 0),
  stored_count     integer     NOT NULL CHECK (stored_count >= 0),
  skipped_count    integer     NOT NULL CHECK (skipped_count >= 0),
  error_count      integer     NOT NULL CHECK (error_count >= 0),
  status           text        NOT NULL CHECK (status IN ('completed', 'failed')),
  first_attempt_at timestamptz NOT NULL,
  last_attempt_at  timestamptz NOT NULL,
  attempts         integer     NOT NULL DEFAULT 1 CHECK (attempts >= 1),
  failure_reason   text        NULL
);
