CREATE TABLE campaign_daily AS
WITH delivery AS (
    SELECT event_date, campaign_id, count(*) AS impressions, 0 AS clicks,
        sum(impression_cost) AS spend
    FROM dsp_impressions GROUP BY ALL
    UNION ALL
    SELECT event_date, campaign_id, 0, count(*), 0 FROM dsp_clicks GROUP BY ALL
    UNION ALL
    SELECT event_date, campaign_id, sum(impressions), sum(clicks), sum(spend)
    FROM sponsored_ads_traffic GROUP BY ALL
), sales AS (
    SELECT event_date, campaign_id, 0 AS impressions, 0 AS clicks, 0 AS spend,
        sum(purchases) AS purchases, sum(units_sold) AS units_sold,
        sum(product_sales) AS product_sales,
        count(*) FILTER (WHERE new_to_brand) AS ntb_purchases
    FROM conversions GROUP BY ALL
), combined AS (
    SELECT *, 0 AS purchases, 0 AS units_sold, 0 AS product_sales, 0 AS ntb_purchases
    FROM delivery
    UNION ALL BY NAME SELECT * FROM sales
)
SELECT
    event_date, campaign_id, c.campaign_name, c.channel, c.advertiser,
    CAST(sum(impressions) AS BIGINT) AS impressions,
    CAST(sum(clicks) AS BIGINT) AS clicks,
    CAST(round(sum(spend), 2) AS DECIMAL(14, 2)) AS spend,
    CAST(sum(purchases) AS BIGINT) AS purchases,
    CAST(sum(units_sold) AS BIGINT) AS units_sold,
    CAST(round(sum(product_sales), 2) AS DECIMAL(14, 2)) AS product_sales,
    CAST(sum(ntb_purchases) AS BIGINT) AS ntb_purchases
FROM combined JOIN campaigns AS c USING (campaign_id)
GROUP BY ALL
ORDER BY event_date, campaign_id
