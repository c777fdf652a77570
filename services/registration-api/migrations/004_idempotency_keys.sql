-- Idempotency-Key (docs/api.md, "Retrying writes safely"): the answer a write gave, recorded in the
-- write's own transaction, so a retry with the same key gets that answer instead of a second write.
-- A row exists only once its write committed, never without its answer, and the write never
-- without its row: both commit, or neither does. A refusal (404, 409, 412) wrote nothing and is not
-- kept (docs/api.md).
CREATE TABLE idempotency_keys (
  key         text        PRIMARY KEY,
  -- sha256 of the request the key was first used for: method, path, canonical body, If-Match.
  fingerprint text        NOT NULL,
  -- Method and path again in clear, for whoever looks at a row.
  method      text        NOT NULL,
  path        text        NOT NULL,
  -- The answer: status, the headers that make it (content-type, location, etag), the body (null: none).
  status      smallint    NOT NULL,
  headers     json        NOT NULL,
  body        json,
  created_at  timestamptz NOT NULL DEFAULT now(),
  -- After this the key is free again: lookups ignore the row, a new use replaces it, the sweep deletes it.
  expires_at  timestamptz NOT NULL
);

-- The API's sweep deletes expired rows oldest first, in bounded batches.
CREATE INDEX idempotency_keys_expires_at ON idempotency_keys (expires_at);
