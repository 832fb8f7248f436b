CREATE TEMP MACRO rb_sa_events(first_day, last_day) AS TABLE
WITH events AS (
    SELECT day, n, number, campaign_id, channel, brand_number, creatives, ctr, cost, events,
        unnest(range(chunk_start, least(chunk_start + {chunk}, events))) AS i
    FROM rb_event_chunks
    WHERE channel <> 'dsp' AND day BETWEEN first_day AND last_day
), drawn AS (
    SELECT *, hash(n, number, i) AS h, hash(n, number, i, 2) AS h2 FROM events
), placed AS (
    SELECT
        e.*,
        100000000 + CAST(floor({users} * (0.3 + 0.7 * pow(rb_unit(hash(h, 1)), 1.5))) AS BIGINT)
            AS user_id,
        rb_ts(n, rb_secs((i + rb_u(h, 0)) / events)) AS ts,
        least(creatives, CASE WHEN rb_u(h, 1) < 0.5 THEN 1 WHEN rb_u(h, 1) < 0.8 THEN 2 ELSE 3 END)
            AS k,
        CAST(floor(b.asin_count * pow(rb_u(h, 2), 1.6)) AS INTEGER) AS asin_index,
        CAST(floor(8 * rb_u(h2, 0)) AS INTEGER) AS keyword_index
    FROM drawn AS e JOIN rb_brands AS b USING (brand_number)
), clicked AS (
    SELECT
        *,
        rb_u(h2, 1) < ctr * rb_creative_lift('0' || k) AS is_click,
        least(ts + to_seconds(CAST(3 + floor(90 * rb_u(h2, 2)) AS BIGINT)),
              CAST(day AS TIMESTAMP) + INTERVAL 86399 SECOND) AS click_ts
    FROM placed
), typed AS (
    SELECT *, unnest(CASE WHEN is_click THEN ['impression', 'click'] ELSE ['impression'] END)
        AS event_type
    FROM clicked
)
SELECT
    CASE event_type WHEN 'click' THEN click_ts ELSE ts END AS event_ts,
    day AS event_date,
    user_id,
    t.campaign_id,
    channel,
    t.campaign_id || '0' || k AS creative_id,
    a.asin,
    CASE WHEN channel <> 'sponsored_display' THEN kw.keyword END AS keyword,
    CASE WHEN channel <> 'sponsored_display' THEN
        ['exact', 'phrase', 'broad', 'broad'][1 + CAST(floor(4 * rb_u(h2, 3)) AS INTEGER)]
    END AS match_type,
    CASE WHEN channel <> 'sponsored_display' THEN kw.keyword ||
        ['', '', '', '', ' best', ' on sale', ' gift', ' cheap', ' for kids', ' reviews'][
            1 + CAST(hash(h2, 3) % 10 AS INTEGER)]
    END AS search_term,
    event_type,
    CAST(event_type = 'impression' AS INTEGER) AS impressions,
    CAST(event_type = 'click' AS INTEGER) AS clicks,
    CASE
        WHEN channel = 'sponsored_display' AND event_type = 'impression'
            THEN round(cost / 1000 * (0.7 + 0.6 * rb_u(h2, 2)), 6)
        WHEN channel <> 'sponsored_display' AND event_type = 'click'
            THEN round(cost * (0.6 + 0.8 * rb_u(h2, 2)), 2)
        ELSE 0
    END AS spend
FROM typed AS t
JOIN rb_asins AS a USING (brand_number, asin_index)
JOIN rb_keywords AS kw ON kw.brand_number = t.brand_number AND kw.keyword_index = t.keyword_index
