-- The average day of each weekday over the window: the weekly rhythm of delivery.
WITH days AS (
    SELECT
        event_date,
        SUM(impressions) AS impressions,
        SUM(clicks) AS clicks,
        SUM(spend) AS spend
    FROM campaign_daily
    WHERE event_date >= CAST({{ window_start }} AS DATE)
      AND event_date < CAST({{ window_end }} AS DATE)
      AND ({{ channel }} = 'all' OR channel = {{ channel }})
    GROUP BY event_date
)
SELECT
    isodow(event_date) AS weekday_number,
    dayname(event_date) AS weekday,
    COUNT(*) AS days,
    AVG(impressions) AS avg_impressions,
    AVG(clicks) AS avg_clicks,
    CAST(AVG(spend) AS DOUBLE) AS avg_spend,
    SUM(clicks) / NULLIF(SUM(impressions), 0) AS ctr
FROM days
GROUP BY 1, 2
ORDER BY 1
