-- DSP users sit in the lower 70% of the pool, sponsored-ads users in the upper 70%; the
-- heaviest users of each are in the 40% both share.
CREATE TEMP MACRO rb_dsp_events(first_day, last_day) AS TABLE
WITH events AS (
    SELECT day, n, number, campaign_id, creatives, cost, events,
        unnest(range(chunk_start, least(chunk_start + {chunk}, events))) AS i
    FROM rb_event_chunks
    WHERE channel = 'dsp' AND day BETWEEN first_day AND last_day
), drawn AS (
    SELECT *, hash(n, number, i) AS h FROM events
), placed AS (
    SELECT
        *,
        100000000 + CAST(floor({users} * 0.7 * (1 - pow(rb_unit(hash(h, 1)), 1.5))) AS BIGINT)
            AS user_id,
        least(creatives, CASE WHEN rb_u(h, 1) < 0.5 THEN 1 WHEN rb_u(h, 1) < 0.8 THEN 2 ELSE 3 END)
            AS k
    FROM drawn
)
SELECT
    rb_ts(n, rb_secs((i + rb_u(h, 0)) / events)) AS event_ts,
    day AS event_date,
    user_id,
    campaign_id,
    campaign_id || '0' || k AS creative_id,
    rb_device(user_id) AS device,
    round(cost / 1000 * (0.7 + 0.6 * rb_u(h, 2)), 6) AS impression_cost
FROM placed
