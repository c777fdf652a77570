import type { KafkaMessage } from 'kafkajs';
import { Registry } from 'prom-client';
import { createLogger } from '@evergreen/platform';
import { DatabaseError } from 'pg-protocol';
import { describe, expect, it } from 'vitest';
import type { DeadLetterSource } from './dead-letter.ts';
import type { ConsumedEvent } from './event.ts';
import { ConsumerMetrics } from './metrics.ts';
import { PoisonRecordError } from './poison.ts';
import type { Handled } from './record-handler.ts';
import type { StepHooks } from './retry-policy.ts';
import type { ApplyOutcome, PendingOperation, Sink } from './sink.ts';
import { SliceProcessor, type Slice } from './slice-processor.ts';

const TOPIC = 'evergreen.user';

const messages = (count: number): KafkaMessage[] =>
  Array.from({ length: count }, (_, index) => ({ key: Buffer.from(`k${index}`), value: Buffer.from(`v${index}`), timestamp: '1', attributes: 0, offset: String(100 + index), headers: {} }) as KafkaMessage);

const eventAt = (message: KafkaMessage): ConsumedEvent => ({
  eventId: `e${message.offset}`, eventType: 'UserRegistered', aggregateId: message.key?.toString() ?? '', aggregateVersion: 1, payload: {}, headers: {}, topic: TOPIC, partition: 0, offset: message.offset, occurredAt: 1,
});

/** Each record becomes the operation "write <offset>", unless `handled` says otherwise for its offset. */
function records(special: Record<string, (message: KafkaMessage) => Promise<Handled<string>>> = {}) {
  return {
    handle: async (_topic: string, _partition: number, message: KafkaMessage): Promise<Handled<string>> =>
      special[message.offset]?.(message) ?? { kind: 'operation', operation: { op: `write ${message.offset}`, event: eventAt(message) } },
  };
}

/** A store that refuses any batch holding an operation of `refused` with `failure`; it records what it wrote. */
function store(refused: ReadonlySet<string> = new Set(), failure: (op: string) => unknown = (op) => Object.assign(new DatabaseError(`invalid input syntax for type uuid: ${op}`, 0, 'error'), { code: '22P02' })) {
  const written: string[] = [];
  const sink: Sink<string> = {
    async apply(operations: ReadonlyArray<PendingOperation<string>>): Promise<ApplyOutcome[]> {
      const bad = operations.find(({ op }) => refused.has(op));
      if (bad) throw failure(bad.op);
      written.push(...operations.map(({ op }) => op));
      return operations.map(() => 'applied');
    },
    probe: async () => undefined,
  };
  return { sink, written };
}

function processor(options: { records?: ReturnType<typeof records>; sink?: Sink<string> } = {}) {
  const letters: Array<{ offset: string; reason: string; message: string }> = [];
  const registry = new Registry();
  const slices = new SliceProcessor<string>({
    name: 'test-consumer',
    groupId: 'test-group',
    records: options.records ?? records(),
    sink: options.sink ?? store().sink,
    deadLetters: {
      send: async (source: DeadLetterSource, error: PoisonRecordError) => void letters.push({ offset: source.message.offset, reason: error.reason, message: error.message }),
    },
    metrics: new ConsumerMetrics(registry),
    logger: createLogger('test', 'silent'),
    retry: { initialMs: 1, maxMs: 2, unknownErrorBudgetMs: 20 },
  });
  const retries: Array<{ offset: string; step: string }> = [];
  const hooksFor = (offset: string, step: string): StepHooks => ({
    isRunning: () => true,
    heartbeat: async () => undefined,
    onRetry: () => void retries.push({ offset, step }),
  });
  const slice = (batch: KafkaMessage[]): Slice => ({ topic: TOPIC, partition: 0, messages: batch, receivedAt: 1, hooksFor });
  const counted = async (outcome: string) => (await registry.getSingleMetric('evergreen_consumer_records_total')?.get())?.values.find((value) => value.labels.outcome === outcome)?.value ?? 0;
  return { slices, slice, letters, retries, counted, registry };
}

