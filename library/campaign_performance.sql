-- One row per campaign over the window: delivery, cost and attributed sales, read from the
-- small campaign_daily aggregate (so the query takes milliseconds).
SELECT
    campaign_id,
    campaign_name,
    channel,
    CAST(SUM(impressions) AS BIGINT) AS impressions,
    CAST(SUM(clicks) AS BIGINT) AS clicks,
    CAST(SUM(spend) AS DOUBLE) AS spend,
    CAST(SUM(purchases) AS BIGINT) AS purchases,
    CAST(SUM(product_sales) AS DOUBLE) AS sales,
    CAST(SUM(clicks) AS DOUBLE) / NULLIF(SUM(impressions), 0) AS ctr,
    CAST(SUM(spend) AS DOUBLE) / NULLIF(SUM(clicks), 0) AS cpc,
    CAST(SUM(product_sales) AS DOUBLE) / NULLIF(SUM(spend), 0) AS roas
FROM campaign_daily
WHERE event_date >= CAST({{ window_start }} AS DATE)
  AND event_date < CAST({{ window_end }} AS DATE)
  AND ({{ channel }} = 'all' OR channel = {{ channel }})
  AND contains(lower(campaign_name), lower(COALESCE({{ campaign_name }}, '')))
GROUP BY campaign_id, campaign_name, channel
HAVING SUM(impressions) >= {{ min_impressions }}
ORDER BY spend DESC, campaign_id
