-- From reach to purchase: distinct users at each stage and the rate from the stage before.
WITH chosen AS (
    SELECT campaign_id
    FROM campaigns
    WHERE ({{ channel }} = 'all' OR channel = {{ channel }})
      AND ({{ campaign_ids.empty }} OR campaign_id IN {{ campaign_ids }})
),
impressions AS (
    SELECT user_id FROM dsp_impressions
    WHERE event_date >= CAST({{ window_start }} AS DATE)
      AND event_date < CAST({{ window_end }} AS DATE)
      AND campaign_id IN (SELECT campaign_id FROM chosen)
    UNION ALL
    SELECT user_id FROM sponsored_ads_traffic
    WHERE event_date >= CAST({{ window_start }} AS DATE)
      AND event_date < CAST({{ window_end }} AS DATE)
      AND event_type = 'impression'
      AND campaign_id IN (SELECT campaign_id FROM chosen)
),
clicks AS (
    SELECT user_id FROM dsp_clicks
    WHERE event_date >= CAST({{ window_start }} AS DATE)
      AND event_date < CAST({{ window_end }} AS DATE)
      AND campaign_id IN (SELECT campaign_id FROM chosen)
    UNION ALL
    SELECT user_id FROM sponsored_ads_traffic
    WHERE event_date >= CAST({{ window_start }} AS DATE)
      AND event_date < CAST({{ window_end }} AS DATE)
      AND event_type = 'click'
      AND campaign_id IN (SELECT campaign_id FROM chosen)
),
purchases AS (
    SELECT user_id, purchases FROM conversions
    WHERE event_date >= CAST({{ window_start }} AS DATE)
      AND event_date < CAST({{ window_end }} AS DATE)
      AND campaign_id IN (SELECT campaign_id FROM chosen)
),
stages AS (
    SELECT 1 AS stage_number, 'Reached' AS stage, COUNT(DISTINCT user_id) AS users,
        COUNT(*) AS events
    FROM impressions
    UNION ALL
    SELECT 2, 'Clicked', COUNT(DISTINCT user_id), COUNT(*) FROM clicks
    UNION ALL
    SELECT 3, 'Purchased', COUNT(DISTINCT user_id), COALESCE(SUM(purchases), 0) FROM purchases
)
SELECT
    stage_number,
    stage,
    users,
    CAST(events AS BIGINT) AS events,
    users / NULLIF(lag(users) OVER (ORDER BY stage_number), 0) AS rate_from_previous,
    users / NULLIF(first_value(users) OVER (ORDER BY stage_number), 0) AS rate_from_reach
FROM stages
ORDER BY stage_number
