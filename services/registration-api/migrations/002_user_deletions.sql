-- A deleted user leaves its row here, written in the deleting transaction: the deletion's version
-- (one past the user's last) and when it happened. It is how `npm run verify` tells a user that was
-- deleted (its cache entry, if present, is resurrected) from one that never existed (an orphan),
-- and how `npm run repair` re-emits a deletion at the version consumers must fence on.
CREATE TABLE user_deletions (
  id         uuid        PRIMARY KEY,
  version    bigint      NOT NULL,
  deleted_at timestamptz NOT NULL DEFAULT now()
);
