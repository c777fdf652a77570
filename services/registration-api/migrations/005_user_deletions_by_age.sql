-- user_deletions is bounded (docs/operations.md#bounded-storage): the API deletes records older than
-- EVERGREEN_USER_DELETIONS_RETENTION_DAYS, oldest first, in batches; this finds them without a scan.
CREATE INDEX user_deletions_by_age ON user_deletions (deleted_at);
