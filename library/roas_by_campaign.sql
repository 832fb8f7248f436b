-- Return on ad spend: spend from the ad events, sales from the conversions attributed to
-- them, both within the window, grouped by the chosen column.
WITH delivery AS (
    SELECT campaign_id, SUM(impression_cost) AS spend, COUNT(*) AS impressions, 0 AS clicks
    FROM dsp_impressions
    WHERE event_date >= CAST({{ window_start }} AS DATE)
      AND event_date < CAST({{ window_end }} AS DATE)
    GROUP BY campaign_id
    UNION ALL
    SELECT campaign_id, 0, 0, COUNT(*)
    FROM dsp_clicks
    WHERE event_date >= CAST({{ window_start }} AS DATE)
      AND event_date < CAST({{ window_end }} AS DATE)
    GROUP BY campaign_id
    UNION ALL
    SELECT campaign_id, SUM(spend), SUM(impressions), SUM(clicks)
    FROM sponsored_ads_traffic
    WHERE event_date >= CAST({{ window_start }} AS DATE)
      AND event_date < CAST({{ window_end }} AS DATE)
    GROUP BY campaign_id
),
sales AS (
    SELECT campaign_id, SUM(purchases) AS purchases, SUM(product_sales) AS sales
    FROM conversions
    WHERE event_date >= CAST({{ window_start }} AS DATE)
      AND event_date < CAST({{ window_end }} AS DATE)
      AND ({{ attribution_type }} = 'all' OR attribution_type = {{ attribution_type }})
    GROUP BY campaign_id
),
per_campaign AS (
    SELECT
        c.campaign_id,
        c.campaign_name,
        c.channel,
        c.advertiser,
        c.brand,
        COALESCE(d.spend, 0) AS spend,
        COALESCE(d.impressions, 0) AS impressions,
        COALESCE(d.clicks, 0) AS clicks,
        COALESCE(s.purchases, 0) AS purchases,
        COALESCE(s.sales, 0) AS sales
    FROM campaigns AS c
    LEFT JOIN (
        SELECT campaign_id, SUM(spend) AS spend, SUM(impressions) AS impressions,
            SUM(clicks) AS clicks
        FROM delivery
        GROUP BY campaign_id
    ) AS d ON d.campaign_id = c.campaign_id
    LEFT JOIN sales AS s ON s.campaign_id = c.campaign_id
    WHERE ({{ campaign_ids.empty }} OR c.campaign_id IN {{ campaign_ids }})
      AND (d.campaign_id IS NOT NULL OR s.campaign_id IS NOT NULL)
)
SELECT
    {{ group_by }} AS breakdown,
    CAST(SUM(impressions) AS BIGINT) AS impressions,
    CAST(SUM(clicks) AS BIGINT) AS clicks,
    ROUND(SUM(spend), 2) AS spend,
    CAST(SUM(purchases) AS BIGINT) AS purchases,
    ROUND(SUM(sales), 2) AS sales,
    SUM(sales) / NULLIF(SUM(spend), 0) AS roas,
    SUM(spend) / NULLIF(SUM(purchases), 0) AS cost_per_purchase
FROM per_campaign
GROUP BY {{ group_by }}
HAVING SUM(spend) >= {{ min_spend }}
ORDER BY roas DESC NULLS LAST, breakdown
