import type { ConsumedEvent } from '@evergreen/consumer';
import { SAMPLE_EVENT_ID, SAMPLE_USER, SAMPLE_USER_ID } from '@evergreen/consumer/testing';
import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { userReplicaHandlers } from './user-replica.ts';

function eventOf<Payload>(eventType: string, payload: Payload, aggregateVersion = 3): ConsumedEvent<Payload> {
  return {
    eventId: SAMPLE_EVENT_ID,
    eventType,
    aggregateId: SAMPLE_USER_ID,
    aggregateVersion,
    payload,
    headers: {},
    topic: 'evergreen.user',
    partition: 0,
    offset: '7',
    occurredAt: 1_740_832_496_789,
  };
}

function recordingTransaction() {
  const statements: Array<{ sql: string; values: unknown[] }> = [];
  const tx = { query: async (sql: string, values: unknown[]) => statements.push({ sql: sql.replace(/\s+/g, ' ').trim(), values }) } as unknown as pg.PoolClient;
  return { tx, statements };
}

describe('the user replica', () => {
  it('writes a user at the event version, only over an older one and not past a newer deletion', async () => {
    const { tx, statements } = recordingTransaction();

    await userReplicaHandlers.UserRegistered(eventOf('UserRegistered', SAMPLE_USER))?.(tx);

    expect(statements).toHaveLength(1);
    expect(statements[0]?.values).toEqual([SAMPLE_USER_ID, 'ada@example.com', 'Ada Lovelace', 3]);
    expect(statements[0]?.sql).toContain('WHERE NOT EXISTS (SELECT 1 FROM user_replica_deletions WHERE id = $1 AND version >= $4)');
    expect(statements[0]?.sql).toContain('WHERE user_replica.version < EXCLUDED.version');
  });

  it('removes a deleted user and remembers the deletion version', async () => {
    const { tx, statements } = recordingTransaction();

    await userReplicaHandlers.UserDeleted(eventOf('UserDeleted', null, 4))?.(tx);

    expect(statements.map((statement) => statement.sql.split(' ').slice(0, 3).join(' '))).toEqual(['INSERT INTO user_replica_deletions', 'DELETE FROM user_replica']);
    expect(statements.map((statement) => statement.values)).toEqual([
      [SAMPLE_USER_ID, 4],
      [SAMPLE_USER_ID, 4],
    ]);
  });
});
