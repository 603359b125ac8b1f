-- golden_shop as the verified backup (and the safety backup taken before the restore) hold it (state 2):
-- states 0 and 1, and this.
SET ROLE golden_owner;
SET search_path = shop;
UPDATE product SET discontinued = true, price = 4500 WHERE sku = 'ABC-0002';
DELETE FROM order_line WHERE order_id = 4;
DELETE FROM "order" WHERE id = 4;
INSERT INTO event VALUES ('2026-11-30', 'stocktake', 'all counted');
INSERT INTO ledger SELECT i, 'acct-new', i / 100.0, 'late entry ' || i FROM generate_series(40001, 40100) AS i;
CREATE INDEX ledger_by_account ON ledger (account);
