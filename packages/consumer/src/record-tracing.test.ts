import { afterEach, describe, expect, it, vi } from 'vitest';
import type { KafkaMessage } from 'kafkajs';
import { startTracing, stopTracing } from '@evergreen/platform';
import { OTLP_SPAN_KIND, startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '@evergreen/platform/otlp-receiver';
import { PoisonRecordError } from './poison.ts';
import { traceSlice } from './record-tracing.ts';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PRODUCER = '00f067aa0ba902b7';

function record(offset: number, traceparent?: string): KafkaMessage {
  return {
    key: Buffer.from(`user-${offset}`),
    value: null,
    timestamp: '1700000000000',
    attributes: 0,
    offset: String(offset),
    headers: { id: `00000000-0000-4000-8000-00000000000${offset}`, eventType: 'UserRegistered', ...(traceparent && { traceparent }) },
  };
}

const origin = { topic: 'evergreen-e2e.user', partition: 2, groupId: 'populator', receivedAt: 1_700_000_000_250 };
let receiver: OtlpReceiver | undefined;

afterEach(async () => {
  await stopTracing();
  await receiver?.close();
  receiver = undefined;
  vi.unstubAllEnvs();
});

async function tracedRun(work: () => Promise<void>): Promise<ReceivedSpan[]> {
  receiver = await startOtlpReceiver();
  vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', receiver.url);
  await startTracing({ serviceName: 'consumer-test' });
  await work();
  await stopTracing();
  return receiver.spans();
}

describe('traceSlice', () => {
  it('is nothing at all with tracing off', async () => {
    vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', '');
    await startTracing({ serviceName: 'consumer-test' });
    expect(traceSlice(origin, [record(1, `00-${TRACE}-${PRODUCER}-01`)], Date.now(), () => false)).toBeUndefined();
  });

  it('continues each record\'s trace: relay from the commit to the fetch, then this group\'s process span, then the store write', async () => {
    const spans = await tracedRun(async () => {
      const traced = traceSlice(origin, [record(1, `00-${TRACE}-${PRODUCER}-01`), record(2), record(3, `00-${TRACE}-${PRODUCER}-01`)], 1_700_000_000_300, (index) => index === 1)!;
      await traced.apply([0, 2], { system: 'redis', namespace: '1' }, async () => undefined);
      traced.outcome(0, 'applied', 'UserRegistered');
      traced.outcome(2, 'stale', 'UserRegistered');
      traced.end();
    });
    const relays = spans.filter((span) => span.name === 'relay evergreen-e2e.user');
    const processes = spans.filter((span) => span.name === 'process evergreen-e2e.user');
    const [apply] = spans.filter((span) => span.name === 'apply redis');
    // The record read past (another group's retry) has no span.
    expect(relays).toHaveLength(2);
    expect(processes).toHaveLength(2);
    for (const relay of relays) {
      expect(relay).toMatchObject({ traceId: TRACE, parentSpanId: PRODUCER, kind: OTLP_SPAN_KIND.INTERNAL, startMs: 1_700_000_000_000, endMs: 1_700_000_000_250 });
      expect(relay.attributes['messaging.operation.type']).toBeUndefined();
    }
    expect(processes.map((span) => span.parentSpanId).sort()).toEqual(relays.map((span) => span.spanId).sort());
    const first = processes.find((span) => span.attributes['messaging.kafka.offset'] === 1)!;
    expect(first).toMatchObject({
      kind: OTLP_SPAN_KIND.CONSUMER,
      startMs: 1_700_000_000_300,
      attributes: {
        'messaging.system': 'kafka',
        'messaging.operation.type': 'process',
        'messaging.destination.name': 'evergreen-e2e.user',
        'messaging.destination.partition.id': '2',
        'messaging.consumer.group.name': 'populator',
        'messaging.kafka.message.key': 'user-1',
        'messaging.message.id': '00000000-0000-4000-8000-000000000001',
        'evergreen.consumer.outcome': 'applied',
        'evergreen.event.type': 'UserRegistered',
      },
    });
    expect(apply).toMatchObject({ parentSpanId: first.spanId, kind: OTLP_SPAN_KIND.CLIENT, attributes: { 'db.system.name': 'redis', 'db.namespace': '1', 'evergreen.consumer.records': 2 } });
    const other = processes.find((span) => span.attributes['messaging.kafka.offset'] === 3)!;
    expect(apply?.links).toEqual([{ traceId: TRACE, spanId: other.spanId }]);
  });

  it('records a dead letter, a failed write attempt and an unfinished slice as failures', async () => {
    const spans = await tracedRun(async () => {
      const traced = traceSlice(origin, [record(1, `00-${TRACE}-${PRODUCER}-01`), record(2, `00-${TRACE}-${PRODUCER}-01`)], Date.now(), () => false)!;
      await expect(traced.apply([1], undefined, async () => Promise.reject(new Error('redis away')))).rejects.toThrow('redis away');
      traced.outcome(0, 'dead_lettered', undefined, new PoisonRecordError('UNDECODABLE', 'not Avro'));
      traced.end(new Error('stopping'));
      traced.end();
    });
    const processes = spans.filter((span) => span.name.startsWith('process'));
    const poisoned = processes.find((span) => span.attributes['messaging.kafka.offset'] === 1)!;
    expect(poisoned).toMatchObject({ statusCode: 2, attributes: { 'evergreen.consumer.outcome': 'dead_lettered', 'error.type': 'Error' } });
    expect(poisoned.events).toContain('exception');
    expect(processes.every((span) => span.statusCode === 2)).toBe(true);
    expect(spans.find((span) => span.name === 'apply store')).toMatchObject({ statusCode: 2, events: ['exception'] });
  });
});
