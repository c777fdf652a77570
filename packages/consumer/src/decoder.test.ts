import avro from 'avsc';
import { AvroSerde, frame, SerdeError, SerdeErrorCode, type RegistryProbe } from '@evergreen/avro-serde';
import type { KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { EventDecoder } from './decoder.ts';
import { PoisonRecordError } from './poison.ts';
import { sampleCatalog, sampleUserAggregate } from './test-fixtures.ts';
import { poisonOf, SAMPLE_EVENT_ID, SAMPLE_USER, SAMPLE_USER_ID } from './testing.ts';

const USER_ID = SAMPLE_USER_ID;
const EVENT_ID = SAMPLE_EVENT_ID;
const TOPIC = 'evergreen.user';
const PARTITION = 4;
const OCCURRED_AT = 1_740_832_496_789;

const REGISTERED_ID = 7;
const UPDATED_ID = 8;
// UserRegistered as an older writer published it, before avatarUrl existed: resolving it into
// today's reader schema must fill in the field's default.
const OLD_REGISTERED_ID = 9;
// A writer schema whose userId is an int: the reader's string field cannot be resolved from it.
const INCOMPATIBLE_ID = 10;

const registered = sampleCatalog.schema('user', 'UserRegistered');
const updated = sampleCatalog.schema('user', 'UserProfileUpdated');
const oldRegistered = {
  type: 'record',
  name: 'UserRegistered',
  namespace: 'dev.evergreen.user',
  fields: [
    { name: 'userId', type: 'string' },
    { name: 'version', type: 'long' },
    { name: 'email', type: 'string' },
    { name: 'name', type: 'string' },
    { name: 'registeredAt', type: 'long' },
  ],
};
const incompatible = { ...oldRegistered, fields: [{ name: 'userId', type: 'int' }] };

const USER = SAMPLE_USER;

/** A decoder reading every user event of the sample catalog. */
const decoderOf = (serde: AvroSerde) => new EventDecoder(serde, { readers: sampleCatalog.schemas().map((schema) => schema.type), aggregates: [sampleUserAggregate] });

type SchemaRegistryClient = ConstructorParameters<typeof AvroSerde>[0];

/**
 * A registry that knows a few schema ids, as the Confluent client reports them: the schema JSON,
 * or a 404 for any other id. `failure`, when given, is what every lookup rejects with instead.
 * It proves healthy when asked (it lists subjects), unless `unhealthy`: then it answers 404 for
 * everything, as a wrong URL, a proxy or a registry restored empty does.
 */
function fakeRegistry(options: { failure?: unknown; answer?: unknown; unhealthy?: boolean } = {}) {
  const known = new Map<number, unknown>([
    [REGISTERED_ID, JSON.parse(registered.definition)],
    [UPDATED_ID, JSON.parse(updated.definition)],
    [OLD_REGISTERED_ID, oldRegistered],
    [INCOMPATIBLE_ID, incompatible],
  ]);
  const lookups: number[] = [];
  const registry = {
    getSchema: async (id: number) => {
      lookups.push(id);
      if (options.failure !== undefined) throw options.failure;
      if (options.answer !== undefined) return options.answer;
      if (options.unhealthy || !known.has(id)) throw { status: 404, message: `Schema ${id} not found` };
      return known.get(id);
    },
  };
  const probe: RegistryProbe = {
    servesSchema: async (id) => !options.unhealthy && known.has(id),
    subjects: async () => (options.unhealthy ? [] : ['evergreen.user-dev.evergreen.user.UserRegistered']),
  };
  return { serde: new AvroSerde(registry as unknown as SchemaRegistryClient, probe), lookups };
}

/** Headers as kafkajs delivers them: every value a Buffer. */
const wireHeaders = (headers: Record<string, string>) => Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, Buffer.from(value)]));

function record(value: Buffer | null, headers: Record<string, string> = {}, overrides: Partial<KafkaMessage> = {}): KafkaMessage {
  return {
    key: Buffer.from(USER_ID),
    value,
    timestamp: String(OCCURRED_AT),
    attributes: 0,
    offset: '1234',
    headers: wireHeaders({ id: EVENT_ID, eventType: 'UserRegistered', aggregateVersion: '3', ...headers }),
    ...overrides,
  } as KafkaMessage;
}

const registeredBytes = (user: object = USER) => frame(REGISTERED_ID, registered.type.toBuffer(user));

