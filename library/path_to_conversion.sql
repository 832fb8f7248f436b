-- The channels each buyer met before a purchase, in order: the ad events of the same user
-- within the lookback before the conversion (and inside the window), repeats of a channel
-- in a row merged, the last steps kept.
WITH conv AS (
    SELECT
        row_number() OVER (ORDER BY event_ts, user_id, campaign_id, asin) AS conversion_id,
        user_id,
        event_ts,
        product_sales
    FROM conversions
    WHERE event_date >= CAST({{ window_start }} AS DATE)
      AND event_date < CAST({{ window_end }} AS DATE)
),
touches AS (
    SELECT user_id, event_ts, 'DSP' AS step
    FROM dsp_impressions
    WHERE event_date >= CAST({{ window_start }} AS DATE)
      AND event_date < CAST({{ window_end }} AS DATE)
      AND {{ include_impressions }}
    UNION ALL
    SELECT user_id, event_ts, 'DSP'
    FROM dsp_clicks
    WHERE event_date >= CAST({{ window_start }} AS DATE)
      AND event_date < CAST({{ window_end }} AS DATE)
    UNION ALL
    SELECT
        user_id,
        event_ts,
        CASE channel
            WHEN 'sponsored_products' THEN 'Sponsored Products'
            WHEN 'sponsored_brands' THEN 'Sponsored Brands'
            ELSE 'Sponsored Display'
        END
    FROM sponsored_ads_traffic
    WHERE event_date >= CAST({{ window_start }} AS DATE)
      AND event_date < CAST({{ window_end }} AS DATE)
      AND (event_type = 'click' OR {{ include_impressions }})
),
matched AS (
    SELECT c.conversion_id, t.event_ts, t.step
    FROM conv AS c
    JOIN touches AS t
      ON t.user_id = c.user_id
     AND t.event_ts <= c.event_ts
     AND t.event_ts > c.event_ts - to_days({{ lookback_days }})
),
changes AS (
    SELECT
        conversion_id,
        event_ts,
        step,
        step IS DISTINCT FROM lag(step) OVER (PARTITION BY conversion_id ORDER BY event_ts)
            AS is_new_step
    FROM matched
),
last_steps AS (
    SELECT
        conversion_id,
        event_ts,
        step,
        row_number() OVER (PARTITION BY conversion_id ORDER BY event_ts DESC) AS from_end
    FROM changes
    WHERE is_new_step
),
paths AS (
    SELECT conversion_id, string_agg(step, ' > ' ORDER BY event_ts) AS path, COUNT(*) AS steps
    FROM last_steps
    WHERE from_end <= {{ max_steps }}
    GROUP BY conversion_id
)
SELECT
    COALESCE(p.path, '(no ad event in the lookback)') AS path,
    COALESCE(p.steps, 0) AS steps,
    COUNT(*) AS conversions,
    ROUND(SUM(c.product_sales), 2) AS sales,
    COUNT(*) / SUM(COUNT(*)) OVER () AS share_of_conversions
FROM conv AS c
LEFT JOIN paths AS p ON p.conversion_id = c.conversion_id
GROUP BY 1, 2
ORDER BY conversions DESC, path
LIMIT {{ top_n }}
