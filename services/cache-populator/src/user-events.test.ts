import { AvroSerde, frame, SerdeError, SerdeErrorCode } from '@evergreen/avro-serde';
import { eventSchema } from '@evergreen/schemas';
import { describe, expect, it, vi } from 'vitest';
import { PoisonRecordError } from './poison.ts';
import { eventMetadata, UserEventDecoder, type EventMetadata } from './user-events.ts';

const USER_ID = '4b1f6a52-3c1e-4f7a-9d2b-1e2f3a4b5c6d';
const EVENT_ID = '0e7c9a3d-8f51-4b2a-a6c4-2d9e8f7a6b5c';

/** Headers as kafkajs delivers them: every value a Buffer. */
const wireHeaders = (headers: Record<string, string>) => Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, Buffer.from(value)]));

const VALID_HEADERS = { id: EVENT_ID, eventType: 'UserRegistered', aggregateVersion: '3' };

/** Runs `action` and returns the PoisonRecordError it throws, failing the test if it throws anything else or nothing. */
async function poisonOf(action: () => unknown): Promise<PoisonRecordError> {
  try {
    await action();
  } catch (error) {
    expect(error).toBeInstanceOf(PoisonRecordError);
    return error as PoisonRecordError;
  }
  throw new Error('expected a PoisonRecordError, but nothing was thrown');
}

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

  it('accepts string header values and takes the first of a repeated header', () => {
    const metadata = eventMetadata(Buffer.from(USER_ID), {
      id: [Buffer.from(EVENT_ID), Buffer.from('a-later-id')],
      eventType: 'UserRegistered',
      aggregateVersion: ['12', '13'],
    });

    expect(metadata).toMatchObject({ eventId: EVENT_ID, aggregateVersion: 12 });
  });

  it.each<[string, Buffer | null, Record<string, string> | undefined]>([
    ['no headers at all', Buffer.from(USER_ID), undefined],
    ['no id header', Buffer.from(USER_ID), { eventType: 'UserRegistered', aggregateVersion: '3' }],
    ['an empty id header', Buffer.from(USER_ID), { ...VALID_HEADERS, id: '' }],
    ['no eventType header', Buffer.from(USER_ID), { id: EVENT_ID, aggregateVersion: '3' }],
    ['no aggregateVersion header', Buffer.from(USER_ID), { id: EVENT_ID, eventType: 'UserRegistered' }],
    ['a null key', null, VALID_HEADERS],
    ['an empty key', Buffer.alloc(0), VALID_HEADERS],
  ])('classifies a record with %s as poison (missing-metadata)', async (_case, key, headers) => {
    const poison = await poisonOf(() => eventMetadata(key, headers && wireHeaders(headers)));

    expect(poison.reason).toBe('missing-metadata');
  });

  it.each(['three', '1.5', '', ' ', '-1', '1e3', '0x1f', '3 ', '99999999999999999999'])(
    'classifies aggregateVersion %j as poison (missing-metadata)',
    async (aggregateVersion) => {
      const poison = await poisonOf(() => eventMetadata(Buffer.from(USER_ID), wireHeaders({ ...VALID_HEADERS, aggregateVersion })));

      expect(poison.reason).toBe('missing-metadata');
    },
  );
});

const METADATA: EventMetadata = { eventId: EVENT_ID, eventType: 'UserRegistered', aggregateId: USER_ID, aggregateVersion: 3 };

const REGISTERED = {
  userId: USER_ID,
  version: 3,
  email: 'alice@example.com',
  name: 'Alice Liddell',
  avatarUrl: 'https://cdn.example.com/alice.png',
  registeredAt: 1_740_832_496_789,
};

/** An AvroSerde whose decode answers with `outcome` (a decoded value, or an error to throw). */
function serdeDecoding(outcome: unknown) {
  const decode = vi.fn(async (_message: Buffer, _readers: ReadonlyArray<{ name?: string }>) => {
    if (outcome instanceof Error) throw outcome;
    return { schemaId: 1, writerName: 'dev.evergreen.user.UserRegistered', value: outcome };
  });
  return { serde: { decode } as unknown as AvroSerde, decode };
}

