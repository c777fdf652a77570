-- The registration service's own state. Every change bumps `version`, in the same transaction
-- as the outbox row, so each event of one user carries a strictly higher version than the last.
CREATE TABLE users (
  id         uuid        PRIMARY KEY,
  email      text        NOT NULL,
  name       text        NOT NULL,
  avatar_url text,
  version    bigint      NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Emails are unique regardless of case: Ada@Example.com and ada@example.com are one user.
CREATE UNIQUE INDEX users_email_key ON users (lower(email));
