import { Effect } from "effect"
import { SqlClient } from "effect/sql/SqlClient"

/** Project number n (0-based) as a UUID. */
export const projectId = (n: number) => `00000000-0000-4000-8000-${n.toString(16).padStart(12, "0")}`

/**
 * Seeds `rows` posts over `projects` projects in one generate_series statement. Rows arrive in
 * runs of 50 per project, as crawler batches do, so a project's rows share heap pages the way
 * they do in production. Published times spread over the 30 days before `now`; one post in 20
 * is HIGH, one in 50 CRITICAL; each has one aspect. Each post's keywords go to post_keywords in the same statement,
 * as the writer's do (analyticsRepository.ts, WRITE_ANALYTICS_SQL).
 */
export const seedPosts = (options: {
  readonly rows: number
  readonly projects: number
  readonly now: string
  readonly offset?: number
  readonly analyze?: boolean
}) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient
    yield* sql.unsafe(
      `WITH seeded AS (INSERT INTO post_analytics (id, project_id, platform, published_at, analyzed_at, crawled_at, overall_sentiment,
        overall_sentiment_score, overall_confidence, primary_intent, intent_confidence, impact_score, risk_level, is_viral,
        is_kol, aspects_breakdown, keywords, sentiment_probabilities, impact_breakdown, view_count, like_count, comment_count,
        share_count, save_count, follower_count, processing_time_ms, model_version, job_id, batch_index, task_type,
        keyword_source, pipeline_version, fetch_status, brand_name, keyword, content_text, permalink, author_id, author_name,
        author_username, author_is_verified, hashtags)
      SELECT (7000000000000000000 + g)::text,
        ('00000000-0000-4000-8000-' || lpad(to_hex((g / 50) % $2), 12, '0'))::uuid,
        CASE WHEN g % 3 = 0 THEN 'YOUTUBE' ELSE 'TIKTOK' END,
        $3::timestamptz - ((g * 7919) % 43200) * interval '1 minute',
        $3::timestamptz, $3::timestamptz,
        (ARRAY['POSITIVE', 'NEGATIVE', 'NEUTRAL'])[1 + (g / 7) % 3],
        ((g % 200) - 100) / 100.0, 0.8,
        (ARRAY['CRISIS', 'SEEDING', 'SPAM', 'COMPLAINT', 'LEAD', 'SUPPORT', 'DISCUSSION'])[1 + (g / 11) % 7], 0.7,
        ((g * 37) % 10000) / 100.0,
        CASE WHEN g % 50 = 0 THEN 'CRITICAL' WHEN g % 20 = 0 THEN 'HIGH' WHEN g % 5 = 0 THEN 'MEDIUM' ELSE 'LOW' END,
        g % 40 = 0, g % 25 = 0,
        jsonb_build_object((ARRAY['PRICE', 'DESIGN', 'PERFORMANCE', 'SERVICE'])[1 + g % 4],
          jsonb_build_object('label', (ARRAY['POSITIVE', 'NEGATIVE', 'NEUTRAL'])[1 + (g / 13) % 3], 'score', 0.5, 'confidence', 0.8, 'mentions', 1, 'keywords', '[]'::jsonb)),
        jsonb_build_array(jsonb_build_object('keyword', (ARRAY['giá', 'thiết kế', 'pin', 'sạc', 'bảo hành', 'showroom'])[1 + g % 6],
          'aspect', (ARRAY['PRICE', 'DESIGN', 'PERFORMANCE', 'PERFORMANCE', 'SERVICE', 'SERVICE'])[1 + g % 6], 'score', 1, 'source', 'dictionary')),
        '{"POSITIVE": 0.3, "NEGATIVE": 0.3, "NEUTRAL": 0.4}'::jsonb,
        '{"engagement_score": 12, "reach_score": 2.5, "platform_multiplier": 1, "sentiment_amplifier": 1.1, "raw_impact": 33}'::jsonb,
        g % 100000, g % 1000, g % 100, g % 10, g % 10, g % 60000, 1.5, 'seed', 'job-' || (g / 50), (g / 50) % 12,
        'research_and_crawl', 'VinFast VF8', 'seed', 'success', (ARRAY['VinFast', 'Toyota'])[1 + (g / 50) % 2], 'VinFast VF8',
        'post ' || g, NULL, 'a' || (g % 5000), 'author', 'author', false, '[]'::jsonb
      FROM generate_series($4::bigint + 1, $4::bigint + $1) AS g
      RETURNING project_id, platform, id, published_at, keywords)
      INSERT INTO post_keywords (published_at, ord, project_id, platform, post_id, keyword, aspect)
      SELECT s.published_at, e.ord, s.project_id, s.platform, s.id, e.k->>'keyword', e.k->>'aspect'
      FROM seeded s CROSS JOIN LATERAL jsonb_array_elements(s.keywords) WITH ORDINALITY AS e(k, ord)`,
      [options.rows, options.projects, options.now, options.offset ?? 0]
    )
    if (options.analyze !== false) yield* sql`ANALYZE post_analytics, post_keywords`
  })