describe('SliceProcessor', () => {
  it('writes every operation of a slice in one call and counts them applied', async () => {
    const { sink, written } = store();
    const { slices, slice, letters, counted } = processor({ sink });

    await slices.process(slice(messages(5)));

    expect(written).toEqual(['write 100', 'write 101', 'write 102', 'write 103', 'write 104']);
    expect(letters).toEqual([]);
    expect(await counted('applied')).toBe(5);
  });

  it('dead-letters a record the store refuses (store-rejected) and writes the rest of the slice around it, in order', async () => {
    const { sink, written } = store(new Set(['write 103']));
    const { slices, slice, letters, counted } = processor({ sink });

    await slices.process(slice(messages(8)));

    expect(written.sort()).toEqual(['write 100', 'write 101', 'write 102', 'write 104', 'write 105', 'write 106', 'write 107']);
    expect(letters).toEqual([{ offset: '103', reason: 'store-rejected', message: 'invalid input syntax for type uuid: write 103' }]);
    expect(await counted('dead_lettered')).toBe(1);
    expect(await counted('applied')).toBe(7);
  });

  it('retries an unknown failure of one record within its budget, then dead-letters it as retries-exhausted, naming the error', async () => {
    const { sink } = store(new Set(['write 101']), () => new TypeError('op is not a function'));
    const { slices, slice, letters, retries } = processor({ sink });

    await slices.process(slice(messages(3)));

    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ offset: '101', reason: 'retries-exhausted' });
    expect(letters[0]?.message).toContain('TypeError: op is not a function');
    // Retried on the record itself, once it was found: the stuck partition names it.
    expect(retries.length).toBeGreaterThan(0);
    expect(new Set(retries.map((retry) => `${retry.step}@${retry.offset}`))).toEqual(new Set(['apply@101']));
  });

  it('halves a batch whose transient failure keeps recurring, so the record it comes from is the one retried (and named stuck)', async () => {
    let failures = 12;
    const locked = (op: string) => (failures-- > 0 ? Object.assign(new Error(`canceling statement due to lock timeout (${op})`), { code: '55P03', name: 'error', severity: 'ERROR' }) : undefined);
    const written: string[] = [];
    const sink: Sink<string> = {
      async apply(operations) {
        const held = operations.find(({ op }) => op === 'write 105');
        const failure = held && locked(held.op);
        if (failure) throw failure;
        written.push(...operations.map(({ op }) => op));
        return operations.map(() => 'applied');
      },
      probe: async () => undefined,
    };
    const { slices, slice, letters, retries } = processor({ sink });

    await slices.process(slice(messages(8)));

    expect(letters).toEqual([]);
    expect(written).toEqual(['write 100', 'write 101', 'write 102', 'write 103', 'write 104', 'write 105', 'write 106', 'write 107']);
    // The last retries were on the record itself.
    expect(retries.at(-1)).toEqual({ offset: '105', step: 'apply' });
  });

  it('dead-letters what decoding refuses and what the store refuses in record order, with their own reasons', async () => {
    const poison = (message: KafkaMessage) => Promise.reject(new PoisonRecordError('INVALID_KEY', `key ${message.key?.toString()} is not a user id`));
    const { sink } = store(new Set(['write 100']));
    const { slices, slice, letters } = processor({ records: records({ '102': poison }), sink });

    await slices.process(slice(messages(4)));

    expect(letters.map((letter) => [letter.offset, letter.reason])).toEqual([
      ['100', 'store-rejected'],
      ['102', 'invalid-key'],
    ]);
  });

  it('retries a record whose decoding failed transiently (the registry away), naming that record, then applies it', async () => {
    let away = 2;
    const flaky = async (message: KafkaMessage): Promise<Handled<string>> => {
      if (away-- > 0) throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:18081'), { code: 'ECONNREFUSED' });
      return { kind: 'operation', operation: { op: `write ${message.offset}`, event: eventAt(message) } };
    };
    const { sink, written } = store();
    const { slices, slice, letters, retries } = processor({ records: records({ '101': flaky }), sink });

    await slices.process(slice(messages(3)));

    expect(written).toEqual(['write 100', 'write 101', 'write 102']);
    expect(letters).toEqual([]);
    expect(retries).toEqual([
      { offset: '101', step: 'decode' },
      { offset: '101', step: 'decode' },
    ]);
  });

  it('counts skipped records and reads past foreign ones without writing either', async () => {
    const { sink, written } = store();
    const { slices, slice, counted } = processor({
      records: records({ '100': async () => ({ kind: 'skip', eventType: 'UserDeleted' }), '101': async () => ({ kind: 'foreign' }) }),
      sink,
    });

    await slices.process(slice(messages(3)));

    expect(written).toEqual(['write 102']);
    expect(await counted('skipped')).toBe(1);
  });

  it('refuses a sink that answers fewer outcomes than operations, rather than miscounting', async () => {
    const lying: Sink<string> = { apply: async () => ['applied'], probe: async () => undefined };
    const { slices, slice, letters } = processor({ sink: lying });

    await slices.process(slice(messages(2)));

    // Each alone answers one outcome for one operation: both pass once isolated.
    expect(letters).toEqual([]);
  });
});
