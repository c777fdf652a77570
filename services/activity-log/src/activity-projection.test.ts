import type { ConsumedEvent } from '@evergreen/consumer';
import type { UserProfileUpdated } from '@evergreen/schemas';
import { SAMPLE_EVENT_ID, SAMPLE_USER, SAMPLE_USER_ID } from '@evergreen/consumer/testing';
import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { activityLogNamespace } from '@evergreen/user-read-model';
import { activityEntry, activityHandlers, activityHandlersFor, recordActivity } from './activity-projection.ts';

const OCCURRED_AT = 1_740_832_496_789;
const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

function eventOf(eventType: string, headers: Record<string, string> = {}): ConsumedEvent {
  return {
    eventId: SAMPLE_EVENT_ID,
    eventType,
    aggregateId: SAMPLE_USER_ID,
    aggregateVersion: 3,
    payload: eventType === 'UserDeleted' ? null : SAMPLE_USER,
    headers: { id: SAMPLE_EVENT_ID, eventType, aggregateVersion: '3', ...headers },
    topic: 'evergreen.user',
    partition: 1,
    offset: '42',
    occurredAt: OCCURRED_AT,
  };
}

/** A transaction that records the statements run on it. */
function recordingTransaction() {
  const statements: Array<{ sql: string; values: unknown[] }> = [];
  const tx = { query: async (sql: string, values: unknown[]) => statements.push({ sql, values }) } as unknown as pg.PoolClient;
  return { tx, statements };
}

describe('activityEntry', () => {
  it('takes the event id, user, type, version and commit time from the metadata, and the trace id from traceparent', () => {
    expect(activityEntry(eventOf('UserProfileUpdated', { traceparent: TRACEPARENT }))).toEqual({
      eventId: SAMPLE_EVENT_ID,
      userId: SAMPLE_USER_ID,
      eventType: 'UserProfileUpdated',
      version: 3,
      occurredAt: OCCURRED_AT,
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    });
  });

  it('has no trace id when the write had none or a malformed one', () => {
    expect(activityEntry(eventOf('UserRegistered')).traceId).toBeUndefined();
    expect(activityEntry(eventOf('UserRegistered', { traceparent: 'not-a-trace' })).traceId).toBeUndefined();
  });
});

describe('activityHandlers', () => {
  it('logs every user event type, tombstones included', async () => {
    expect(Object.keys(activityHandlers).sort()).toEqual(['UserDeleted', 'UserProfileUpdated', 'UserRegistered', 'UserSnapshot']);
    const { tx, statements } = recordingTransaction();

    await activityHandlers.UserDeleted(eventOf('UserDeleted') as ConsumedEvent<null>)?.(tx);

    expect(statements[0]?.values).toEqual([SAMPLE_EVENT_ID, SAMPLE_USER_ID, 'UserDeleted', 3, OCCURRED_AT, null]);
  });
});

describe('recordActivity', () => {
  it("inserts the event's row, then counts it in its UTC day", async () => {
    const { tx, statements } = recordingTransaction();

    await recordActivity(activityEntry(eventOf('UserRegistered', { traceparent: TRACEPARENT })))(tx);

    expect(statements).toHaveLength(2);
    expect(statements[0]?.sql).toMatch(/^INSERT INTO user_activity \(/);
    expect(statements[0]?.values).toEqual([SAMPLE_EVENT_ID, SAMPLE_USER_ID, 'UserRegistered', 3, OCCURRED_AT, '4bf92f3577b34da6a3ce929d0e0e4736']);
    expect(statements[1]?.sql).toMatch(/INSERT INTO user_activity_daily .* ON CONFLICT \(day, event_type\) DO UPDATE SET events = user_activity_daily.events \+ 1/s);
    expect(statements[1]?.values).toEqual([OCCURRED_AT, 'UserRegistered']);
  });
});

describe('a later generation of the activity log', () => {
  it('writes its own tables, for every event type', async () => {
    const handlers = activityHandlersFor(activityLogNamespace(2).tables);
    expect(Object.keys(handlers).sort()).toEqual(Object.keys(activityHandlers).sort());
    const { tx, statements } = recordingTransaction();

    await handlers.UserProfileUpdated(eventOf('UserProfileUpdated') as ConsumedEvent<UserProfileUpdated>)?.(tx);

    expect(statements[0]?.sql).toMatch(/^INSERT INTO user_activity_g2 \(/);
    expect(statements[1]?.sql).toMatch(/INSERT INTO user_activity_daily_g2 .* DO UPDATE SET events = user_activity_daily_g2.events \+ 1/s);
  });
});
