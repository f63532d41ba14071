-- The sandbox application's schema and data, loaded into the primary right after the seeder creates it.
-- Deterministic (no random()): every sandbox starts with the same rows, so counts and checksums can be compared.
CREATE TABLE customers (
    id          integer PRIMARY KEY,
    email       text NOT NULL UNIQUE,
    full_name   text NOT NULL,
    country     char(2) NOT NULL,
    created_at  timestamptz NOT NULL
);
CREATE TABLE products (
    id           integer PRIMARY KEY,
    sku          text NOT NULL UNIQUE,
    name         text NOT NULL,
    price_cents  integer NOT NULL CHECK (price_cents > 0),
    stock        integer NOT NULL CHECK (stock >= 0)
);
CREATE TABLE orders (
    id           bigserial PRIMARY KEY,
    customer_id  integer NOT NULL REFERENCES customers (id),
    status       text NOT NULL CHECK (status IN ('placed', 'paid', 'shipped', 'delivered', 'cancelled')),
    total_cents  bigint NOT NULL DEFAULT 0,
    placed_at    timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE order_items (
    order_id          bigint NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    line_no           smallint NOT NULL,
    product_id        integer NOT NULL REFERENCES products (id),
    quantity          integer NOT NULL CHECK (quantity > 0),
    unit_price_cents  integer NOT NULL,
    PRIMARY KEY (order_id, line_no)
);
CREATE INDEX orders_customer_idx ON orders (customer_id);
CREATE INDEX orders_placed_at_idx ON orders (placed_at);

INSERT INTO customers
SELECT g, format('customer%s@shop.example', g), format('Customer %s', g),
       (ARRAY['US', 'GB', 'DE', 'FR', 'JP', 'BR', 'IN', 'CA'])[1 + (g * 7) % 8],
       timestamptz '2025-01-01 00:00:00+00' + (g * interval '7 hours')
FROM generate_series(1, 1000) AS g;

INSERT INTO products
SELECT g, format('SKU-%s', lpad(g::text, 5, '0')), format('Product %s', g), 199 + (g * 7919) % 20000,
       (g * 31) % 500
FROM generate_series(1, 200) AS g;

INSERT INTO orders (id, customer_id, status, placed_at)
SELECT g, 1 + (g * 7907) % 1000,
       (ARRAY['placed', 'paid', 'shipped', 'delivered', 'cancelled'])[1 + (g * 13) % 5],
       timestamptz '2026-01-01 00:00:00+00' + (g * interval '97 minutes')
FROM generate_series(1, 3000) AS g;
SELECT setval('orders_id_seq', 3000);

INSERT INTO order_items
SELECT o, l, 1 + (o * 37 + l * 101) % 200, 1 + (o + l) % 4, 0
FROM generate_series(1, 3000) AS o, generate_series(1, 1 + o % 4) AS l;
UPDATE order_items i SET unit_price_cents = p.price_cents FROM products p WHERE p.id = i.product_id;
UPDATE orders o SET total_cents = t.total
FROM (SELECT order_id, sum(quantity * unit_price_cents) AS total FROM order_items GROUP BY order_id) t
WHERE t.order_id = o.id;
ANALYZE;