describe('UserEventDecoder.toChange', () => {
  it('turns a UserRegistered payload into the cache entry, stamped with the event id', async () => {
    const { serde, decode } = serdeDecoding(REGISTERED);
    const value = Buffer.from([0, 0, 0, 0, 1, 42]);

    const change = await new UserEventDecoder(serde).toChange(METADATA, value);

    expect(change.kind === 'upsert' && change.entry).toEqual({
      id: USER_ID,
      email: REGISTERED.email,
      name: REGISTERED.name,
      avatarUrl: REGISTERED.avatarUrl,
      version: 3,
      registeredAt: REGISTERED.registeredAt,
      eventId: EVENT_ID,
    });
    expect(decode).toHaveBeenCalledWith(value, expect.any(Array));
    const readers = decode.mock.calls[0]?.[1] ?? [];
    expect(readers.map((reader) => reader.name)).toContain('dev.evergreen.user.UserRegistered');
  });

  it('decodes real wire-format bytes through the reader schema, with a null avatarUrl', async () => {
    const schema = eventSchema('user', 'UserRegistered');
    const registry = { getSchema: async (id: number) => (id === 7 ? JSON.parse(schema.definition) : Promise.reject({ status: 404 })) };
    const serde = new AvroSerde(registry as unknown as ConstructorParameters<typeof AvroSerde>[0]);
    const value = frame(7, schema.type.toBuffer({ ...REGISTERED, avatarUrl: null }));

    const change = await new UserEventDecoder(serde).toChange(METADATA, value);

    expect(change.kind === 'upsert' && change.entry).toEqual({
      id: USER_ID,
      email: REGISTERED.email,
      name: REGISTERED.name,
      avatarUrl: null,
      version: 3,
      registeredAt: REGISTERED.registeredAt,
      eventId: EVENT_ID,
    });
  });

  it('turns a UserDeleted tombstone into a deletion at the version from its header, without decoding anything', async () => {
    const { serde, decode } = serdeDecoding(REGISTERED);
    const change = await new UserEventDecoder(serde).toChange({ ...METADATA, eventType: 'UserDeleted', aggregateVersion: 4 }, null);
    expect(change).toEqual({ kind: 'delete', userId: USER_ID, version: 4, eventId: EVENT_ID });
    expect(decode).not.toHaveBeenCalled();
  });

  it('classifies a UserDeleted that carries a payload as poison (rejected)', async () => {
    const { serde } = serdeDecoding(REGISTERED);
    const poison = await poisonOf(() => new UserEventDecoder(serde).toChange({ ...METADATA, eventType: 'UserDeleted' }, Buffer.from([0])));
    expect(poison.reason).toBe('rejected');
  });

  it('classifies an event type it has no handler for as poison (unknown-event-type), without decoding it', async () => {
    const { serde, decode } = serdeDecoding(REGISTERED);

    const poison = await poisonOf(() => new UserEventDecoder(serde).toChange({ ...METADATA, eventType: 'UserRenamed' }, Buffer.from([0])));

    expect(poison.reason).toBe('unknown-event-type');
    expect(poison.message).toContain('UserRenamed');
    expect(decode).not.toHaveBeenCalled();
  });

  it('classifies a UserRegistered without a payload as poison (rejected)', async () => {
    const { serde } = serdeDecoding(REGISTERED);

    const poison = await poisonOf(() => new UserEventDecoder(serde).toChange(METADATA, null));

    expect(poison.reason).toBe('rejected');
  });

  it('classifies a payload whose userId differs from the record key as poison (rejected)', async () => {
    const { serde } = serdeDecoding({ ...REGISTERED, userId: '99999999-3c1e-4f7a-9d2b-1e2f3a4b5c6d' });

    const poison = await poisonOf(() => new UserEventDecoder(serde).toChange(METADATA, Buffer.from([0])));

    expect(poison.reason).toBe('rejected');
    expect(poison.message).toContain(USER_ID);
  });

  it.each([SerdeErrorCode.UNDECODABLE, SerdeErrorCode.BAD_MAGIC_BYTE, SerdeErrorCode.UNKNOWN_SCHEMA, SerdeErrorCode.INCOMPATIBLE_SCHEMA])(
    'classifies a non-retriable %s decode failure as poison (undecodable), keeping it as the cause',
    async (code) => {
      const failure = new SerdeError(code, `decode failed with ${code}`, false);
      const { serde } = serdeDecoding(failure);

      const poison = await poisonOf(() => new UserEventDecoder(serde).toChange(METADATA, Buffer.from([0])));

      expect(poison.reason).toBe('undecodable');
      expect(poison.message).toBe(`decode failed with ${code}`);
      expect(poison.cause).toBe(failure);
    },
  );

  it('rethrows a retriable registry outage unchanged, so the record is retried rather than dead-lettered', async () => {
    const outage = new SerdeError(SerdeErrorCode.REGISTRY_UNAVAILABLE, 'schema registry unavailable: ECONNREFUSED', true);
    const { serde } = serdeDecoding(outage);

    await expect(new UserEventDecoder(serde).toChange(METADATA, Buffer.from([0]))).rejects.toBe(outage);
  });

  it('rethrows an error that is not a SerdeError unchanged', async () => {
    const unexpected = new TypeError('cannot read properties of undefined');
    const { serde } = serdeDecoding(unexpected);

    await expect(new UserEventDecoder(serde).toChange(METADATA, Buffer.from([0]))).rejects.toBe(unexpected);
  });
});
