import { AvroSerde, frame, InvalidValueError, SerdeError, SerdeErrorCode, type RegistryProbe } from '@evergreen/avro-serde';
import { describe, expect, it } from 'vitest';
import { classify } from '@evergreen/errors';
import { poisonFrom, PoisonRecordError } from './poison.ts';
import { sampleCatalog } from './test-fixtures.ts';

const readers = [sampleCatalog.schema('user', 'UserRegistered').type];

/**
 * A real AvroSerde in front of a registry whose getSchema fails with `failure`, as the registry
 * client reports it; `probe` says whether the registry otherwise proves healthy.
 */
function serdeWhoseRegistryFails(failure: unknown, probe?: RegistryProbe): AvroSerde {
  const registry = { getSchema: async () => Promise.reject(failure) };
  return new AvroSerde(registry as unknown as ConstructorParameters<typeof AvroSerde>[0], probe);
}

/** A registry that lists subjects: healthy, so its 404 for a schema id is to be believed. */
const HEALTHY: RegistryProbe = { servesSchema: async () => true, subjects: async () => ['evergreen.user-dev.evergreen.user.UserRegistered'] };
/** A registry that answers 404 for everything: a wrong URL, a proxy, a registry restored empty. */
const KNOWS_NOTHING: RegistryProbe = { servesSchema: async () => false, subjects: async () => [] };

/** What AvroSerde.decode rejects with for `message`. */
async function decodeFailure(serde: AvroSerde, message: Buffer): Promise<unknown> {
  return serde.decode(message, readers).then(
    () => expect.fail('decode should have failed'),
    (error: unknown) => error,
  );
}

const WELL_FRAMED = frame(7, Buffer.from([2, 4]));

/** Whether the consumer dead-letters a record that failed to decode with `error` (runStep's decision). */
const isPoisonDecodeFailure = (error: unknown) => classify(error, { dependency: 'registry' }).disposition === 'permanent';

describe('decode failures, as the classifier sorts them', () => {
  const dataCodes = Object.values(SerdeErrorCode).filter((code) => code !== SerdeErrorCode.REGISTRY_UNAVAILABLE && code !== SerdeErrorCode.REGISTRY_UNHEALTHY && code !== SerdeErrorCode.REGISTRY_TIMEOUT);

  it.each(dataCodes)('treats a non-retriable SerdeError %s as poison', (code) => {
    expect(isPoisonDecodeFailure(new SerdeError(code, 'bad data'))).toBe(true);
  });

  it('treats a retriable SerdeError (the registry is away) as transient', () => {
    expect(isPoisonDecodeFailure(new SerdeError(SerdeErrorCode.REGISTRY_UNAVAILABLE, 'ECONNREFUSED'))).toBe(false);
  });

  it('treats an InvalidValueError (a SerdeError subclass) as poison', () => {
    expect(isPoisonDecodeFailure(new InvalidValueError('dev.evergreen.user.UserRegistered', [{ path: 'email', message: 'must be a string' }]))).toBe(true);
  });

  it.each<[string, unknown, string]>([
    ['a socket hung up', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), 'transient'],
    ['a TypeError', new TypeError('cannot read properties of undefined'), 'unknown'],
    ['an object shaped like a SerdeError', { name: 'SerdeError', code: SerdeErrorCode.UNDECODABLE, retriable: false }, 'unknown'],
    ['a thrown string', 'boom', 'unknown'],
    ['undefined', undefined, 'unknown'],
  ])('does not dead-letter for %s at once (it is %s)', (_case, error, disposition) => {
    expect(isPoisonDecodeFailure(error)).toBe(false);
    expect(classify(error).disposition).toBe(disposition);
  });

  describe('on the failures AvroSerde.decode really produces', () => {
    it('treats a message shorter than the wire header as poison', async () => {
      expect(isPoisonDecodeFailure(await decodeFailure(serdeWhoseRegistryFails(new Error('unused')), Buffer.from([0, 0])))).toBe(true);
    });

    it('treats a message without the magic byte as poison', async () => {
      const notAvro = Buffer.from('{"userId":"4b1f6a52"}');
      expect(isPoisonDecodeFailure(await decodeFailure(serdeWhoseRegistryFails(new Error('unused')), notAvro))).toBe(true);
    });

    it('treats a schema id a healthy registry does not know (404) as poison', async () => {
      const serde = serdeWhoseRegistryFails({ status: 404, message: 'Schema 7 not found' }, HEALTHY);
      expect(isPoisonDecodeFailure(await decodeFailure(serde, WELL_FRAMED))).toBe(true);
    });

    it('treats a 404 from a registry that knows nothing (or cannot be checked) as transient', async () => {
      const notFound = { status: 404, message: 'Schema 7 not found' };
      expect(isPoisonDecodeFailure(await decodeFailure(serdeWhoseRegistryFails(notFound, KNOWS_NOTHING), WELL_FRAMED))).toBe(false);
      expect(isPoisonDecodeFailure(await decodeFailure(serdeWhoseRegistryFails(notFound), WELL_FRAMED))).toBe(false);
    });

    it.each<[string, unknown]>([
      ['refuses connections', new Error('connect ECONNREFUSED 127.0.0.1:8081')],
      ['answers 503', { status: 503, message: 'Service Unavailable' }],
      ['times out', { status: 400, message: 'Request timeout after 3000ms' }],
    ])('treats a registry that %s as transient', async (_case, failure) => {
      expect(isPoisonDecodeFailure(await decodeFailure(serdeWhoseRegistryFails(failure), WELL_FRAMED))).toBe(false);
    });
  });
});

describe('poisonFrom', () => {
  it("keeps a record's own code, and files any other permanent failure under the store's refusal", () => {
    expect(poisonFrom(new SerdeError(SerdeErrorCode.UNDECODABLE, 'bad'), 'UNDECODABLE')).toMatchObject({ code: 'UNDECODABLE', reason: 'undecodable' });
    const refused = poisonFrom(new Error('invalid input syntax for type uuid'), 'INVALID_ARGUMENT');
    expect(refused).toMatchObject({ code: 'STORE_REJECTED', reason: 'store-rejected', message: 'invalid input syntax for type uuid' });
    const own = new PoisonRecordError('PAYLOAD_MISMATCH', 'userId differs');
    expect(poisonFrom(own, 'PAYLOAD_MISMATCH')).toBe(own);
  });
});
