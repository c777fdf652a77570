import { describe, expect, it } from 'vitest';
import { PoisonRecordError } from './poison.ts';
import { eventMetadata } from './event.ts';
import { poisonOf, SAMPLE_EVENT_ID, SAMPLE_USER_ID } from './testing.ts';

const USER_ID = SAMPLE_USER_ID;
const EVENT_ID = SAMPLE_EVENT_ID;

/** Headers as kafkajs delivers them: every value a Buffer. */
const wireHeaders = (headers: Record<string, string>) => Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, Buffer.from(value)]));

const VALID_HEADERS = { id: EVENT_ID, eventType: 'UserRegistered', aggregateVersion: '3' };

describe('eventMetadata', () => {
  it('reads the event id, type and aggregate version from the headers and the aggregate id from the key', () => {
    expect(eventMetadata(Buffer.from(USER_ID), wireHeaders(VALID_HEADERS))).toEqual({
      eventId: EVENT_ID,
      eventType: 'UserRegistered',
      aggregateId: USER_ID,
      aggregateVersion: 3,
    });
  });

  it('ignores a header the relay wrote with a null value (a null outbox column), instead of failing on it', () => {
    const metadata = eventMetadata(Buffer.from(USER_ID), { ...wireHeaders(VALID_HEADERS), traceparent: null });
    expect(metadata.eventId).toBe(EVENT_ID);
    expect(() => eventMetadata(Buffer.from(USER_ID), { ...wireHeaders(VALID_HEADERS), id: null })).toThrow(PoisonRecordError);
  });

  it('accepts string header values and a metadata header repeated with one value', () => {
    const metadata = eventMetadata(Buffer.from(USER_ID), {
      id: [Buffer.from(EVENT_ID), Buffer.from(EVENT_ID)],
      eventType: 'UserRegistered',
      aggregateVersion: ['12'],
    });

    expect(metadata).toMatchObject({ eventId: EVENT_ID, aggregateVersion: 12 });
  });

  it.each([
    ['id', [Buffer.from(EVENT_ID), Buffer.from('0e7c9a3d-8f51-4b2a-a6c4-000000000000')]],
    ['eventType', [Buffer.from('UserRegistered'), Buffer.from('UserDeleted')]],
    ['aggregateVersion', ['12', '13']],
  ])('refuses a record whose %s header is repeated with different values (missing-metadata)', async (name, values) => {
    const poison = await poisonOf(() => eventMetadata(Buffer.from(USER_ID), { ...wireHeaders(VALID_HEADERS), [name]: values }));

    expect(poison.reason).toBe('missing-metadata');
    expect(poison.message).toContain(name);
  });

  it.each<[string, Buffer | null, Record<string, string> | undefined]>([
    ['no headers at all', Buffer.from(USER_ID), undefined],
    ['no id header', Buffer.from(USER_ID), { eventType: 'UserRegistered', aggregateVersion: '3' }],
    ['an empty id header', Buffer.from(USER_ID), { ...VALID_HEADERS, id: '' }],
    ['no eventType header', Buffer.from(USER_ID), { id: EVENT_ID, aggregateVersion: '3' }],
    ['no aggregateVersion header', Buffer.from(USER_ID), { id: EVENT_ID, eventType: 'UserRegistered' }],
    ['a null key', null, VALID_HEADERS],
    ['an empty key', Buffer.alloc(0), VALID_HEADERS],
    ['an id header that is not a UUID', Buffer.from(USER_ID), { ...VALID_HEADERS, id: 'event-42' }],
    ['a UUID with trailing text as its id', Buffer.from(USER_ID), { ...VALID_HEADERS, id: `${EVENT_ID}x` }],
  ])('classifies a record with %s as poison (missing-metadata)', async (_case, key, headers) => {
    const poison = await poisonOf(() => eventMetadata(key, headers && wireHeaders(headers)));

    expect(poison.reason).toBe('missing-metadata');
  });

  it.each(['three', '1.5', '', ' ', '-1', '1e3', '0x1f', '3 ', '0', '007', '+3', '99999999999999999999', '1000000000000000'])(
    'classifies aggregateVersion %j as poison (missing-metadata)',
    async (aggregateVersion) => {
      const poison = await poisonOf(() => eventMetadata(Buffer.from(USER_ID), wireHeaders({ ...VALID_HEADERS, aggregateVersion })));

      expect(poison.reason).toBe('missing-metadata');
    },
  );
});
