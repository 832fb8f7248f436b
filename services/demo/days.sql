CREATE TEMP TABLE rb_days AS
WITH days AS (
    SELECT CAST($lead_first AS DATE) + CAST(i AS INTEGER) AS day FROM range($day_count) AS r(i)
)
SELECT
    day,
    CAST(day - DATE '1970-01-01' AS BIGINT) AS n,
    -- DSP reaches more people at the weekend; shoppers search less on Saturdays.
    [0.96, 0.97, 0.98, 1.0, 1.04, 1.22, 1.28][isodow(day)] AS dsp_week,
    [1.08, 1.04, 1.02, 1.0, 0.94, 0.84, 1.0][isodow(day)] AS sa_week,
    [0.82, 0.86, 0.95, 0.96, 1.0, 1.0, 1.08, 1.0, 0.98, 1.08, 1.42, 1.6][month(day)]
    * CASE
        WHEN month(day) = 7 AND day(day) BETWEEN 8 AND 12 THEN 1.6          -- Prime Day
        WHEN (month(day) = 11 AND day(day) >= 22) OR (month(day) = 12 AND day(day) <= 2)
            THEN 1.5                                                         -- Cyber week
        WHEN month(day) = 12 AND day(day) BETWEEN 24 AND 26 THEN 0.8
        ELSE 1.0
      END AS season
FROM days
