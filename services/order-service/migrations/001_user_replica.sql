-- The order service's replica of the users: only what an order needs to know, kept by its own
-- consumer group on the user topic (src/replica). A row is a live user at its newest version.
CREATE TABLE user_replica (
  id            uuid        PRIMARY KEY,
  email         text        NOT NULL,
  name          text        NOT NULL,
  version       bigint      NOT NULL,
  replicated_at timestamptz NOT NULL DEFAULT now()
);

-- A deleted user leaves the replica; its deletion's version stays here, so an older event read
-- again later (a rebalance, a replay) cannot bring the user back. Never forgotten, unlike a
-- tombstone on the compacted topic.
CREATE TABLE user_replica_deletions (
  id      uuid   PRIMARY KEY,
  version bigint NOT NULL
);
