-- Attributed purchases per product: units, sales, buyers and how they were won.
SELECT
    a.asin,
    a.product_name,
    a.brand,
    a.category,
    CAST(SUM(c.purchases) AS BIGINT) AS purchases,
    CAST(SUM(c.units_sold) AS BIGINT) AS units_sold,
    ROUND(SUM(c.product_sales), 2) AS sales,
    COUNT(DISTINCT c.user_id) AS buyers,
    COUNT(*) FILTER (WHERE c.attribution_type = 'click') AS click_purchases,
    COUNT(*) FILTER (WHERE c.attribution_type = 'view') AS view_purchases,
    SUM(c.purchases) FILTER (WHERE c.new_to_brand) / NULLIF(SUM(c.purchases), 0) AS ntb_share,
    SUM(c.product_sales) / NULLIF(SUM(c.units_sold), 0) AS average_unit_price
FROM conversions AS c
JOIN asins AS a ON a.asin = c.asin
WHERE c.event_date >= CAST({{ window_start }} AS DATE)
  AND c.event_date < CAST({{ window_end }} AS DATE)
  AND ({{ purchased_since }} IS NULL OR c.event_date >= {{ purchased_since }})
  AND ({{ asins.empty }} OR c.asin IN {{ asins }})
  AND ({{ category }} = 'all' OR a.category = {{ category }})
GROUP BY a.asin, a.product_name, a.brand, a.category
ORDER BY sales DESC, a.asin
LIMIT {{ top_n }}
