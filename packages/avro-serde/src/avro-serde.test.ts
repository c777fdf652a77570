import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import avro from 'avsc';
import { afterEach, describe, expect, it } from 'vitest';
import { AvroSerde } from './avro-serde.ts';
import { SerdeError, SerdeErrorCode } from './errors.ts';
import { httpRegistryProbe, type RegistryProbe } from './registry-probe.ts';
import { frame } from './wire-format.ts';

const schema = { type: 'record', name: 'Thing', namespace: 'dev.evergreen.test', fields: [{ name: 'id', type: 'string' }] } as const;
const thing = avro.Type.forSchema(schema as unknown as avro.Schema);
const KNOWN_ID = 7;
const UNKNOWN_ID = 999_999;
const message = (id: number) => frame(id, thing.toBuffer({ id: 'a' }));

type RegistryClient = ConstructorParameters<typeof AvroSerde>[0];

/** A registry client that knows `known` ids (or answers 404 for every id once `emptied`). */
function registry(known: Set<number> = new Set([KNOWN_ID])) {
  return {
    getSchema: async (id: number) => {
      if (!known.has(id)) throw { status: 404, message: `Schema ${id} not found` };
      return schema;
    },
  } as unknown as RegistryClient;
}

function probe(answers: { serves?: (id: number) => boolean; subjects?: string[]; failure?: Error }) {
  const asked: string[] = [];
  const result: RegistryProbe = {
    async servesSchema(id) {
      asked.push(`schema ${id}`);
      if (answers.failure) throw answers.failure;
      return answers.serves?.(id) ?? false;
    },
    async subjects() {
      asked.push('subjects');
      if (answers.failure) throw answers.failure;
      return answers.subjects ?? [];
    },
  };
  return { probe: result, asked };
}

