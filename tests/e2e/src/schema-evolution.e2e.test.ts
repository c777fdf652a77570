import { randomUUID } from 'node:crypto';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SerdeError } from '@evergreen/avro-serde';
import { userKey } from '@evergreen/user-read-model';
import { withTransaction } from '@evergreen/platform';
import { checkSchemas, eventSchema, parseSchema, type TopicSchema } from '@evergreen/schemas';
import { cacheEntryAt, startHarness, uniqueEmail, type Harness } from './support/harness.ts';

/** A variant of a catalog schema with extra fields, under a subject of its own so the real subjects stay untouched. */
function variant(eventType: string, extraFields: object[], subject: string, topic: string): TopicSchema {
  const base = eventSchema('user', eventType);
  const json = JSON.parse(base.definition) as { fields: object[] };
  const definition = JSON.stringify({ ...json, fields: [...json.fields, ...extraFields] });
  const path = join(mkdtempSync(join(tmpdir(), 'evergreen-schema-')), `${eventType}.avsc`);
  writeFileSync(path, definition);
  return { ...base, definition, path, type: parseSchema(definition), subject, topic };
}

// Issue #3: schemas evolve; incompatible changes are refused before and at deployment; old consumers keep working.
describe('schema evolution', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('refuses a new field without a default, both in schemas:check and in the registry', async () => {
    const subject = `e2e-${randomUUID()}-dev.evergreen.user.UserRegistered`;
    const v1 = variant('UserRegistered', [], subject, h.topic);
    await h.serde.register(v1, 'BACKWARD');
    const v2 = variant('UserRegistered', [{ name: 'locale', type: 'string' }], subject, h.topic);

    const [comparison] = await checkSchemas(h.config, h.serde, 'BACKWARD', [v2]);
    expect(comparison?.against).toMatch(/^registry id \d+$/);
    expect(comparison?.problems.map((problem) => problem.reason).join()).toContain('locale');

    const refusal = await h.serde.register(v2, 'BACKWARD').then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refusal).toBeInstanceOf(SerdeError);
    expect(String((refusal as Error).message)).toMatch(/409|ncompatible/);

    const compatible = variant('UserRegistered', [{ name: 'locale', type: ['null', 'string'], default: null }], subject, h.topic);
    expect((await checkSchemas(h.config, h.serde, 'BACKWARD', [compatible]))[0]?.problems).toEqual([]);
    expect(await h.serde.register(compatible, 'BACKWARD')).toBeGreaterThan(0);
  });

  it('lets a consumer built against v1 apply an event a producer wrote with v2 (a new optional field)', async () => {
    const registered = await h.app.inject({ method: 'POST', url: '/users', payload: { email: uniqueEmail('evolve'), name: 'Version One' } });
    const user = registered.json<{ id: string; email: string; registeredAt: string }>();

    const subject = `e2e-${randomUUID()}-dev.evergreen.user.UserProfileUpdated`;
    const v2 = variant('UserProfileUpdated', [{ name: 'locale', type: ['null', 'string'], default: null }], subject, h.topic);
    await h.serde.register(v2, 'BACKWARD');
    // A producer already on v2 writes straight into the outbox, as its own outbox library would.
    const payload = await h.serde.encode(v2, {
      userId: user.id,
      version: 2,
      email: user.email,
      name: 'Written With v2',
      avatarUrl: null,
      registeredAt: Date.parse(user.registeredAt),
      updatedAt: Date.now(),
      locale: 'fr-FR',
    });
    await withTransaction(h.pool, async (tx) => {
      await tx.query('INSERT INTO outbox (id, aggregatetype, aggregateid, type, payload, aggregateversion) VALUES ($1, $2, $3, $4, $5, $6)', [
        randomUUID(),
        'user',
        user.id,
        'UserProfileUpdated',
        payload,
        2,
      ]);
    });

    const entry = await cacheEntryAt(h.redis, userKey(user.id), 2);
    expect(entry).toMatchObject({ name: 'Written With v2', version: '2' });
    expect(entry).not.toHaveProperty('locale');
  });
});
