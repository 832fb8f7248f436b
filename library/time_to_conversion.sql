-- Days from the attributed ad event to the purchase, split by clicks and views.
WITH lags AS (
    SELECT
        c.conversion_lag_days,
        COUNT(*) FILTER (WHERE c.attribution_type = 'click') AS click_conversions,
        COUNT(*) FILTER (WHERE c.attribution_type = 'view') AS view_conversions,
        COUNT(*) AS conversions,
        SUM(c.product_sales) AS sales
    FROM conversions AS c
    WHERE c.event_date >= CAST({{ window_start }} AS DATE)
      AND c.event_date < CAST({{ window_end }} AS DATE)
      AND ({{ attribution_type }} = 'all' OR c.attribution_type = {{ attribution_type }})
      AND (NOT {{ new_to_brand_only }} OR c.new_to_brand)
      AND ({{ campaign_ids.empty }} OR c.campaign_id IN {{ campaign_ids }})
    GROUP BY c.conversion_lag_days
)
SELECT
    conversion_lag_days,
    CAST(click_conversions AS BIGINT) AS click_conversions,
    CAST(view_conversions AS BIGINT) AS view_conversions,
    CAST(conversions AS BIGINT) AS conversions,
    ROUND(sales, 2) AS sales,
    conversions / SUM(conversions) OVER () AS share_of_conversions,
    SUM(conversions) OVER (ORDER BY conversion_lag_days) / SUM(conversions) OVER ()
        AS cumulative_share
FROM lags
ORDER BY conversion_lag_days
