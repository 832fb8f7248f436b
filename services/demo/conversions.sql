-- Each ad event may lead to a purchase up to ATTRIBUTION_DAYS later: clicks often and soon,
-- views rarely and later. Halo purchases buy another product of the same brand.
CREATE TABLE conversions AS
WITH touches AS (
    SELECT 'view' AS attribution_type, event_ts, event_date, user_id, campaign_id,
        creative_id, NULL AS asin FROM dsp_impressions
    UNION ALL SELECT 'view', event_ts, event_date, user_id, campaign_id, creative_id, NULL
        FROM rb_dsp_lead
    UNION ALL SELECT 'click', event_ts, event_date, user_id, campaign_id, creative_id, NULL
        FROM rb_dsp_clicks
    UNION ALL SELECT CASE event_type WHEN 'click' THEN 'click' ELSE 'view' END,
        event_ts, event_date, user_id, campaign_id, creative_id, asin
        FROM (SELECT * FROM sponsored_ads_traffic UNION ALL SELECT * FROM rb_sa_lead)
        WHERE event_type = 'click' OR channel = 'sponsored_display'
), converted AS (
    SELECT t.*, c.brand_number, c.ntb_rate, hash(t.user_id, t.event_ts, t.campaign_id, 31) AS h
    FROM touches AS t JOIN rb_campaigns AS c USING (campaign_id)
    WHERE rb_unit(hash(t.user_id, t.event_ts, t.campaign_id, t.creative_id, 21))
        < CASE t.attribution_type WHEN 'click' THEN c.click_cvr ELSE c.view_cvr END
          * rb_creative_lift(t.creative_id) * rb_user_lift(t.user_id) * rb_buy_week(t.event_date)
), timed AS (
    SELECT
        *,
        event_ts + to_seconds(CAST(floor(
            pow(rb_u(h, 0), CASE attribution_type WHEN 'click' THEN 4.0 ELSE 2.2 END)
            * ({window_seconds} - 1 - epoch(event_ts - CAST(event_date AS TIMESTAMP)))
        ) AS BIGINT)) AS conversion_ts,
        CASE WHEN asin IS NOT NULL AND rb_u(h, 1) < 0.75 THEN NULL
            ELSE CAST(floor(b.asin_count * pow(rb_u(h, 2), 1.6)) AS INTEGER)
        END AS bought_index
    FROM converted JOIN rb_brands AS b USING (brand_number)
)
SELECT
    t.conversion_ts AS event_ts,
    CAST(t.conversion_ts AS DATE) AS event_date,
    t.user_id,
    t.campaign_id,
    coalesce(a.asin, t.asin) AS asin,
    t.attribution_type,
    CAST(CAST(t.conversion_ts AS DATE) - t.event_date AS INTEGER) AS conversion_lag_days,
    1 AS purchases,
    CAST(units AS INTEGER) AS units_sold,
    round(units * p.price, 2) AS product_sales,
    rb_u(t.h, 3) < t.ntb_rate AS new_to_brand
FROM (SELECT *, 1 + (rb_u(hash(h, 4), 0) < 0.22)::INTEGER + (rb_u(hash(h, 4), 1) < 0.06)::INTEGER
      AS units FROM timed) AS t
LEFT JOIN rb_asins AS a ON a.brand_number = t.brand_number AND a.asin_index = t.bought_index
JOIN rb_asins AS p ON p.asin = coalesce(a.asin, t.asin)
WHERE CAST(t.conversion_ts AS DATE) BETWEEN $first_day AND $last_day
ORDER BY event_ts, user_id, campaign_id
