-- golden_shop as the multi-database backup holds it (state 0). Deterministic: no clock, no random().
SET client_min_messages = warning;
CREATE SCHEMA shop AUTHORIZATION golden_owner;
SET ROLE golden_owner;
SET search_path = shop;

CREATE TYPE order_state AS ENUM ('open', 'paid', 'shipped', 'cancelled');
CREATE DOMAIN money_cents AS bigint CHECK (VALUE >= 0);

CREATE TABLE customer (
    id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text NOT NULL,
    email text UNIQUE,
    note text,
    avatar bytea
);
COMMENT ON TABLE customer IS 'people who buy';

CREATE TABLE product (
    sku text PRIMARY KEY CHECK (sku ~ '^[A-Z]{3}-[0-9]{4}$'),
    title text NOT NULL,
    price money_cents NOT NULL,
    tags text[] NOT NULL DEFAULT '{}',
    attributes jsonb
);

CREATE TABLE "order" (
    id bigserial PRIMARY KEY,
    customer_id integer NOT NULL REFERENCES customer (id),
    state order_state NOT NULL DEFAULT 'open',
    placed date NOT NULL
);
CREATE INDEX order_by_customer ON "order" (customer_id, placed);

CREATE TABLE order_line (
    order_id bigint NOT NULL REFERENCES "order" (id) ON DELETE CASCADE,
    sku text NOT NULL REFERENCES product (sku),
    quantity integer NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (order_id, sku)
);

-- A partitioned table: the parent holds no rows, the partitions do.
CREATE TABLE event (
    at date NOT NULL,
    kind text NOT NULL,
    detail text
) PARTITION BY RANGE (at);
CREATE TABLE event_2025 PARTITION OF event FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE event_2026 PARTITION OF event FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');

-- Big enough (several MiB as a dump) to be cut into more than one chunk at the smallest chunk size.
CREATE TABLE ledger (
    entry integer PRIMARY KEY,
    account text NOT NULL,
    amount numeric(12, 2) NOT NULL,
    memo text NOT NULL
);

CREATE VIEW open_orders AS
    SELECT o.id, c.name, o.placed FROM "order" o JOIN customer c ON c.id = o.customer_id WHERE o.state = 'open';

CREATE FUNCTION order_total(order_id bigint) RETURNS bigint LANGUAGE sql STABLE AS $$
    SELECT coalesce(sum(l.quantity * p.price), 0)::bigint
    FROM shop.order_line l JOIN shop.product p ON p.sku = l.sku WHERE l.order_id = $1
$$;

CREATE FUNCTION no_price_cut() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.price < OLD.price / 2 THEN
        RAISE EXCEPTION 'price of % cut by more than half', OLD.sku;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER product_price_guard BEFORE UPDATE OF price ON product FOR EACH ROW EXECUTE FUNCTION no_price_cut();

INSERT INTO customer (name, email, note, avatar) VALUES
    ('Ada Lovelace', 'ada@example.org', 'first customer', '\x89504e470d0a1a0a0000000d49484452'),
    ('Grace Hopper', 'grace@example.org', E'tab\there, newline\nthere', '\x00ff00ff'),
    ('Zoë Ünïcode', NULL, 'ü ß ∑ 😀 漢字', NULL),
    ('Backslash \ Quote '' "Double"', 'odd@example.org', '', '\x');

INSERT INTO product VALUES
    ('ABC-0001', 'Lifeboat', 129900, '{boat,safety}', '{"seats": 12, "colour": "orange"}'),
    ('ABC-0002', 'Oar', 4900, '{boat}', '{"length_cm": 210}'),
    ('XYZ-0100', 'Life vest', 7900, '{safety,"with space"}', NULL),
    ('XYZ-0200', 'Flare', 1200, '{}', '{"nested": {"a": [1, 2, null]}}');

INSERT INTO "order" (customer_id, state, placed) VALUES
    (1, 'paid', '2026-01-15'), (1, 'open', '2026-02-01'), (2, 'shipped', '2025-12-24'), (3, 'open', '2026-03-03');
INSERT INTO order_line VALUES (1, 'ABC-0001', 1), (1, 'ABC-0002', 2), (2, 'XYZ-0100', 12), (3, 'XYZ-0200', 6),
    (4, 'ABC-0002', 1);

INSERT INTO event VALUES ('2025-06-01', 'import', 'catalogue loaded'), ('2026-01-15', 'sale', 'order 1'),
    ('2026-02-01', 'sale', NULL);

INSERT INTO ledger
SELECT i, 'acct-' || (i % 997), ((i * 7919) % 100000) / 100.0,
       'entry ' || i || ' of the golden ledger, batch ' || (i / 1000)
FROM generate_series(1, 40000) AS i;

SELECT setval('order_id_seq', 1000);

RESET ROLE;
GRANT USAGE ON SCHEMA shop TO golden_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA shop TO golden_reader;
GRANT SELECT, UPDATE (note) ON shop.customer TO golden_clerk;
REVOKE ALL ON FUNCTION shop.order_total(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION shop.order_total(bigint) TO golden_reader;

-- A large object, owned by the shop's owner.
SELECT lo_from_bytea(77001, convert_to('the golden large object' || repeat(' .', 100), 'UTF8'));
ALTER LARGE OBJECT 77001 OWNER TO golden_owner;
COMMENT ON LARGE OBJECT 77001 IS 'a brochure';
