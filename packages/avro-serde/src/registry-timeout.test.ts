import { startScratchHttpServer, timed, type ScratchHttpServer } from '@evergreen/platform/testing';
import avro from 'avsc';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AvroSerde, DEFAULT_REGISTRY_TIMEOUT_MS, type LocalSchema } from './avro-serde.ts';
import { SerdeError, SerdeErrorCode } from './errors.ts';
import { frame } from './wire-format.ts';

/**
 * The serde against a stand-in registry in a process of its own, frozen with SIGSTOP: it accepts
 * every connection and never answers. Before the serde had a bound, a lookup waited for ever, and
 * so did every later caller of the same lookup (it is memoized), an outbox transaction included.
 */
const definition = JSON.stringify({ type: 'record', name: 'Thing', namespace: 'dev.evergreen.test', fields: [{ name: 'id', type: 'string' }] });
const schema: LocalSchema = { subject: 'test-thing-value', definition, type: avro.Type.forSchema(JSON.parse(definition) as avro.Schema) };
const SCHEMA_ID = 7;

let registry: ScratchHttpServer;
beforeAll(async () => {
  registry = await startScratchHttpServer({
    [`POST /subjects/${schema.subject}`]: { status: 200, body: { subject: schema.subject, id: SCHEMA_ID, version: 1, schema: definition } },
    [`GET /schemas/ids/${SCHEMA_ID}`]: { status: 200, body: { schema: definition } },
    'GET /subjects': { status: 200, body: [schema.subject] },
  });
});
afterAll(() => registry?.stop());

// Generous: these run beside every other test on two cores; a wait without a bound would take for ever.
const SLACK_MS = 1_000;
const TIMEOUT_MS = 600;

function expectTimeout(error: unknown): void {
  expect(error).toBeInstanceOf(SerdeError);
  expect((error as SerdeError).code).toBe(SerdeErrorCode.REGISTRY_TIMEOUT);
  expect((error as SerdeError).retriable).toBe(true);
  expect((error as SerdeError).dependency).toBe('registry');
}

describe('a registry that accepts connections and never answers (SIGSTOP)', () => {
  it(`fails a schema-id lookup with REGISTRY_TIMEOUT within the default bound (${DEFAULT_REGISTRY_TIMEOUT_MS} ms)`, async () => {
    const serde = AvroSerde.forUrl(registry.url);

    const { ms, error } = await registry.process.whilePaused(() => timed(() => serde.encode(schema, { id: 'a' }), 'serde lookup, registry frozen, default bound'));

    expectTimeout(error);
    expect(ms).toBeGreaterThanOrEqual(DEFAULT_REGISTRY_TIMEOUT_MS - 20);
    expect(ms).toBeLessThan(DEFAULT_REGISTRY_TIMEOUT_MS + SLACK_MS);
  }, 15_000);

  it('lets every caller waiting on the same memoized lookup go by the first one’s deadline, then asks again', async () => {
    // Long enough that "let go with the first caller" (2 s) and "waits a bound of its own from
    // when it joined" (3 s) stay apart on a loaded machine.
    const bound = 2_000;
    const serde = AvroSerde.forUrl(registry.url, { timeoutMs: bound });

    const outcomes = await registry.process.whilePaused(async () => {
      const started = performance.now();
      const first = timed(() => serde.schemaIdOf(schema));
      await new Promise((resolve) => setTimeout(resolve, bound / 2));
      // A later caller (another request) joins the pending lookup rather than asking again...
      const later = timed(() => serde.schemaIdOf(schema));
      const [a, b] = await Promise.all([first, later]);
      return { a, b, laterEndedAt: performance.now() - started };
    });

    expectTimeout(outcomes.a.error);
    expectTimeout(outcomes.b.error);
    // ...and is let go with it: nobody waits past the first caller's bound.
    expect(outcomes.laterEndedAt).toBeLessThan(bound + 700);
    // The failed lookup is forgotten: with the registry back, the next caller gets the id.
    await expect(serde.schemaIdOf(schema)).resolves.toBe(SCHEMA_ID);
  });

  it('fails decoding a record whose writer schema it must fetch, within the bound, as a retriable error (never dead-lettered)', async () => {
    const serde = AvroSerde.forUrl(registry.url, { timeoutMs: TIMEOUT_MS });
    const record = frame(SCHEMA_ID, schema.type.toBuffer({ id: 'a' }));

    const { ms, error } = await registry.process.whilePaused(() => timed(() => serde.decode(record, [schema.type])));

    expectTimeout(error);
    expect(ms).toBeLessThan(TIMEOUT_MS + SLACK_MS);
    // The registry client shares its request in flight, abandoned but bounded by the same timeout:
    // a retry right after may still get that request's failure, a later one the schema.
    await vi.waitFor(() => expect(serde.decode(record, [schema.type])).resolves.toMatchObject({ schemaId: SCHEMA_ID, value: { id: 'a' } }), { timeout: 2 * TIMEOUT_MS });
  });

  it('fails a registration (npm run schemas:register) within the bound the stack settings give (EVERGREEN_REGISTRY_TIMEOUT_MS)', async () => {
    const serde = AvroSerde.forRegistry({ ccompatUrl: registry.url, timeoutMs: TIMEOUT_MS });

    const { ms, error } = await registry.process.whilePaused(() => timed(() => serde.register(schema)));

    expectTimeout(error);
    expect(ms).toBeLessThan(TIMEOUT_MS + SLACK_MS);
  });
});
