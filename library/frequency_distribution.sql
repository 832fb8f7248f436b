-- How many times each user saw the ads over the window, bucketed; the last bucket holds
-- every user at or above the cap.
WITH exposures AS (
    SELECT user_id, campaign_id, device
    FROM dsp_impressions
    WHERE event_date >= CAST({{ window_start }} AS DATE)
      AND event_date < CAST({{ window_end }} AS DATE)
      AND {{ source }} IN ('dsp', 'all')
    UNION ALL
    SELECT user_id, campaign_id, NULL AS device
    FROM sponsored_ads_traffic
    WHERE event_date >= CAST({{ window_start }} AS DATE)
      AND event_date < CAST({{ window_end }} AS DATE)
      AND event_type = 'impression'
      AND {{ source }} IN ('sponsored_ads', 'all')
),
per_user AS (
    SELECT user_id, COUNT(*) AS impressions
    FROM exposures
    WHERE ({{ campaign_ids.empty }} OR campaign_id IN {{ campaign_ids }})
      AND ({{ device }} = 'all' OR device = {{ device }})
    GROUP BY user_id
),
buckets AS (
    SELECT
        LEAST(impressions, {{ max_frequency }}) AS frequency,
        COUNT(*) AS users,
        SUM(impressions) AS impressions
    FROM per_user
    GROUP BY 1
)
SELECT
    frequency,
    CASE
        WHEN frequency = {{ max_frequency }} THEN CAST(frequency AS VARCHAR) || '+'
        ELSE CAST(frequency AS VARCHAR)
    END AS frequency_label,
    CAST(users AS BIGINT) AS users,
    CAST(impressions AS BIGINT) AS impressions,
    users / SUM(users) OVER () AS share_of_users,
    CAST(SUM(users) OVER (ORDER BY frequency DESC) AS BIGINT) AS users_at_or_above
FROM buckets
ORDER BY frequency
