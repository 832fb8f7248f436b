-- One row per campaign over the window: delivery, cost and return.
SELECT
    campaign_id,
    campaign_name,
    CAST(SUM(impressions) AS BIGINT) AS impressions,
    CAST(SUM(clicks) AS BIGINT) AS clicks,
    CAST(SUM(spend) AS DOUBLE) AS spend,
    CAST(SUM(sales) AS DOUBLE) AS sales,
    CAST(SUM(clicks) AS DOUBLE) / NULLIF(SUM(impressions), 0) AS ctr,
    CAST(SUM(spend) AS DOUBLE) / NULLIF(SUM(clicks), 0) AS cpc,
    CAST(SUM(sales) AS DOUBLE) / NULLIF(SUM(spend), 0) AS roas
FROM campaign_daily
WHERE day >= {{ window_start }}
  AND day < {{ window_end }}
GROUP BY campaign_id, campaign_name
HAVING SUM(impressions) >= {{ min_impressions }}
ORDER BY spend DESC, campaign_id
