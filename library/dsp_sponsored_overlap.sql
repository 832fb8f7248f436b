-- People reached by DSP only, by sponsored ads only, or by both, and how often each group
-- bought: the overlap analysis AMC is known for.
WITH dsp_users AS (
    SELECT DISTINCT i.user_id
    FROM dsp_impressions AS i
    JOIN campaigns AS c ON c.campaign_id = i.campaign_id
    WHERE i.event_date >= CAST({{ window_start }} AS DATE)
      AND i.event_date < CAST({{ window_end }} AS DATE)
      AND ({{ brand }} = 'all' OR c.brand = {{ brand }})
),
sponsored_users AS (
    SELECT DISTINCT t.user_id
    FROM sponsored_ads_traffic AS t
    JOIN campaigns AS c ON c.campaign_id = t.campaign_id
    WHERE t.event_date >= CAST({{ window_start }} AS DATE)
      AND t.event_date < CAST({{ window_end }} AS DATE)
      AND (t.event_type = 'click' OR NOT {{ sponsored_clicks_only }})
      AND ({{ brand }} = 'all' OR c.brand = {{ brand }})
),
reached AS (
    SELECT
        COALESCE(d.user_id, s.user_id) AS user_id,
        CASE
            WHEN d.user_id IS NOT NULL AND s.user_id IS NOT NULL THEN 'DSP and sponsored ads'
            WHEN d.user_id IS NOT NULL THEN 'DSP only'
            ELSE 'Sponsored ads only'
        END AS audience
    FROM dsp_users AS d
    FULL OUTER JOIN sponsored_users AS s ON s.user_id = d.user_id
),
buyers AS (
    SELECT v.user_id, SUM(v.purchases) AS purchases, SUM(v.product_sales) AS sales
    FROM conversions AS v
    JOIN campaigns AS c ON c.campaign_id = v.campaign_id
    WHERE v.event_date >= CAST({{ window_start }} AS DATE)
      AND v.event_date < CAST({{ window_end }} AS DATE)
      AND ({{ brand }} = 'all' OR c.brand = {{ brand }})
    GROUP BY v.user_id
)
SELECT
    r.audience,
    COUNT(*) AS users,
    COUNT(b.user_id) AS buyers,
    COUNT(b.user_id) / COUNT(*) AS conversion_rate,
    CAST(COALESCE(SUM(b.purchases), 0) AS BIGINT) AS purchases,
    ROUND(COALESCE(SUM(b.sales), 0), 2) AS sales,
    COALESCE(SUM(b.sales), 0) / COUNT(*) AS sales_per_user,
    COUNT(*) / SUM(COUNT(*)) OVER () AS share_of_users
FROM reached AS r
LEFT JOIN buyers AS b ON b.user_id = r.user_id
GROUP BY r.audience
ORDER BY r.audience
