import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import type { ConsumedEvent } from '../event.ts';
import type { PendingOperation } from '../sink.ts';
import { SAMPLE_USER_ID } from '../testing.ts';
import { PostgresInboxSink, type InboxOperation } from './postgres-inbox.ts';

// The sink's statements on a fake PostgreSQL: an inbox and a fence table kept in memory, with
// PostgreSQL's answers (RETURNING the ids inserted, the fences of the keys asked for). What the
// real database does under concurrency is covered by tests/e2e/src/bounded-storage.e2e.test.ts.

interface Inbox {
  ids: Set<string>;
  fences: Map<string, number>;
}

function fakePool(inbox: Inbox) {
  const statements: string[] = [];
  const client = {
    on: () => client,
    removeListener: () => client,
    release: () => undefined,
    async query(sql: string, values: unknown[] = []) {
      const text = sql.trim();
      statements.push(text.split(/\s+/).slice(0, 3).join(' '));
      if (text.startsWith('INSERT INTO consumer_inbox')) {
        const [, ids] = values as [string, string[]];
        const inserted = ids.filter((id) => !inbox.ids.has(id) && (inbox.ids.add(id), true));
        return { rows: inserted.map((event_id) => ({ event_id })) };
      }
      if (text.startsWith('SELECT f.topic')) {
        const [, topics, keys] = values as [string, string[], string[]];
        const rows = topics.flatMap((topic, index) => {
          const version = inbox.fences.get(`${topic}/${keys[index]}`);
          return version === undefined ? [] : [{ topic, aggregate_id: keys[index], version: String(version) }];
        });
        return { rows };
      }
      return { rows: [] };
    },
  };
  return { pool: { connect: async () => client } as unknown as pg.Pool, statements };
}

const eventAt = (id: string, version: number, topic = 'evergreen.user'): ConsumedEvent => ({
  eventId: id,
  eventType: 'UserProfileUpdated',
  aggregateId: SAMPLE_USER_ID,
  aggregateVersion: version,
  payload: null,
  headers: {},
  topic,
  partition: 0,
  offset: '0',
  occurredAt: 0,
});

const ID = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

function batch(events: ConsumedEvent[], applied: string[]): Array<PendingOperation<InboxOperation>> {
  return events.map((event) => ({ event, op: async () => void applied.push(event.eventId) }));
}

describe('PostgresInboxSink', () => {
  it('applies an event once: a new id is applied, an id in the inbox is stale', async () => {
    const inbox: Inbox = { ids: new Set([ID(1)]), fences: new Map() };
    const { pool, statements } = fakePool(inbox);
    const applied: string[] = [];

    const outcomes = await new PostgresInboxSink(pool, 'activity-log').apply(batch([eventAt(ID(1), 1), eventAt(ID(2), 2)], applied));

    expect(outcomes).toEqual(['stale', 'applied']);
    expect(applied).toEqual([ID(2)]);
    // One statement records the batch, one reads the fences after it: the fence a concurrent prune raised is seen.
    expect(statements).toEqual(['BEGIN', 'INSERT INTO consumer_inbox', 'SELECT f.topic, f.aggregate_id,', 'COMMIT']);
  });

  it('takes an event whose id was pruned as applied when its version is at or below its key\'s fence', async () => {
    const inbox: Inbox = { ids: new Set(), fences: new Map([[`evergreen.user/${SAMPLE_USER_ID}`, 3]]) };
    const { pool } = fakePool(inbox);
    const applied: string[] = [];

    // v2 and v3 again (a replay from offset 0 after pruning), then v4, new; v3 read again from the retry topic.
    const outcomes = await new PostgresInboxSink(pool, 'activity-log').apply(batch([eventAt(ID(2), 2), eventAt(ID(3), 3), eventAt(ID(4), 4), eventAt(ID(5), 3, 'evergreen.user.retry')], applied));

    expect(outcomes).toEqual(['stale', 'stale', 'applied', 'stale']);
    expect(applied).toEqual([ID(4)]);
  });

  it('applies the first copy of an id delivered twice in one batch, and only that one', async () => {
    const { pool } = fakePool({ ids: new Set(), fences: new Map() });
    const applied: string[] = [];

    const outcomes = await new PostgresInboxSink(pool, 'activity-log').apply(batch([eventAt(ID(7), 1), eventAt(ID(7), 1)], applied));

    expect(outcomes).toEqual(['applied', 'stale']);
    expect(applied).toEqual([ID(7)]);
  });

  it('reads no fence when every id was in the inbox already', async () => {
    const { pool, statements } = fakePool({ ids: new Set([ID(1)]), fences: new Map() });

    expect(await new PostgresInboxSink(pool, 'activity-log').apply(batch([eventAt(ID(1), 1)], []))).toEqual(['stale']);
    expect(statements).toEqual(['BEGIN', 'INSERT INTO consumer_inbox', 'COMMIT']);
  });
});
