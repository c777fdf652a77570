import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defineAggregate, payload, tombstone, type PayloadOf } from './aggregate.ts';
import { catalogFromDirectory, createEventCatalog } from './catalog.ts';
import { topicsOf, topicsOfAggregate } from './topics.ts';

const record = (name: string, fields: object[] = [{ name: 'id', type: 'string' }]) => JSON.stringify({ type: 'record', name, namespace: 'dev.example', fields });

const parcel = defineAggregate({
  type: 'parcel',
  events: { ParcelSent: payload<{ id: string }>(), ParcelLost: tombstone() },
});

const inMemory = (definitions: Record<string, string>) => (aggregateType: string, eventType: string) => {
  const definition = definitions[`${aggregateType}/${eventType}`];
  if (definition === undefined) throw new Error(`no ${aggregateType}/${eventType}`);
  return { definition, path: `${aggregateType}/${eventType}.avsc` };
};

describe('createEventCatalog', () => {
  it('knows each event type with a payload by its schema, and which are tombstones', () => {
    const catalog = createEventCatalog([parcel], inMemory({ 'parcel/ParcelSent': record('ParcelSent') }));

    expect(catalog.schemas().map((schema) => `${schema.aggregateType}/${schema.fullName}`)).toEqual(['parcel/dev.example.ParcelSent']);
    expect(catalog.isTombstone('parcel', 'ParcelLost')).toBe(true);
    expect(catalog.isTombstone('parcel', 'ParcelSent')).toBe(false);
    expect(catalog.topicSchema({ topics: { prefix: 'ns', partitions: 1 } }, 'parcel', 'ParcelSent')).toMatchObject({ topic: 'ns.parcel', subject: 'ns.parcel-dev.example.ParcelSent' });
  });

  it('refuses an event type two aggregates declare, and an aggregate declared twice', () => {
    const other = defineAggregate({ type: 'crate', events: { ParcelSent: payload<{ id: string }>() } });

    expect(() => createEventCatalog([parcel, other], inMemory({}))).toThrow('event type ParcelSent is declared by both parcel and crate');
    expect(() => createEventCatalog([parcel, parcel], inMemory({}))).toThrow('aggregate parcel is in the catalog twice');
  });

  it('refuses a schema whose record is named otherwise than its event type', () => {
    const catalog = createEventCatalog([parcel], inMemory({ 'parcel/ParcelSent': record('ParcelShipped') }));

    expect(() => catalog.schemas()).toThrow('the record is named dev.example.ParcelShipped, expected ParcelSent');
  });

  it('names an aggregate it does not know', () => {
    expect(() => createEventCatalog([parcel], inMemory({})).isTombstone('order', 'OrderPlaced')).toThrow('no aggregate order in the catalog (known: parcel)');
  });
});

describe('catalogFromDirectory', () => {
  it('refuses a schema file in an aggregate folder that its descriptor does not declare', () => {
    const dir = mkdtempSync(join(tmpdir(), 'catalog-'));
    mkdirSync(join(dir, 'parcel'));
    writeFileSync(join(dir, 'parcel', 'ParcelSent.avsc'), record('ParcelSent'));
    writeFileSync(join(dir, 'parcel', 'ParcelDelayed.avsc'), record('ParcelDelayed'));

    expect(() => catalogFromDirectory(dir, [parcel])).toThrow("ParcelDelayed.avsc not declared in the parcel aggregate's descriptor");
  });
});

describe('defineAggregate', () => {
  it('refuses a type that cannot be a topic name, and an aggregate without events', () => {
    expect(() => defineAggregate({ type: 'Parcel Box', events: { A: tombstone() } })).toThrow('must be lower-case letters');
    expect(() => defineAggregate({ type: 'parcel', events: {} })).toThrow('declares no event types');
  });

  it('carries each event payload type for the compiler', () => {
    const sent: PayloadOf<typeof parcel, 'ParcelSent'> = { id: 'p-1' };
    const lost: PayloadOf<typeof parcel, 'ParcelLost'> = null;
    // @ts-expect-error a field the payload does not have
    const wrong: PayloadOf<typeof parcel, 'ParcelSent'> = { id: 'p-1', weight: 3 };

    expect([sent, lost, wrong]).toHaveLength(3);
  });
});

describe('topic names', () => {
  it("derive an aggregate's topic, retry topic and dead letters from the prefix and its type", () => {
    expect(topicsOfAggregate({ topics: { prefix: 'ns' } }, 'parcel')).toEqual({ aggregate: 'ns.parcel', retry: 'ns.parcel.retry', deadLetter: 'ns.parcel.dlq' });
    expect(topicsOf({ topics: { prefix: 'ns', partitions: 3 } }, [parcel])).toEqual({ parcel: 'ns.parcel' });
  });
});
