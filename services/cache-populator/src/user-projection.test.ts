import { type ConsumedEvent, type Handler, type VersionedOperation } from '@evergreen/consumer';
import { SAMPLE_EVENT_ID, SAMPLE_USER, SAMPLE_USER_ID } from '@evergreen/consumer/testing';
import { describe, expect, it } from 'vitest';
import { userKeyspace } from '@evergreen/user-read-model';
import { userCacheHandlers, userCacheHandlersFor } from './user-projection.ts';

const USER_ID = SAMPLE_USER_ID;
const EVENT_ID = SAMPLE_EVENT_ID;

const USER = SAMPLE_USER;

/** An event as the framework hands it to a handler: metadata from the record, payload decoded. */
function eventOf<Payload>(eventType: string, payload: Payload, aggregateVersion = 3): ConsumedEvent<Payload> {
  return {
    eventId: EVENT_ID,
    eventType,
    aggregateId: USER_ID,
    aggregateVersion,
    payload,
    headers: { id: EVENT_ID, eventType, aggregateVersion: String(aggregateVersion) },
    topic: 'evergreen.user',
    partition: 1,
    offset: '42',
    occurredAt: 1_740_832_496_789,
  };
}

function handlerFor(eventType: string): Handler<VersionedOperation> {
  // By name, as the framework looks a handler up from the record's eventType header.
  const handler = (userCacheHandlers as unknown as Record<string, Handler<VersionedOperation> | undefined>)[eventType];
  if (!handler) throw new Error(`no handler for ${eventType}`);
  return handler;
}

describe('userCacheHandlers', () => {
  it('handles exactly the user event types', () => {
    expect(Object.keys(userCacheHandlers).sort()).toEqual(['UserDeleted', 'UserProfileUpdated', 'UserRegistered', 'UserSnapshot']);
  });

  describe.each(['UserRegistered', 'UserProfileUpdated', 'UserSnapshot'])('%s', (eventType) => {
    const payload = eventType === 'UserRegistered' ? USER : { ...USER, updatedAt: 1_700_000_100_000, ...(eventType === 'UserSnapshot' ? { reason: 'BACKFILL' } : {}) };

    it("upserts the user's entry at the event's version, stamped with the event id", () => {
      expect(handlerFor(eventType)(eventOf(eventType, payload))).toEqual({
        kind: 'upsert',
        key: `evergreen:user:${USER_ID}`,
        version: 3,
        fields: [
          'id', USER_ID,
          'email', 'ada@example.com',
          'name', 'Ada Lovelace',
          'avatarUrl', 'https://example.com/ada.png',
          'registeredAt', '1700000000000',
          // A registration was last changed when it happened; an update carries its own time.
          'updatedAt', eventType === 'UserRegistered' ? '1700000000000' : '1700000100000',
          'eventId', EVENT_ID,
        ],
      });
    });

    it('writes a missing avatar as an empty field', () => {
      const op = handlerFor(eventType)(eventOf(eventType, { ...payload, avatarUrl: null }));

      expect(op?.kind === 'upsert' && op.fields.slice(6, 8)).toEqual(['avatarUrl', '']);
    });
  });

  describe('UserDeleted', () => {
    it('deletes the entry at the version from the header, naming the event', () => {
      expect(handlerFor('UserDeleted')(eventOf('UserDeleted', null, 5))).toEqual({
        kind: 'delete',
        key: `evergreen:user:${USER_ID}`,
        version: 5,
        eventId: EVENT_ID,
      });
    });
  });

  describe('of a later generation', () => {
    it("writes that generation's keys, for every event type", () => {
      const handlers = userCacheHandlersFor(userKeyspace(2));

      expect(Object.keys(handlers).sort()).toEqual(Object.keys(userCacheHandlers).sort());
      expect(handlers.UserRegistered?.(eventOf('UserRegistered', USER))).toMatchObject({ kind: 'upsert', key: `evergreen:user.g2:${USER_ID}` });
      expect(handlers.UserDeleted?.(eventOf('UserDeleted', null, 5))).toMatchObject({ kind: 'delete', key: `evergreen:user.g2:${USER_ID}` });
    });
  });
});
