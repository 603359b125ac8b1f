-- golden_shop as the pinned backup holds it (state 1): state 0 and this.
SET ROLE golden_owner;
SET search_path = shop;
INSERT INTO customer (name, email) VALUES ('Katherine Johnson', 'katherine@example.org');
UPDATE "order" SET state = 'paid' WHERE id = 2;
INSERT INTO order_line VALUES (2, 'ABC-0001', 1);
DELETE FROM product WHERE sku = 'XYZ-0200' AND NOT EXISTS (SELECT 1 FROM order_line WHERE sku = 'XYZ-0200');
UPDATE ledger SET memo = memo || ' (audited)' WHERE entry > 39990; -- the last rows: the chunks before them are shared
ALTER TABLE product ADD COLUMN discontinued boolean NOT NULL DEFAULT false;
