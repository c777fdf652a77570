-- The active generation of each PostgreSQL projection (docs/operations.md#rebuild). A rebuild fills
-- the next generation's own tables from offset 0, then moves the pointer and the readers' views in
-- one transaction. Every batch a projection's consumer applies first takes a shared advisory lock
-- the switch takes exclusively, then reads its row, so a consumer of a generation that is no
-- longer active never writes again (it is fenced), and the switch waits for batches in flight.
-- A projection without a row is at generation 1.
CREATE TABLE projection_generation (
  projection  text        PRIMARY KEY,
  generation  integer     NOT NULL CHECK (generation >= 1),
  switched_at timestamptz NOT NULL DEFAULT now()
);
