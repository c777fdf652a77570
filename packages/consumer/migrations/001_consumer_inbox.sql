-- The inbox: which events a Postgres projection has applied, written in the same transaction as
-- the projection's own rows. A redelivered event finds its id here and changes nothing, which
-- makes any projection idempotent, including ones (counters, logs) that have no version to compare.
CREATE TABLE consumer_inbox (
  consumer     text        NOT NULL,
  event_id     uuid        NOT NULL,
  processed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer, event_id)
);
