-- The activity log's own tables. Each event is written in the transaction that records its id in
-- consumer_inbox, so a redelivered event (a crash before the commit, a replay) changes nothing.

-- One row per user event, in the order the user's events were committed (by version).
CREATE TABLE user_activity (
  event_id    uuid        PRIMARY KEY,
  -- text, not uuid: the key is whatever the writer used as aggregate id.
  user_id     text        NOT NULL,
  event_type  text        NOT NULL,
  version     bigint      NOT NULL,
  occurred_at timestamptz NOT NULL,
  -- The W3C trace id of the write that caused the event, when it had one.
  trace_id    text,
  recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX user_activity_by_user ON user_activity (user_id, version);

-- Events per UTC day and type. A counter has no version to compare, so only the inbox keeps a
-- redelivery from counting twice.
CREATE TABLE user_activity_daily (
  day        date   NOT NULL,
  event_type text   NOT NULL,
  events     bigint NOT NULL,
  PRIMARY KEY (day, event_type)
);
