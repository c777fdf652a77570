import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresGenerationStore } from '@evergreen/consumer';
import { advisoryLockKey, tryLockForTransaction, withTransaction } from '@evergreen/platform';
import { idempotencyLock } from '@evergreen/registration-api';
import { startHarness, uniqueEmail, type Harness } from './support/harness.ts';

// Issue #21: the Idempotency-Key lock and a projection's generation-switch lock once shared a class,
// so a key spelled like the projection's name got 409 while the projection's batches ran. Every
// advisory lock now has a class of its own (packages/platform/src/postgres/advisory-locks.ts).
describe('advisory locks of different uses never collide', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  /** A projection's generations, named like the key the test then sends (fresh per run: a key is kept 24 h). */
  const projectionNamed = (name: string) => new PostgresGenerationStore(h.pool, { projection: name, names: () => ({ tables: {}, inboxName: name }) });

  it('an Idempotency-Key spelled like a projection is answered while that projection\'s batches hold their generation lock', async () => {
    const name = `activity-log-${randomUUID()}`;
    const batch = await h.pool.connect();
    try {
      // A batch of the projection in flight: the switch lock held shared until its transaction ends.
      await batch.query('BEGIN');
      await projectionNamed(name).fence(batch, 1);

      const response = await h.app.inject({ method: 'POST', url: '/users', headers: { 'idempotency-key': name }, payload: { email: uniqueEmail('lock-space'), name: 'Lock Space' } });

      expect(response.statusCode, response.body).toBe(201);
    } finally {
      await batch.query('ROLLBACK').catch(() => undefined);
      batch.release();
    }
  });

  it('a projection\'s batch goes on while a request holds the Idempotency-Key of the same name, and the switch is not taken by it', async () => {
    const name = `activity-log-${randomUUID()}`;
    const request = await h.pool.connect();
    try {
      await request.query('BEGIN');
      expect(await tryLockForTransaction(request, idempotencyLock(name))).toBe(true);

      // The switch takes its lock exclusively: free, though a key of the same name is held.
      const switchFree = await withTransaction(h.pool, (tx) => tryLockForTransaction(tx, advisoryLockKey('generationSwitch', name)));
      expect(switchFree).toBe(true);
      // And a batch's fence does not wait on the request.
      await withTransaction(h.pool, (tx) => projectionNamed(name).fence(tx, 1));
    } finally {
      await request.query('ROLLBACK').catch(() => undefined);
      request.release();
    }
  });

  it('the same use and name is one lock, as before: a second holder is refused', async () => {
    const key = idempotencyLock(`same-${randomUUID()}`);
    const first = await h.pool.connect();
    try {
      await first.query('BEGIN');
      expect(await tryLockForTransaction(first, key)).toBe(true);
      expect(await withTransaction(h.pool, (tx) => tryLockForTransaction(tx, key))).toBe(false);
    } finally {
      await first.query('ROLLBACK').catch(() => undefined);
      first.release();
    }
  });
});
