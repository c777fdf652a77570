-- The outbox: one row per event, written in the same transaction as the business change.
-- Column names are the ones Debezium's outbox EventRouter reads by default
-- (id, aggregatetype, aggregateid, type, payload), so the connector config stays short.
CREATE TABLE outbox (
  id               uuid        PRIMARY KEY,
  aggregatetype    text        NOT NULL,
  aggregateid      text        NOT NULL,
  type             text        NOT NULL,
  -- Avro in the Confluent wire format; NULL becomes a Kafka tombstone for the aggregate's key.
  payload          bytea,
  -- Carried as a Kafka header, so even a tombstone tells which version it deletes.
  aggregateversion bigint      NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now()
);

-- Written by Debezium's heartbeat.action.query. Being in the publication, its changes reach
-- the connector even when the outbox is idle, so the replication slot advances and WAL is freed.
CREATE TABLE debezium_heartbeat (
  id      integer     PRIMARY KEY,
  beat_at timestamptz NOT NULL
);

-- The connector reads exactly these two tables (connect-config/outbox-connector.json: publication.name).
CREATE PUBLICATION evergreen_outbox FOR TABLE outbox, debezium_heartbeat;
