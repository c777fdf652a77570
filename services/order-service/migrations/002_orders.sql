-- Orders, owned by this service. The user is checked against user_replica when the order is placed;
-- there is no foreign key: the users live in another service's database.
CREATE TABLE orders (
  id           uuid        PRIMARY KEY,
  user_id      uuid        NOT NULL,
  status       text        NOT NULL CHECK (status IN ('PLACED', 'CANCELLED')),
  -- [{ sku, quantity, unitPriceCents }], as the events carry them.
  items        jsonb       NOT NULL,
  total_cents  bigint      NOT NULL,
  currency     text        NOT NULL,
  version      bigint      NOT NULL,
  placed_at    timestamptz NOT NULL DEFAULT now(),
  cancelled_at timestamptz
);

CREATE INDEX orders_by_user ON orders (user_id);
