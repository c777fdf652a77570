import { describe, expect, it } from 'vitest';
import type { AvroSerde } from '@evergreen/avro-serde';
import { EvergreenError } from '@evergreen/errors';
import { createEventCatalog, defineAggregate, payload, tombstone, uuidKey } from '@evergreen/event-catalog';
import { createOutbox, type OutboxEvent } from './outbox.ts';

const parcel = defineAggregate({ type: 'parcel', events: { ParcelSent: payload<{ parcelId: string }>(), ParcelLost: tombstone() }, key: uuidKey });
const catalog = createEventCatalog([parcel], () => ({
  definition: JSON.stringify({ type: 'record', name: 'ParcelSent', namespace: 'dev.test', fields: [{ name: 'parcelId', type: 'string' }] }),
  path: 'inline',
}));
const serde = { encode: async () => Buffer.from([0, 0, 0, 0, 1, 2]) } as unknown as AvroSerde;
const ID = '4b1f6a52-3c1e-4f7a-9d2b-1e2f3a4b5c6d';

/** A transaction that records its statements. */
function recordingTx() {
  const statements: string[] = [];
  return { tx: { query: async (text: string) => void statements.push(text.split(' ').slice(0, 3).join(' ')) }, statements };
}

const event = (change: Partial<OutboxEvent>): OutboxEvent => ({ aggregateType: 'parcel', aggregateId: ID, eventType: 'ParcelSent', aggregateVersion: 1, data: { parcelId: ID }, ...change });

describe('outbox.publish', () => {
  const outbox = createOutbox({ serde, catalog, config: { topics: { prefix: 'test', partitions: 1 } } });

  it('writes the row, and deletes it in the same transaction', async () => {
    const { tx, statements } = recordingTx();
    await outbox.publish(tx, event({}));
    expect(statements).toEqual(['INSERT INTO outbox', 'DELETE FROM outbox']);
  });

  it.each<[string, Partial<OutboxEvent>, string]>([
    ['an event type the aggregate does not declare', { eventType: 'toString' }, 'eventType'],
    ['an id its key format refuses', { aggregateId: ID.toUpperCase() }, 'aggregateId'],
    ['an id that is no UUID', { aggregateId: 'parcel-7' }, 'aggregateId'],
    ['version zero', { aggregateVersion: 0 }, 'aggregateVersion'],
    ['a fractional version', { aggregateVersion: 1.5 }, 'aggregateVersion'],
  ])('refuses %s before writing anything: every consumer would dead-letter it', async (_case, change, field) => {
    const { tx, statements } = recordingTx();

    const error = await outbox.publish(tx, event(change)).catch((thrown: unknown) => thrown);

    expect(error).toBeInstanceOf(EvergreenError);
    expect(error).toMatchObject({ code: 'INVALID_VALUE', field });
    expect(statements).toEqual([]);
  });
});
