-- New-to-brand purchases (the buyer's first of the brand in a year) and their share.
WITH purchases AS (
    SELECT
        c.purchases,
        c.product_sales,
        c.new_to_brand,
        p.campaign_name,
        p.channel,
        a.brand,
        a.category
    FROM conversions AS c
    JOIN campaigns AS p ON p.campaign_id = c.campaign_id
    JOIN asins AS a ON a.asin = c.asin
    WHERE c.event_date >= CAST({{ window_start }} AS DATE)
      AND c.event_date < CAST({{ window_end }} AS DATE)
      AND ({{ campaign_ids.empty }} OR c.campaign_id IN {{ campaign_ids }})
)
SELECT
    {{ group_by }} AS breakdown,
    CAST(SUM(purchases) AS BIGINT) AS purchases,
    CAST(SUM(purchases) FILTER (WHERE new_to_brand) AS BIGINT) AS ntb_purchases,
    CAST(SUM(purchases) FILTER (WHERE NOT new_to_brand) AS BIGINT) AS repeat_purchases,
    ROUND(SUM(product_sales), 2) AS sales,
    ROUND(COALESCE(SUM(product_sales) FILTER (WHERE new_to_brand), 0), 2) AS ntb_sales,
    SUM(purchases) FILTER (WHERE new_to_brand) / NULLIF(SUM(purchases), 0) AS ntb_share,
    SUM(product_sales) FILTER (WHERE new_to_brand) / NULLIF(SUM(product_sales), 0)
        AS ntb_sales_share
FROM purchases
GROUP BY {{ group_by }}
ORDER BY ntb_purchases DESC NULLS LAST, breakdown
