-- Delivery per day or week across the chosen channels and campaigns.
SELECT
    CAST(date_trunc({{ grain }}, event_date) AS DATE) AS period,
    CAST(SUM(impressions) AS BIGINT) AS impressions,
    CAST(SUM(clicks) AS BIGINT) AS clicks,
    CAST(SUM(spend) AS DOUBLE) AS spend,
    CAST(SUM(clicks) AS DOUBLE) / NULLIF(SUM(impressions), 0) AS ctr,
    1000 * CAST(SUM(spend) AS DOUBLE) / NULLIF(SUM(impressions), 0) AS cpm
FROM campaign_daily
WHERE event_date >= CAST({{ window_start }} AS DATE)
  AND event_date < CAST({{ window_end }} AS DATE)
  AND ({{ channels.empty }} OR channel IN {{ channels }})
  AND ({{ campaign_ids.empty }} OR campaign_id IN {{ campaign_ids }})
GROUP BY period
ORDER BY period
