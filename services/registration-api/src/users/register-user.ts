import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { Outbox } from '@evergreen/outbox';
import { withTransaction } from '@evergreen/platform';
import { USER_COLUMNS, userFromRow, userRegistered, type User, type UserRow } from '@evergreen/user-aggregate';

export interface RegistrationInput {
  email: string;
  name: string;
  avatarUrl?: string | null;
}

export class EmailTakenError extends Error {
  constructor(readonly email: string) {
    super(`a user with email ${email} is already registered`);
    this.name = 'EmailTakenError';
  }
}

const UNIQUE_VIOLATION = '23505';
/** The unique index on lower(email), from migrations/001_users.sql. */
const EMAIL_UNIQUE_INDEX = 'users_email_key';

/** Only a clash on the email index means the email is taken; any other unique violation is a fault. */
function isEmailTaken(error: unknown): boolean {
  const { code, constraint } = (error ?? {}) as { code?: string; constraint?: string };
  return code === UNIQUE_VIOLATION && constraint === EMAIL_UNIQUE_INDEX;
}

/**
 * Inserts the user and its UserRegistered event on `tx`, inside the caller's transaction; a clash
 * on the email is an EmailTakenError (the transaction is then aborted: roll it back, or back to a
 * savepoint taken before).
 */
export async function registerUserIn(tx: pg.ClientBase, outbox: Outbox, input: RegistrationInput): Promise<User> {
  let rows: UserRow[];
  try {
    ({ rows } = await tx.query<UserRow>(
      `INSERT INTO users (id, email, name, avatar_url, version) VALUES ($1, $2, $3, $4, 1)
       RETURNING ${USER_COLUMNS}`,
      [randomUUID(), input.email, input.name, input.avatarUrl ?? null],
    ));
  } catch (error) {
    if (isEmailTaken(error)) throw new EmailTakenError(input.email);
    throw error;
  }
  const user = userFromRow(rows[0] as UserRow);
  await outbox.publish(tx, userRegistered(user));
  return user;
}

/**
 * Inserts the user and its UserRegistered event in ONE transaction: both commit, or neither
 * does. The event reaches Kafka only through Debezium reading the committed outbox row.
 */
export async function registerUser(pool: pg.Pool, outbox: Outbox, input: RegistrationInput): Promise<User> {
  return withTransaction(pool, (tx) => registerUserIn(tx, outbox, input));
}
