-- The outbox library deletes each row in the transaction that inserted it (the table stays empty),
-- and the relay needs only the insert: the EventRouter drops delete events. Published, every delete
-- went through logical decoding, Debezium and the router for nothing, half the relay's work
-- (docs/performance.md). Updates stay published for debezium_heartbeat's upsert, which moves the
-- slot forward when the outbox is quiet; outbox rows are never updated.
ALTER PUBLICATION evergreen_outbox SET (publish = 'insert, update');
