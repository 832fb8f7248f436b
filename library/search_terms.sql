-- Shoppers' search terms that triggered sponsored ads: traffic and cost per term.
SELECT
    t.search_term,
    t.keyword,
    t.match_type,
    CAST(SUM(t.impressions) AS BIGINT) AS impressions,
    CAST(SUM(t.clicks) AS BIGINT) AS clicks,
    ROUND(SUM(t.spend), 2) AS spend,
    SUM(t.clicks) / NULLIF(SUM(t.impressions), 0) AS ctr,
    SUM(t.spend) / NULLIF(SUM(t.clicks), 0) AS cpc,
    COUNT(DISTINCT t.user_id) AS users
FROM sponsored_ads_traffic AS t
WHERE t.event_date >= CAST({{ window_start }} AS DATE)
  AND t.event_date < CAST({{ window_end }} AS DATE)
  AND t.search_term IS NOT NULL
  AND ({{ match_type }} = 'all' OR t.match_type = {{ match_type }})
  AND ({{ campaign_ids.empty }} OR t.campaign_id IN {{ campaign_ids }})
GROUP BY t.search_term, t.keyword, t.match_type
HAVING SUM(t.clicks) >= {{ min_clicks }}
ORDER BY clicks DESC, t.search_term, t.match_type
LIMIT {{ top_n }}
