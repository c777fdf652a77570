-- When the event happened: the connector makes it the Kafka record's timestamp
-- (transforms.outbox.table.field.event.timestamp), so consumers can measure commit-to-apply
-- latency. clock_timestamp(), not now(): now() is the transaction's start, while the outbox
-- insert is the transaction's last statement, as close to its commit as SQL can see.
-- UTC without a time zone, in milliseconds: Debezium then hands the router an epoch-millisecond
-- Timestamp, the type it accepts for a record timestamp (timestamptz would arrive as a string).
ALTER TABLE outbox ADD COLUMN occurred_at timestamp(3) NOT NULL DEFAULT (clock_timestamp() AT TIME ZONE 'UTC');

-- The W3C trace context (traceparent) of the request that caused the event, when one was active;
-- the relay carries it as a header so a consumer's work joins the same trace. The name is the
-- column Debezium's EventRouter reads for tracing by default.
ALTER TABLE outbox ADD COLUMN tracingspancontext text;
