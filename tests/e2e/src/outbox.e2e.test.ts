import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { userKey } from '@evergreen/user-read-model';
import { cleanupOutbox, createOutbox } from '@evergreen/outbox';
import { eventCatalog } from '@evergreen/schemas';
import { withTransaction } from '@evergreen/platform';
import { cacheEntryAt, startHarness, type Harness } from './support/harness.ts';

const registeredEvent = (userId: string, name: string, version = 1) => ({
  aggregateType: 'user',
  aggregateId: userId,
  eventType: 'UserRegistered',
  aggregateVersion: version,
  data: { userId, version, email: `${userId}@example.com`, name, avatarUrl: null, registeredAt: Date.now() },
});

// Issue #3: the outbox table does not grow by default; kept rows (audit) are relayed the same and cleaned up later.
describe('the outbox table', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('keeps no row of a published event by default, yet the event is relayed', async () => {
    const userId = randomUUID();
    await withTransaction(h.pool, (tx) => h.outbox.publish(tx, registeredEvent(userId, 'deleted at once')));
    const { rows } = await h.pool.query('SELECT 1 FROM outbox WHERE aggregateid = $1', [userId]);
    expect(rows).toHaveLength(0);
    expect(await cacheEntryAt(h.redis, userKey(userId), 1)).toMatchObject({ name: 'deleted at once' });
  });

  it('with keepRows keeps the row for auditing, relays the event once, and the cleanup job removes the row', async () => {
    const auditing = createOutbox({ serde: h.serde, config: h.config, catalog: eventCatalog, keepRows: true });
    const userId = randomUUID();
    const { eventId } = await withTransaction(h.pool, (tx) => auditing.publish(tx, registeredEvent(userId, 'kept')));
    const kept = await h.pool.query<{ type: string; tracingspancontext: string | null }>('SELECT type, tracingspancontext FROM outbox WHERE id = $1', [eventId]);
    expect(kept.rows).toEqual([{ type: 'UserRegistered', tracingspancontext: null }]);
    expect(await cacheEntryAt(h.redis, userKey(userId), 1)).toMatchObject({ name: 'kept' });

    expect(await cleanupOutbox(h.pool, { olderThanMs: 0 })).toBeGreaterThanOrEqual(1);
    expect((await h.pool.query('SELECT 1 FROM outbox WHERE id = $1', [eventId])).rows).toHaveLength(0);
    // The cleanup's DELETE reaches the relay too; it must not become a record. A later event of the
    // same key (same partition) is the marker: anything the DELETE produced would come before it.
    await withTransaction(h.pool, (tx) => h.outbox.publish(tx, registeredEvent(userId, 'marker', 2)));
    const records = await h.tap.waitForRecords(userId, 2);
    expect(records.map((record) => record.headers.aggregateVersion)).toEqual(['1', '2']);
  });

  it('hands the relay only inserts (and updates, for the heartbeat), not the deletes that keep the table empty', async () => {
    // Published, each delete went through logical decoding, Debezium and the EventRouter only to be
    // dropped: half the relay's work (docs/performance.md).
    const { rows } = await h.pool.query<{ pubinsert: boolean; pubupdate: boolean; pubdelete: boolean; pubtruncate: boolean }>(
      "SELECT pubinsert, pubupdate, pubdelete, pubtruncate FROM pg_publication WHERE pubname = 'evergreen_outbox'",
    );
    expect(rows).toEqual([{ pubinsert: true, pubupdate: true, pubdelete: false, pubtruncate: false }]);
  });
});
