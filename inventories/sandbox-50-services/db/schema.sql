-- The 50-service estate's own database (sandbox_seed.rds.schema_file): one table per service's data, kept small.
CREATE TABLE services (id serial PRIMARY KEY, name text UNIQUE NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
INSERT INTO services (name) SELECT 'svc' || lpad(n::text, 2, '0') FROM generate_series(1, 49) AS n;
