CREATE TABLE campaigns AS
SELECT c.campaign_id, c.campaign_name, c.channel, b.advertiser, b.brand, c.start_date,
    c.end_date
FROM rb_campaigns AS c JOIN rb_brands AS b USING (brand_number) ORDER BY c.campaign_id;
CREATE TABLE asins AS
SELECT a.asin, a.product_name, b.brand, a.category, CAST(a.price AS DECIMAL(10, 2)) AS price
FROM rb_asins AS a JOIN rb_brands AS b USING (brand_number) ORDER BY a.asin;
CREATE TABLE creatives AS
SELECT
    r.campaign_id || '0' || r.k AS creative_id,
    r.campaign_id,
    c.campaign_name || ' - ' || replace(r.format, '_', ' ') || ' ' || r.k AS creative_name,
    r.format
FROM rb_creatives AS r JOIN rb_campaigns AS c USING (campaign_id) ORDER BY creative_id;
