import type pg from 'pg';
import { advisoryLockKey, tryLockForTransaction, withTransaction } from '@evergreen/platform';

/** An answer as a write route sends it, and as an idempotency key records it. */
export interface Answer {
  status: number;
  /** The headers that make the answer (lower-case names): content-type, location, etag, retry-after. */
  headers: Record<string, string>;
  /** The JSON body; null when there is none (204). */
  body: unknown;
}

export interface KeyedRequest {
  key: string;
  /** requestFingerprint() of the request. */
  fingerprint: string;
  method: string;
  path: string;
}

/**
 * What became of a keyed request:
 * - executed: the key was new (or expired); the write ran and its answer was recorded with it;
 * - replayed: the key was used for this same request before; `answer` is that first answer;
 * - reused: the key was used for a different request; nothing ran;
 * - in-flight: another request with the key is running now; nothing ran.
 * A write that throws (a refusal of the business rules, or a fault) records nothing: execute
 * rethrows, and a retry with the key runs anew.
 */
export type IdempotentOutcome = { kind: 'executed'; answer: Answer } | { kind: 'replayed'; answer: Answer } | { kind: 'reused' } | { kind: 'in-flight' };

/** A write inside the key's transaction, answering what it wrote; a throw rolls it back with nothing recorded. */
export type IdempotentWrite = (tx: pg.PoolClient) => Promise<Answer>;

/** How long a key is kept when nothing else is configured (EVERGREEN_IDEMPOTENCY_TTL_HOURS). */
export const DEFAULT_IDEMPOTENCY_TTL_HOURS = 24;

/** The advisory lock held while a request with `key` runs (packages/platform's registry of locks). */
export const idempotencyLock = (key: string) => advisoryLockKey('idempotencyKey', key);

interface RecordedRow {
  fingerprint: string;
  status: number;
  headers: Record<string, unknown>;
  body: unknown;
}

const answerOf = (row: RecordedRow): Answer => ({
  status: row.status,
  headers: Object.fromEntries(Object.entries(row.headers).map(([name, value]) => [name, String(value)])),
  body: row.body ?? null,
});

/**
 * Idempotency keys in PostgreSQL (migrations/004_idempotency_keys.sql). A key's answer is recorded
 * in the same transaction as its write, so no crash can leave one without the other. Only writes
 * are recorded: a refusal wrote nothing, so running it again is harmless, and recording it would
 * let any client fill the table with keys of requests that changed nothing.
 */
export class IdempotencyStore {
  constructor(
    private readonly pool: pg.Pool,
    readonly ttlHours: number = DEFAULT_IDEMPOTENCY_TTL_HOURS,
  ) {}

  /**
   * Runs `write` at most once per key. In one transaction (READ COMMITTED, PostgreSQL's default):
   * 1. try the key's advisory lock, without waiting: whoever holds it is running a request with
   *    this key (or answering one from its record);
   * 2. look for the key's live record. A transaction that wrote one made it visible before it let
   *    go of the lock, and this statement's snapshot is taken after the lock was tried, so a record
   *    committed by the lock's last holder is always seen here: same fingerprint → replayed,
   *    another → reused;
   * 3. no record and the lock is someone else's → in-flight;
   * 4. no record and the lock is ours → the write, then the record, then COMMIT. A throw (a
   *    refusal, a fault) rolls the whole transaction back: nothing is recorded, and a retry runs anew.
   * Even without the lock, the key's primary key would let only one of two such transactions commit.
   */
  async execute(request: KeyedRequest, write: IdempotentWrite): Promise<IdempotentOutcome> {
    return withTransaction(this.pool, async (tx): Promise<IdempotentOutcome> => {
      const locked = await tryLockForTransaction(tx, idempotencyLock(request.key));
      const { rows } = await tx.query<RecordedRow>('SELECT fingerprint, status, headers, body FROM idempotency_keys WHERE key = $1 AND expires_at > now()', [request.key]);
      const recorded = rows[0];
      if (recorded) return recorded.fingerprint === request.fingerprint ? { kind: 'replayed', answer: answerOf(recorded) } : { kind: 'reused' };
      if (!locked) return { kind: 'in-flight' };

      const answer = await write(tx);
      // An expired record of the key is replaced; a live one cannot be there (we hold the lock and saw none).
      const { rowCount } = await tx.query(
        `INSERT INTO idempotency_keys (key, fingerprint, method, path, status, headers, body, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, now(), now() + make_interval(hours => $8))
         ON CONFLICT (key) DO UPDATE SET fingerprint = EXCLUDED.fingerprint, method = EXCLUDED.method, path = EXCLUDED.path,
           status = EXCLUDED.status, headers = EXCLUDED.headers, body = EXCLUDED.body, created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at
         WHERE idempotency_keys.expires_at <= now()`,
        [request.key, request.fingerprint, request.method, request.path, answer.status, JSON.stringify(answer.headers), answer.body === null ? null : JSON.stringify(answer.body), this.ttlHours],
      );
      if (rowCount !== 1) throw new Error('the idempotency key was recorded by another transaction while this one held its lock');
      return { kind: 'executed', answer };
    });
  }

  /**
   * Deletes up to `limit` expired keys, oldest first, in one statement (its own short
   * transaction); rows a request is replacing right now are skipped. Lookups ignore expired rows
   * anyway: this only keeps the table small. Run by drainInBatches until a batch comes back short.
   */
  async deleteExpired(limit: number): Promise<number> {
    const { rowCount } = await this.pool.query(
      `DELETE FROM idempotency_keys WHERE key IN (
         SELECT key FROM idempotency_keys WHERE expires_at <= now() ORDER BY expires_at LIMIT $1 FOR UPDATE SKIP LOCKED)`,
      [limit],
    );
    return rowCount ?? 0;
  }
}
