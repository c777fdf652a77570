-- Where `npm run backfill` has got to, per aggregate type: it emits the rows in id order and moves
-- this checkpoint in the same transaction as each batch's outbox rows, so a backfill stopped at any
-- point resumes after the last batch that committed, neither skipping nor repeating one.
CREATE TABLE backfill_checkpoints (
  aggregate_type text        PRIMARY KEY,
  last_id        text,
  emitted        bigint      NOT NULL DEFAULT 0,
  started_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  finished_at    timestamptz
);
