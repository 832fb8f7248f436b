-- Credit each purchase to the last impression of the same campaign the buyer saw before
-- it (an ASOF join), then rank the creatives.
WITH purchases AS (
    SELECT user_id, campaign_id, event_ts, purchases, product_sales, new_to_brand
    FROM conversions
    WHERE event_date >= CAST({{ window_start }} AS DATE)
      AND event_date < CAST({{ window_end }} AS DATE)
),
touches AS (
    SELECT user_id, campaign_id, creative_id, event_ts
    FROM dsp_impressions
    WHERE event_date >= CAST({{ window_start }} AS DATE)
      AND event_date < CAST({{ window_end }} AS DATE)
    UNION ALL
    SELECT user_id, campaign_id, creative_id, event_ts
    FROM sponsored_ads_traffic
    WHERE event_date >= CAST({{ window_start }} AS DATE)
      AND event_date < CAST({{ window_end }} AS DATE)
      AND event_type = 'impression'
),
delivery AS (
    SELECT creative_id, COUNT(*) AS impressions
    FROM touches
    GROUP BY creative_id
),
buyer_touches AS (
    -- Only buyers' impressions can be credited: a much smaller side for the ASOF join.
    SELECT * FROM touches WHERE user_id IN (SELECT user_id FROM purchases)
),
credited AS (
    SELECT t.creative_id, p.purchases, p.product_sales, p.new_to_brand
    FROM purchases AS p
    ASOF JOIN buyer_touches AS t
      ON t.user_id = p.user_id
     AND t.campaign_id = p.campaign_id
     AND p.event_ts >= t.event_ts
)
SELECT
    r.creative_id,
    r.creative_name,
    r.format,
    c.campaign_name,
    c.channel,
    d.impressions,
    CAST(SUM(x.purchases) AS BIGINT) AS purchases,
    ROUND(SUM(x.product_sales), 2) AS sales,
    COUNT(*) FILTER (WHERE x.new_to_brand) AS ntb_purchases,
    1000.0 * SUM(x.purchases) / NULLIF(d.impressions, 0) AS purchases_per_1000_impressions
FROM credited AS x
JOIN creatives AS r ON r.creative_id = x.creative_id
JOIN campaigns AS c ON c.campaign_id = r.campaign_id
LEFT JOIN delivery AS d ON d.creative_id = r.creative_id
WHERE ({{ format }} = 'all' OR r.format = {{ format }})
  AND contains(lower(c.campaign_name), lower(COALESCE({{ campaign_name }}, '')))
GROUP BY r.creative_id, r.creative_name, r.format, c.campaign_name, c.channel, d.impressions
ORDER BY purchases DESC, r.creative_id
LIMIT {{ top_n }}
