-- One row per day over the window, all campaigns together.
SELECT
    day,
    CAST(SUM(impressions) AS BIGINT) AS impressions,
    CAST(SUM(clicks) AS BIGINT) AS clicks,
    CAST(SUM(spend) AS DOUBLE) AS spend,
    CAST(SUM(sales) AS DOUBLE) AS sales
FROM campaign_daily
WHERE day >= {{ window_start }}
  AND day < {{ window_end }}
GROUP BY day
ORDER BY day
