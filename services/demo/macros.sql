-- Uniform [0, 1) numbers from a hash: the 16-bit slice k (0..3), or all 53 top bits.
CREATE TEMP MACRO rb_u(h, k) AS ((h >> (16 * k)) & 65535) / 65536.0;
CREATE TEMP MACRO rb_unit(h) AS (h >> 11) / 9007199254740992.0;
-- Seconds into the day for a uniform x, denser in the evening (a monotone warp of x).
CREATE TEMP MACRO rb_secs(x) AS least(86399, greatest(0, floor(86400 * (
    x - 0.6 / (2 * pi()) * (sin(2 * pi() * (x - 0.83)) + sin(2 * pi() * 0.83))))));
CREATE TEMP MACRO rb_ts(n, secs) AS
    make_timestamp(n * 86400000000 + CAST(secs AS BIGINT) * 1000000);
CREATE TEMP MACRO rb_device(user_id) AS
    [ 'mobile', 'mobile', 'mobile', 'mobile', 'mobile', 'desktop', 'desktop', 'desktop',
      'tablet', 'connected_tv'][1 + CAST(hash(user_id, 5) % 10 AS INTEGER)];
-- Users who see both DSP and sponsored ads convert more often.
CREATE TEMP MACRO rb_user_lift(user_id) AS
    CASE WHEN user_id - 100000000 BETWEEN {overlap_low} AND {overlap_high} THEN 1.5 ELSE 1.0 END;
-- Purchases lean to the weekend.
CREATE TEMP MACRO rb_buy_week(d) AS [1.05, 0.97, 0.95, 0.97, 1.0, 1.25, 1.3][isodow(d)];
CREATE TEMP MACRO rb_creative_lift(creative_id) AS
    [1.0, 1.3, 0.75][CAST(right(creative_id, 1) AS INTEGER)];
