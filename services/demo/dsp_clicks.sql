CREATE TEMP TABLE rb_dsp_clicks AS
SELECT
    least(i.event_ts + to_seconds(CAST(3 + floor(120 * rb_u(h, 1)) AS BIGINT)),
          CAST(i.event_date AS TIMESTAMP) + INTERVAL 86399 SECOND) AS event_ts,
    i.event_date, i.user_id, i.campaign_id, i.creative_id, i.device
FROM (
    SELECT *, hash(user_id, event_ts, campaign_id, creative_id, 11) AS h
    FROM (SELECT * FROM dsp_impressions UNION ALL SELECT * FROM rb_dsp_lead)
) AS i
JOIN rb_campaigns AS c USING (campaign_id)
WHERE rb_u(i.h, 0) < c.ctr * rb_creative_lift(i.creative_id)
ORDER BY event_ts
