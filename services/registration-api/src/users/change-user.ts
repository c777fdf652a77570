import type pg from 'pg';
import type { Outbox } from '@evergreen/outbox';
import { withTransaction } from '@evergreen/platform';
import { USER_COLUMNS, userDeleted, userFromRow, UserNotFoundError, userProfileUpdated, VersionMismatchError, type User, type UserRow } from '@evergreen/user-aggregate';

export interface ProfileChanges {
  name?: string;
  /** null removes the avatar. */
  avatarUrl?: string | null;
}

/**
 * The versions a change may apply to (the ones its If-Match names), or undefined: whichever the
 * user is at (If-Match `*`, or none on a deletion).
 */
export type ExpectedVersions = readonly number[] | undefined;

/**
 * Locks the user's row for the rest of the transaction and checks the version the client last
 * saw: concurrent changes to one user are serialised, and a stale one is refused, not merged.
 */
async function lockUser(tx: pg.ClientBase, userId: string, expected: ExpectedVersions): Promise<User> {
  const { rows } = await tx.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE id = $1 FOR UPDATE`, [userId]);
  const row = rows[0];
  if (!row) throw new UserNotFoundError(userId);
  const user = userFromRow(row);
  if (expected !== undefined && !expected.includes(user.version)) throw new VersionMismatchError(userId, expected, user.version);
  return user;
}

/** Changes the profile and publishes UserProfileUpdated with the new state, on `tx`, inside the caller's transaction. */
export async function updateProfileIn(tx: pg.ClientBase, outbox: Outbox, userId: string, expected: ExpectedVersions, changes: ProfileChanges): Promise<User> {
  const current = await lockUser(tx, userId, expected);
  const { rows } = await tx.query<UserRow>(
    `UPDATE users SET name = $2, avatar_url = $3, version = version + 1, updated_at = now() WHERE id = $1 RETURNING ${USER_COLUMNS}`,
    [userId, changes.name ?? current.name, changes.avatarUrl === undefined ? current.avatarUrl : changes.avatarUrl],
  );
  const user = userFromRow(rows[0] as UserRow);
  await outbox.publish(tx, userProfileUpdated(user));
  return user;
}

/** Changes the profile and publishes UserProfileUpdated with the new state, in ONE transaction. */
export async function updateProfile(pool: pg.Pool, outbox: Outbox, userId: string, expected: ExpectedVersions, changes: ProfileChanges): Promise<User> {
  return withTransaction(pool, (tx) => updateProfileIn(tx, outbox, userId, expected, changes));
}

/**
 * Deletes the user and publishes UserDeleted, on `tx`, inside the caller's transaction. The
 * deletion gets a version of its own (one past the last), so consumers can tell it apart from,
 * and order it after, every earlier event. Returns that version.
 */
export async function deleteUserIn(tx: pg.ClientBase, outbox: Outbox, userId: string, expected?: ExpectedVersions): Promise<number> {
  const current = await lockUser(tx, userId, expected);
  await tx.query('DELETE FROM users WHERE id = $1', [userId]);
  const deletionVersion = current.version + 1;
  await tx.query('INSERT INTO user_deletions (id, version) VALUES ($1, $2)', [userId, deletionVersion]);
  await outbox.publish(tx, userDeleted(userId, deletionVersion));
  return deletionVersion;
}

/** Deletes the user and publishes UserDeleted, in ONE transaction; returns the deletion's version. */
export async function deleteUser(pool: pg.Pool, outbox: Outbox, userId: string, expected?: ExpectedVersions): Promise<number> {
  return withTransaction(pool, (tx) => deleteUserIn(tx, outbox, userId, expected));
}