async function failureOf(serde: AvroSerde, bytes: Buffer): Promise<SerdeError> {
  const error = await serde.decode(bytes, [thing]).then(
    () => expect.fail('decode should have failed'),
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(SerdeError);
  return error as SerdeError;
}

describe('decodeAsWritten', () => {
  it("decodes with the writer's schema alone and names it", async () => {
    const decoded = await new AvroSerde(registry()).decodeAsWritten(message(KNOWN_ID));
    expect(decoded).toEqual({ schemaId: KNOWN_ID, writerName: 'dev.evergreen.test.Thing', value: { id: 'a' } });
  });
  it('says which schema the bytes do not fit', async () => {
    const error = await new AvroSerde(registry()).decodeAsWritten(frame(KNOWN_ID, Buffer.from([0x7f]))).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(SerdeError);
    expect((error as SerdeError).message).toContain('not valid Avro for dev.evergreen.test.Thing (schema id 7)');
  });
});

describe('an unknown schema id (404)', () => {
  it('is poison when the registry proves healthy by serving a schema id it served before', async () => {
    const { probe: healthy, asked } = probe({ serves: (id) => id === KNOWN_ID });
    const serde = new AvroSerde(registry(), healthy);
    await serde.decode(message(KNOWN_ID), [thing]);

    const error = await failureOf(serde, message(UNKNOWN_ID));

    expect(error).toMatchObject({ code: SerdeErrorCode.UNKNOWN_SCHEMA, retriable: false });
    expect(error.message).toContain(`schema id ${UNKNOWN_ID}`);
    expect(error.message).toContain(`it serves schema id ${KNOWN_ID}`);
    expect(asked).toEqual([`schema ${KNOWN_ID}`]);
  });

  it('is poison, before any schema was served, when the registry lists subjects', async () => {
    const { probe: healthy, asked } = probe({ subjects: ['evergreen.user-dev.evergreen.user.UserRegistered'] });

    const error = await failureOf(new AvroSerde(registry(), healthy), message(UNKNOWN_ID));

    expect(error).toMatchObject({ code: SerdeErrorCode.UNKNOWN_SCHEMA, retriable: false });
    expect(asked).toEqual(['subjects']);
  });

  it.each<[string, { serves?: (id: number) => boolean; subjects?: string[]; failure?: Error }, boolean]>([
    ['answers 404 for everything (a wrong URL, a proxy)', {}, false],
    ['no longer serves a schema id it served before (restored empty)', { serves: () => false, subjects: ['a-subject'] }, true],
    ['lists no subjects (empty)', { subjects: [] }, false],
    ['cannot be checked (the probe fails)', { failure: new Error('GET /subjects answered HTTP 502') }, false],
  ])('is transient when the registry %s: REGISTRY_UNHEALTHY, "registry unhealthy or misconfigured"', async (_case, answers, servedBefore) => {
    const { probe: unhealthy } = probe(answers);
    // The registry "restored empty": it served KNOWN_ID, then knows nothing.
    const known = new Set([KNOWN_ID]);
    const serde = new AvroSerde(registry(known), unhealthy);
    if (servedBefore) {
      await serde.decode(message(KNOWN_ID), [thing]);
      known.clear();
    }

    const error = await failureOf(serde, message(UNKNOWN_ID));

    expect(error).toMatchObject({ code: SerdeErrorCode.REGISTRY_UNHEALTHY, retriable: true });
    expect(error.message).toMatch(/^schema registry unhealthy or misconfigured/);
    expect(error.cause).toMatchObject({ status: 404 });
  });

  it('is transient when there is no probe to prove the registry healthy', async () => {
    const error = await failureOf(new AvroSerde(registry()), message(UNKNOWN_ID));

    expect(error).toMatchObject({ code: SerdeErrorCode.REGISTRY_UNHEALTHY, retriable: true });
  });

  it('is asked about again once the registry is healthy again, and then found poison', async () => {
    let healthy = false;
    const serde = new AvroSerde(registry(), { servesSchema: async () => healthy, subjects: async () => (healthy ? ['s'] : []) });

    expect(await failureOf(serde, message(UNKNOWN_ID))).toMatchObject({ retriable: true });
    healthy = true;
    expect(await failureOf(serde, message(UNKNOWN_ID))).toMatchObject({ code: SerdeErrorCode.UNKNOWN_SCHEMA, retriable: false });
  });
});

describe('httpRegistryProbe', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  async function serve(handler: (request: IncomingMessage, response: ServerResponse) => void): Promise<string> {
    const server = createServer(handler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    close = () => new Promise<void>((resolve) => server.close(() => resolve()));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/apis/ccompat/v7/`;
  }

  it('reads a served schema and the subjects list from a Confluent-compatible registry', async () => {
    const url = await serve((request, response) => {
      response.setHeader('content-type', 'application/json');
      if (request.url === '/apis/ccompat/v7/schemas/ids/7') return void response.end(JSON.stringify({ schema: JSON.stringify(schema) }));
      if (request.url === '/apis/ccompat/v7/subjects') return void response.end(JSON.stringify(['a', 'b']));
      response.statusCode = 404;
      response.end(JSON.stringify({ error_code: 40403, message: 'Schema not found' }));
    });
    const registryProbe = httpRegistryProbe(url);

    expect(await registryProbe.servesSchema(7)).toBe(true);
    expect(await registryProbe.servesSchema(8)).toBe(false);
    expect(await registryProbe.subjects()).toEqual(['a', 'b']);
  });

  it('takes a page that is no schema and no list (a proxy, a wrong URL) as proof of nothing', async () => {
    const url = await serve((_request, response) => {
      response.setHeader('content-type', 'text/html');
      response.end('<html>It works!</html>');
    });
    const registryProbe = httpRegistryProbe(url);

    expect(await registryProbe.servesSchema(7)).toBe(false);
    expect(await registryProbe.subjects()).toEqual([]);
  });

  it('rejects when the registry answers 5xx', async () => {
    const url = await serve((_request, response) => {
      response.statusCode = 503;
      response.end();
    });

    await expect(httpRegistryProbe(url).subjects()).rejects.toThrow(/503/);
  });
});
