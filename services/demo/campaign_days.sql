CREATE TEMP TABLE rb_campaign_days AS
SELECT
    d.day, d.n, c.*,
    CAST(round(c.daily_events * {scale} * d.season
        * CASE WHEN c.channel = 'dsp' THEN d.dsp_week ELSE d.sa_week END
        * (0.85 + 0.3 * rb_unit(hash(d.n, c.number, 101)))) AS BIGINT) AS events
FROM rb_days AS d
JOIN rb_campaigns AS c ON d.day >= c.start_date AND (c.end_date IS NULL OR d.day <= c.end_date)
ORDER BY d.day, c.number;
-- DuckDB runs a scan on several threads only when it spans several row groups: cut each
-- campaign-day into small runs of events so the generators below use every core.
CREATE TEMP TABLE rb_event_chunks AS
SELECT *, unnest(range(0, events, {chunk})) AS chunk_start
FROM rb_campaign_days
ORDER BY day, number, chunk_start;
