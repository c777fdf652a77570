import type pg from 'pg';

/**
 * Every PostgreSQL advisory lock Evergreen takes, one class id per use. Each lock is taken in the
 * two-key form (class, hashtext(name)), so two uses never collide whatever names they lock (an
 * Idempotency-Key spelled like a projection's name is just a key), and two names of one use
 * collide only when their 32-bit hashes do. This module is the only place that writes
 * `pg_advisory_*` SQL: a unit test fails on any other.
 *
 * Advisory locks are per database; the classes are unique across all of them anyway, so a lock
 * means the same thing wherever it is read (pg_locks: classid = class, objid = hashtext(name),
 * objsubid = 2).
 */
export const ADVISORY_LOCK_CLASSES = {
  /** Session lock while migrations apply (migrate), one per database: name ''. */
  migrations: 7_401_122,
  /** Session lock a blue-green rebuild holds for its whole run, per projection (PostgresGenerationStore.lock). */
  projectionRebuild: 7_401_123,
  /** Transaction lock per projection: shared by every batch of its writers, exclusive by the generation switch. */
  generationSwitch: 7_401_124,
  /** Transaction lock held while a request with this Idempotency-Key runs (registration API), per key. */
  idempotencyKey: 7_401_125,
  /** Session lock on a namespace of the shared local stack, per database name, in the maintenance database (infra/local). */
  stackNamespace: 7_401_126,
} as const;

export type AdvisoryLockUse = keyof typeof ADVISORY_LOCK_CLASSES;

/** One lock: a registered use and the name locked within it. */
export interface AdvisoryLockKey {
  readonly use: AdvisoryLockUse;
  readonly classId: number;
  readonly name: string;
}

export function advisoryLockKey(use: AdvisoryLockUse, name = ''): AdvisoryLockKey {
  return { use, classId: ADVISORY_LOCK_CLASSES[use], name };
}

/** How the lock shows in a message: `(7401124, hashtext('activity-log'))`. */
export function describeAdvisoryLock(key: AdvisoryLockKey): string {
  return `${key.use} (${key.classId}, hashtext(${JSON.stringify(key.name)}))`;
}

type Queryable = Pick<pg.ClientBase, 'query'>;
type Mode = 'exclusive' | 'shared';

const suffix = (mode: Mode) => (mode === 'shared' ? '_shared' : '');
const params = (key: AdvisoryLockKey) => [key.classId, key.name];

async function taken(db: Queryable, sql: string, key: AdvisoryLockKey): Promise<boolean> {
  const { rows } = await db.query<{ locked: boolean }>(sql, params(key));
  return rows[0]?.locked === true;
}

/** Waits for the lock until the transaction ends (`lock_timeout` bounds the wait). */
export async function lockForTransaction(tx: Queryable, key: AdvisoryLockKey, mode: Mode = 'exclusive'): Promise<void> {
  await tx.query(`SELECT pg_advisory_xact_lock${suffix(mode)}($1, hashtext($2))`, params(key));
}

/** Takes the lock until the transaction ends if it is free now; false when someone holds it. */
export function tryLockForTransaction(tx: Queryable, key: AdvisoryLockKey, mode: Mode = 'exclusive'): Promise<boolean> {
  return taken(tx, `SELECT pg_try_advisory_xact_lock${suffix(mode)}($1, hashtext($2)) AS locked`, key);
}

/** Waits for the lock, held by this session until unlockSession (or the connection ends). */
export async function lockSession(client: Queryable, key: AdvisoryLockKey, mode: Mode = 'exclusive'): Promise<void> {
  await client.query(`SELECT pg_advisory_lock${suffix(mode)}($1, hashtext($2))`, params(key));
}

/** Takes the session lock if it is free now; false when someone holds it. */
export function tryLockSession(client: Queryable, key: AdvisoryLockKey, mode: Mode = 'exclusive'): Promise<boolean> {
  return taken(client, `SELECT pg_try_advisory_lock${suffix(mode)}($1, hashtext($2)) AS locked`, key);
}

/** Lets go of one hold of a session lock in that mode; false when this session did not hold it. */
export function unlockSession(client: Queryable, key: AdvisoryLockKey, mode: Mode = 'exclusive'): Promise<boolean> {
  return taken(client, `SELECT pg_advisory_unlock${suffix(mode)}($1, hashtext($2)) AS locked`, key);
}

/**
 * The one-key lock (a bigint) that checkouts from before this registry took on a stack namespace
 * (7_401_123 + a hash of the database name). A run on a shared local stack also holds it, so a
 * run of an older checkout and a run of this one still see each other; drop it once every
 * checkout using the stack has the registry.
 */
export function legacyNamespaceLock(database: string): { tryExclusive(client: Queryable): Promise<boolean>; share(client: Queryable): Promise<void>; unlockExclusive(client: Queryable): Promise<void> } {
  let hash = 0;
  for (const char of database) hash = (hash * 31 + char.charCodeAt(0)) % 1_000_000;
  const key = 7_401_123 + hash;
  return {
    async tryExclusive(client) {
      const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [key]);
      return rows[0]?.locked === true;
    },
    async share(client) {
      await client.query('SELECT pg_advisory_lock_shared($1)', [key]);
    },
    async unlockExclusive(client) {
      await client.query('SELECT pg_advisory_unlock($1)', [key]);
    },
  };
}
