import type pg from 'pg';
import { USER_COLUMNS, userFromRow, type User, type UserRow } from './user.ts';

/** What PostgreSQL says a user is now: live at a version, or deleted at the deletion's version. */
export type UserState = { id: string; version: number; deleted: false; user: User } | { id: string; version: number; deleted: true };

/** A live user's state in the shape the checks compare: times as epoch milliseconds. */
export interface LiveUserFields {
  email: string;
  name: string;
  avatarUrl: string | null;
  registeredAt: number;
  updatedAt: number;
}

export function liveFields(user: User): LiveUserFields {
  return { email: user.email, name: user.name, avatarUrl: user.avatarUrl, registeredAt: Date.parse(user.registeredAt), updatedAt: Date.parse(user.updatedAt) };
}

interface DeletionRow {
  id: string;
  version: string;
}

// Canonical text only, as PostgreSQL writes a uuid and the user aggregate's key format requires:
// an upper-case spelling in a read model is an entry no user's event can ever address.
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Whether an id is one a user can have; anything else names no user (and would make a query on the uuid column fail). */
export const isPossibleUserId = (id: string): boolean => UUID.test(id);

/** Ids a uuid column could hold, in the user aggregate's spelling. */
export const possibleUserIds = (ids: readonly string[]) => ids.filter(isPossibleUserId);

function collect(live: UserRow[], deleted: DeletionRow[]): Map<string, UserState> {
  const states = new Map<string, UserState>();
  for (const row of deleted) states.set(row.id, { id: row.id, version: Number(row.version), deleted: true });
  for (const row of live) {
    const user = userFromRow(row);
    states.set(user.id, { id: user.id, version: user.version, deleted: false, user });
  }
  return states;
}

/** The current state of these users, read now (no lock). Ids PostgreSQL never had are absent from the map. */
export async function readUserStates(db: pg.Pool | pg.PoolClient, ids: readonly string[], lock = ''): Promise<Map<string, UserState>> {
  const candidates = possibleUserIds(ids);
  if (candidates.length === 0) return new Map();
  const [live, deleted] = [
    await db.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE id = ANY($1::uuid[]) ${lock}`, [candidates]),
    await db.query<DeletionRow>(`SELECT id, version FROM user_deletions WHERE id = ANY($1::uuid[]) ${lock}`, [candidates]),
  ];
  return collect(live.rows, deleted.rows);
}

/** Which of these ids PostgreSQL has, live or deleted, in one round trip; the rows themselves are not read. */
export async function knownUserIds(db: pg.Pool | pg.PoolClient, ids: readonly string[]): Promise<Set<string>> {
  const candidates = possibleUserIds(ids);
  if (candidates.length === 0) return new Set();
  const { rows } = await db.query<{ id: string }>('SELECT id FROM users WHERE id = ANY($1::uuid[]) UNION ALL SELECT id FROM user_deletions WHERE id = ANY($1::uuid[])', [candidates]);
  return new Set(rows.map((row) => row.id));
}

/**
 * The same inside the caller's transaction, with each row locked FOR SHARE until it ends: a change
 * to one of these users waits, so an event the caller re-emits from this state commits before any
 * newer one, and the topic keeps the newest version last.
 */
export function lockUserStates(tx: pg.PoolClient, ids: readonly string[]): Promise<Map<string, UserState>> {
  return readUserStates(tx, ids, 'FOR SHARE');
}

/**
 * Every user PostgreSQL knows, live or deleted, in batches, from one consistent snapshot: a
 * server-side cursor in a read-only REPEATABLE READ transaction, so memory stays flat at any size.
 */
export async function* streamUserStates(pool: pg.Pool, batchSize = 5_000): AsyncGenerator<UserState[]> {
  const client = await pool.connect();
  // pg emits 'error' on a checked-out client whose connection dies, and nobody else listens while
  // it is out: unheard, it would end the process. The failure surfaces from the next FETCH instead,
  // and the client is destroyed rather than pooled.
  let broken: Error | undefined;
  const onError = (error: Error) => {
    broken ??= error;
  };
  client.on('error', onError);
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    await client.query(
      `DECLARE user_states NO SCROLL CURSOR FOR
         SELECT ${USER_COLUMNS}, false AS deleted FROM users
         UNION ALL
         SELECT id, NULL, NULL, NULL, version, NULL, NULL, true FROM user_deletions`,
    );
    for (;;) {
      const { rows } = await client.query<UserRow & { deleted: boolean }>(`FETCH ${batchSize} FROM user_states`);
      if (rows.length === 0) break;
      yield rows.map((row): UserState => {
        if (row.deleted) return { id: row.id, version: Number(row.version), deleted: true };
        const user = userFromRow(row);
        return { id: user.id, version: user.version, deleted: false, user };
      });
    }
  } finally {
    // Also when the caller stops early: a read-only transaction has nothing to keep.
    if (!broken) await client.query('ROLLBACK').catch((error: Error) => (broken ??= error));
    client.release(broken);
    client.removeListener('error', onError);
  }
}