describe('EventDecoder.decode', () => {
  it('decodes real wire-format bytes into the reader schema and carries everything known about the record', async () => {
    const { serde, lookups } = fakeRegistry();
    const message = record(registeredBytes(), { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' });

    const event = await decoderOf(serde).decode('user', TOPIC, PARTITION, message);

    expect(event).toEqual({
      eventId: EVENT_ID,
      eventType: 'UserRegistered',
      aggregateId: USER_ID,
      aggregateVersion: 3,
      payload: USER,
      topic: TOPIC,
      partition: PARTITION,
      offset: '1234',
      occurredAt: OCCURRED_AT,
      headers: {
        id: EVENT_ID,
        eventType: 'UserRegistered',
        aggregateVersion: '3',
        traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      },
    });
    expect(lookups).toEqual([REGISTERED_ID]);
  });

  it('keeps a null avatarUrl null', async () => {
    const { serde } = fakeRegistry();

    const event = await decoderOf(serde).decode('user', TOPIC, PARTITION, record(registeredBytes({ ...USER, avatarUrl: null })));

    expect(event.payload).toEqual({ ...USER, avatarUrl: null });
  });

  it('decodes every event type of schemas/ by default (UserProfileUpdated)', async () => {
    const { serde } = fakeRegistry();
    const change = { ...USER, version: 4, name: 'Ada King', updatedAt: 1_700_000_100_000 };
    const message = record(frame(UPDATED_ID, updated.type.toBuffer(change)), { eventType: 'UserProfileUpdated', aggregateVersion: '4' });

    const event = await decoderOf(serde).decode('user', TOPIC, PARTITION, message);

    expect(event).toMatchObject({ eventType: 'UserProfileUpdated', aggregateVersion: 4, payload: change });
  });

  it("resolves an older writer's schema into the reader's, filling a field the writer did not have with its default", async () => {
    const { serde } = fakeRegistry();
    const { avatarUrl: _none, ...withoutAvatar } = USER;
    const oldType = avro.Type.forSchema(oldRegistered as avro.Schema);

    const event = await decoderOf(serde).decode('user', TOPIC, PARTITION, record(frame(OLD_REGISTERED_ID, oldType.toBuffer(withoutAvatar))));

    expect(event.payload).toEqual({ ...withoutAvatar, avatarUrl: null });
  });

  it('leaves the headers null-valued by the relay (a null outbox column) out', async () => {
    const { serde } = fakeRegistry();
    const message = record(registeredBytes());
    message.headers = { ...message.headers, traceparent: null as unknown as Buffer };

    const event = await decoderOf(serde).decode('user', TOPIC, PARTITION, message);

    expect(Object.keys(event.headers).sort()).toEqual(['aggregateVersion', 'eventType', 'id']);
  });

  describe('tombstone event types', () => {
    it('turns UserDeleted without a value into an event with a null payload, asking the registry nothing', async () => {
      const { serde, lookups } = fakeRegistry();
      const message = record(null, { eventType: 'UserDeleted', aggregateVersion: '5' });

      const event = await decoderOf(serde).decode('user', TOPIC, PARTITION, message);

      expect(event).toMatchObject({ eventId: EVENT_ID, eventType: 'UserDeleted', aggregateId: USER_ID, aggregateVersion: 5, payload: null, occurredAt: OCCURRED_AT, offset: '1234' });
      expect(lookups).toEqual([]);
    });

    it('classifies a UserDeleted that carries a payload as poison (payload-mismatch)', async () => {
      const { serde, lookups } = fakeRegistry();

      const poison = await poisonOf(decoderOf(serde).decode('user', TOPIC, PARTITION, record(registeredBytes(), { eventType: 'UserDeleted' })));

      expect(poison.reason).toBe('payload-mismatch');
      expect(poison.message).toContain('UserDeleted');
      expect(lookups).toEqual([]);
    });
  });

  it('classifies a UserRegistered without a payload (a tombstone) as poison (payload-mismatch)', async () => {
    const { serde } = fakeRegistry();

    const poison = await poisonOf(decoderOf(serde).decode('user', TOPIC, PARTITION, record(null)));

    expect(poison.reason).toBe('payload-mismatch');
    expect(poison.message).toContain('UserRegistered');
  });

  it('classifies a record without its metadata headers as poison (missing-metadata) before looking at the value', async () => {
    const { serde, lookups } = fakeRegistry();

    const poison = await poisonOf(decoderOf(serde).decode('user', TOPIC, PARTITION, record(registeredBytes(), {}, { headers: {} })));

    expect(poison.reason).toBe('missing-metadata');
    expect(lookups).toEqual([]);
  });

  describe('bytes that can never be decoded', () => {
    const body = () => registered.type.toBuffer(USER);

    it.each<[string, () => Buffer, SerdeErrorCode]>([
      ['without the magic byte', () => Buffer.concat([Buffer.from([1]), registeredBytes().subarray(1)]), SerdeErrorCode.BAD_MAGIC_BYTE],
      ['shorter than the wire header', () => Buffer.from([0, 0, 0]), SerdeErrorCode.TRUNCATED],
      ['framed with a schema id the registry does not know', () => frame(999_999, body()), SerdeErrorCode.UNKNOWN_SCHEMA],
      ['whose Avro body is cut short', () => frame(REGISTERED_ID, body().subarray(0, 10)), SerdeErrorCode.UNDECODABLE],
      ['whose Avro body has trailing bytes', () => frame(REGISTERED_ID, Buffer.concat([body(), Buffer.from([1])])), SerdeErrorCode.UNDECODABLE],
      ['written with a schema the reader cannot resolve', () => frame(INCOMPATIBLE_ID, Buffer.from([2])), SerdeErrorCode.INCOMPATIBLE_SCHEMA],
      ['written with a record type this consumer has no reader for', () => frame(UPDATED_ID, updated.type.toBuffer({ ...USER, updatedAt: 1 })), SerdeErrorCode.INCOMPATIBLE_SCHEMA],
    ])('refuses a value %s for good, with the SerdeError of its code', async (_case, value, code) => {
      const { serde } = fakeRegistry();
      // Only UserRegistered is read, so a UserProfileUpdated writer has no reader.
      const decoder = new EventDecoder(serde, { readers: [registered.type], aggregates: [sampleUserAggregate] });

      const error = await decoder.decode('user', TOPIC, PARTITION, record(value())).then(
        () => expect.fail('decode should have failed'),
        (thrown: unknown) => thrown,
      );

      expect(error).toBeInstanceOf(SerdeError);
      expect(error).toMatchObject({ code, disposition: 'permanent', retriable: false });
    });
  });

  describe('records whose key or headers contradict the aggregate', () => {
    it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', 'UserRenamed', 'userregistered', ' '])(
      'refuses the event type %j as unknown-event-type before asking the registry',
      async (eventType) => {
        const { serde, lookups } = fakeRegistry();

        const poison = await poisonOf(decoderOf(serde).decode('user', TOPIC, PARTITION, record(registeredBytes(), { eventType })));

        expect(poison.reason).toBe('unknown-event-type');
        expect(lookups).toEqual([]);
      },
    );

    it.each([
      ['not a UUID', 'user-42'],
      ['an upper-case UUID, another spelling of an id', USER_ID.toUpperCase()],
      ['a UUID in braces', `{${USER_ID}}`],
      ['a UUID with a trailing newline', `${USER_ID}\n`],
    ])('refuses a key that is %s as invalid-key', async (_case, key) => {
      const { serde, lookups } = fakeRegistry();

      const poison = await poisonOf(decoderOf(serde).decode('user', TOPIC, PARTITION, record(registeredBytes(), {}, { key: Buffer.from(key) })));

      expect(poison.reason).toBe('invalid-key');
      expect(lookups).toEqual([]);
    });

    it('refuses a payload of another event type than its header says as payload-mismatch', async () => {
      const { serde } = fakeRegistry();
      const message = record(registeredBytes(), { eventType: 'UserProfileUpdated' });

      const poison = await poisonOf(decoderOf(serde).decode('user', TOPIC, PARTITION, message));

      expect(poison.reason).toBe('payload-mismatch');
      expect(poison.message).toContain('dev.evergreen.user.UserRegistered');
    });

    it.each([
      ['whose userId is not the record key', { ...USER, userId: '99999999-3c1e-4f7a-9d2b-1e2f3a4b5c6d' }, '99999999-3c1e-4f7a-9d2b-1e2f3a4b5c6d'],
      ['whose version is not the aggregateVersion header', { ...USER, version: 4 }, 'payload version 4 differs from the aggregateVersion header 3'],
    ])('refuses a payload %s as payload-mismatch, for every consumer of the aggregate', async (_case, payload, detail) => {
      const { serde } = fakeRegistry();

      const poison = await poisonOf(decoderOf(serde).decode('user', TOPIC, PARTITION, record(registeredBytes(payload))));

      expect(poison.reason).toBe('payload-mismatch');
      expect(poison.message).toContain(detail);
    });

    it('refuses an eventType header repeated with two values, and takes one repeated with the same value', async () => {
      const { serde } = fakeRegistry();
      const conflicting = record(registeredBytes());
      conflicting.headers = { ...conflicting.headers, eventType: [Buffer.from('UserRegistered'), Buffer.from('UserDeleted')] };
      const repeated = record(registeredBytes());
      repeated.headers = { ...repeated.headers, eventType: [Buffer.from('UserRegistered'), Buffer.from('UserRegistered')] };

      expect((await poisonOf(decoderOf(serde).decode('user', TOPIC, PARTITION, conflicting))).reason).toBe('missing-metadata');
      await expect(decoderOf(serde).decode('user', TOPIC, PARTITION, repeated)).resolves.toMatchObject({ eventType: 'UserRegistered' });
    });
  });

  describe('failures that may pass', () => {
    it.each<[string, unknown, SerdeErrorCode]>([
      ['refuses connections', new Error('connect ECONNREFUSED 127.0.0.1:18081'), SerdeErrorCode.REGISTRY_UNAVAILABLE],
      ['answers 503', { status: 503, message: 'Service Unavailable' }, SerdeErrorCode.REGISTRY_UNAVAILABLE],
      ['refuses our credentials (401)', { status: 401, message: 'Unauthorized' }, SerdeErrorCode.REGISTRY_UNHEALTHY],
      ['forbids the lookup (403)', { status: 403, message: 'Forbidden' }, SerdeErrorCode.REGISTRY_UNHEALTHY],
      ['rate-limits us (429)', { status: 429, message: 'Too Many Requests' }, SerdeErrorCode.REGISTRY_UNAVAILABLE],
    ])('rethrows the retriable SerdeError when the registry %s, so the record is retried rather than dead-lettered', async (_case, failure, code) => {
      const { serde } = fakeRegistry({ failure });

      const error = await decoderOf(serde).decode('user', TOPIC, PARTITION, record(registeredBytes())).then(
        () => expect.fail('decode should have failed'),
        (thrown: unknown) => thrown,
      );

      expect(error).not.toBeInstanceOf(PoisonRecordError);
      expect(error).toBeInstanceOf(SerdeError);
      expect(error).toMatchObject({ code, retriable: true, dependency: 'registry', cause: failure });
    });

    it('rethrows a retriable REGISTRY_UNHEALTHY, never poison, for a schema id the registry does not know when it knows nothing at all (a wrong URL, a proxy, restored empty)', async () => {
      const { serde } = fakeRegistry({ unhealthy: true });

      const error = await decoderOf(serde).decode('user', TOPIC, PARTITION, record(frame(999_999, registered.type.toBuffer(USER)))).then(
        () => expect.fail('decode should have failed'),
        (thrown: unknown) => thrown,
      );

      expect(error).not.toBeInstanceOf(PoisonRecordError);
      expect(error).toMatchObject({ code: SerdeErrorCode.REGISTRY_UNHEALTHY, retriable: true });
      expect((error as Error).message).toContain('registry unhealthy or misconfigured');
    });

    it('rethrows an error that is not a SerdeError as it is', async () => {
      const unexpected = new TypeError('cannot read properties of undefined');
      // The registry client hands back an avsc Type whose schema() is called outside the serde's own error handling.
      const { serde } = fakeRegistry({
        answer: {
          schema: () => {
            throw unexpected;
          },
        },
      });

      await expect(decoderOf(serde).decode('user', TOPIC, PARTITION, record(registeredBytes()))).rejects.toBe(unexpected);
    });

    it('asks the registry again on the next record once it is back', async () => {
      let away = true;
      const registry = {
        getSchema: async () => {
          if (away) throw new Error('connect ECONNREFUSED 127.0.0.1:18081');
          return JSON.parse(registered.definition) as unknown;
        },
      };
      const decoder = decoderOf(new AvroSerde(registry as unknown as SchemaRegistryClient));

      await expect(decoder.decode('user', TOPIC, PARTITION, record(registeredBytes()))).rejects.toMatchObject({ retriable: true });
      away = false;

      await expect(decoder.decode('user', TOPIC, PARTITION, record(registeredBytes()))).resolves.toMatchObject({ payload: USER });
    });
  });
});
