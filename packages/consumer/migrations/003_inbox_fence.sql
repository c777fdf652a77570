-- Pruning the inbox (docs/operations.md#bounded-storage). An inbox row is kept for a window, then
-- deleted; what it proved ("this event was applied") must outlive it, because a compacted topic
-- keeps each key's newest record forever and a replay from offset 0 delivers its id again. So each
-- row carries its record's key and version, and pruning folds what it deletes into the key's fence:
-- the highest version of that key whose rows were pruned. An event whose id is not in the inbox is
-- applied only if its version is above its key's fence. Events of one key arrive in version order
-- (one partition, commit order), so an event at or below the fence is one already applied.
--
-- Rows written before this migration have no key: pruning leaves them (they no longer grow).
ALTER TABLE consumer_inbox
  -- The main topic of the record (a replay read from <topic>.retry counts as <topic>).
  ADD COLUMN topic             text,
  ADD COLUMN aggregate_id      text,
  ADD COLUMN aggregate_version bigint;

-- The pruning job reads each consumer's oldest rows first.
CREATE INDEX consumer_inbox_by_age ON consumer_inbox (consumer, processed_at);

-- One row per key whose inbox rows were pruned: bounded by the keys, as the compacted topic is.
CREATE TABLE consumer_inbox_fence (
  consumer     text        NOT NULL,
  topic        text        NOT NULL,
  aggregate_id text        NOT NULL,
  version      bigint      NOT NULL,
  fenced_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer, topic, aggregate_id)
);
