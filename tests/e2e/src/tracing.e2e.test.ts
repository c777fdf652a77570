import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logLevel } from 'kafkajs';
import { retryTopic } from '@evergreen/consumer';
import { aggregateTopic, createKafka, loadStackConfig, pollUntil } from '@evergreen/platform';
import { startGroupAtEnd } from './support/caught-up.ts';
import { OTLP_SPAN_KIND, startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '@evergreen/platform/otlp-receiver';
import { uniqueEmail } from './support/harness.ts';
import { spawnService, type ServiceProcess } from './support/service-process.ts';

// Issue #14: one write is one trace, from the API's HTTP span through its transaction and outbox
// row, over the relay, to each consumer group's work on the event. The services run as real
// processes exporting over OTLP/HTTP to a receiver inside the test, as they would to a collector.

const hex = (bytes: number) => randomBytes(bytes).toString('hex');

describe('tracing: a write yields one connected trace across the services', () => {
  let receiver: OtlpReceiver;
  let api: ServiceProcess;
  const services: ServiceProcess[] = [];
  // Groups of their own, apart from any other run's consumers, starting at the topic's end: replaying
  // what earlier suites left there (thousands of records in a full run) could outlast the deadline.
  const populatorGroup = `${process.env.EVERGREEN_POPULATOR_GROUP ?? 'evergreen-e2e-cache-populator'}-tracing-${randomUUID()}`;
  const activityGroup = `${process.env.EVERGREEN_ACTIVITY_LOG_GROUP ?? 'evergreen-e2e-activity-log'}-tracing-${randomUUID()}`;

  beforeAll(async () => {
    const config = loadStackConfig();
    const admin = createKafka({ clientId: 'evergreen-e2e-tracing', brokers: config.kafka.brokers, logLevel: logLevel.ERROR }).admin();
    await admin.connect();
    try {
      const topics = [aggregateTopic(config, 'user'), retryTopic(aggregateTopic(config, 'user'))];
      await Promise.all([startGroupAtEnd(admin, populatorGroup, topics), startGroupAtEnd(admin, activityGroup, topics)]);
    } finally {
      await admin.disconnect();
    }
    receiver = await startOtlpReceiver();
    const otel = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '200' };
    // The consumers continue sampled traces and start none: catching up on the topic's earlier
    // records (written without a sampled trace) then exports nothing.
    const continueOnly = { ...otel, OTEL_TRACES_SAMPLER: 'parentbased_always_off' };
    const started = await Promise.allSettled([
      spawnService('registration-api', { env: otel, label: `tracing-api-${randomUUID()}` }),
      spawnService('cache-populator', { env: { ...continueOnly, EVERGREEN_POPULATOR_GROUP: populatorGroup }, label: populatorGroup }),
      spawnService('activity-log', { env: { ...continueOnly, EVERGREEN_ACTIVITY_LOG_GROUP: activityGroup }, label: activityGroup }),
    ]);
    for (const result of started) if (result.status === 'fulfilled') services.push(result.value);
    const failed = started.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
    api = services[0] as ServiceProcess;
  });

  afterAll(async () => {
    await Promise.all(services.map((service) => service.terminate().catch(() => service.kill())));
    await receiver?.close();
  });

  async function register(headers: Record<string, string> = {}): Promise<string> {
    const response = await fetch(`${api.url}/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ email: uniqueEmail('trace'), name: 'Trace Hopper', avatarUrl: null }),
      signal: AbortSignal.timeout(10_000),
    });
    expect(response.status).toBe(201);
    return ((await response.json()) as { id: string }).id;
  }

  /** The trace id of the write of `userId`: its producer span is keyed by the user's id. */
  function traceOfWrite(userId: string): string | undefined {
    return receiver.spans().find((span) => span.kind === OTLP_SPAN_KIND.PRODUCER && span.attributes['messaging.kafka.message.key'] === userId)?.traceId;
  }

  const processSpanOf = (spans: ReceivedSpan[], groupPrefix: string) =>
    spans.find((span) => span.kind === OTLP_SPAN_KIND.CONSUMER && String(span.attributes['messaging.consumer.group.name']).startsWith(groupPrefix));

  /**
   * The store write of a record's process span: its child, or, when another run's record came first
   * in the same slice, that record's child, linked to this one.
   */
  const applyOf = (process_: ReceivedSpan) =>
    receiver.spans().find((span) => span.name.startsWith('apply ') && (span.parentSpanId === process_.spanId || span.links.some((link) => link.spanId === process_.spanId)));

  /** Polls until the trace holds each group's process span and each one's store write exists, and returns its spans. */
  async function completeTrace(traceId: string): Promise<ReceivedSpan[]> {
    return pollUntil(
      () => {
        const spans = receiver.trace(traceId);
        const processes = [populatorGroup, activityGroup].map((group) => processSpanOf(spans, group));
        const done = processes.every((process_) => process_ !== undefined && applyOf(process_) !== undefined);
        return done ? spans : undefined;
      },
      { description: `every span of trace ${traceId}, both groups' process and apply spans included`, timeoutMs: 60_000, intervalMs: 200 },
    );
  }

  /** Every span's parent is in the trace, except the one root, whose parent is `rootParent` (the client's span, or none). */
  function expectConnected(spans: ReceivedSpan[], rootParent: string | undefined): ReceivedSpan {
    const ids = new Set(spans.map((span) => span.spanId));
    const roots = spans.filter((span) => span.parentSpanId === undefined || !ids.has(span.parentSpanId));
    expect(roots.map((span) => span.name)).toEqual(['POST /users']);
    expect(roots[0]?.parentSpanId).toBe(rootParent);
    return roots[0] as ReceivedSpan;
  }

  function expectTheWholeWrite(spans: ReceivedSpan[], userId: string): void {
    const byId = new Map(spans.map((span) => [span.spanId, span]));
    const parentOf = (span: ReceivedSpan) => byId.get(span.parentSpanId ?? '');
    const server = spans.find((span) => span.kind === OTLP_SPAN_KIND.SERVER) as ReceivedSpan;
    expect(server).toMatchObject({ serviceName: 'registration-api', attributes: { 'http.request.method': 'POST', 'http.route': '/users', 'url.path': '/users', 'http.response.status_code': 201 } });

    const transaction = spans.find((span) => span.name.startsWith('transaction ')) as ReceivedSpan;
    expect(transaction).toMatchObject({ serviceName: 'registration-api', kind: OTLP_SPAN_KIND.CLIENT, attributes: { 'db.system.name': 'postgresql', 'db.namespace': 'evergreen_e2e' } });
    expect(parentOf(transaction)).toBe(server);

    const producer = spans.find((span) => span.kind === OTLP_SPAN_KIND.PRODUCER) as ReceivedSpan;
    expect(producer).toMatchObject({
      serviceName: 'registration-api',
      name: `send ${process.env.EVERGREEN_TOPIC_PREFIX}.user`,
      attributes: { 'messaging.system': 'kafka', 'messaging.operation.type': 'send', 'messaging.destination.name': `${process.env.EVERGREEN_TOPIC_PREFIX}.user`, 'messaging.kafka.message.key': userId },
    });
    expect(producer.attributes['messaging.message.id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(parentOf(producer)).toBe(transaction);

    for (const [group, serviceName, store] of [
      [populatorGroup, 'cache-populator', 'redis'],
      [activityGroup, 'activity-log', 'postgresql'],
    ] as const) {
      const process_ = processSpanOf(spans, group) as ReceivedSpan;
      expect(process_).toMatchObject({
        serviceName,
        name: `process ${process.env.EVERGREEN_TOPIC_PREFIX}.user`,
        attributes: { 'messaging.system': 'kafka', 'messaging.operation.type': 'process', 'messaging.message.id': producer.attributes['messaging.message.id'], 'messaging.kafka.message.key': userId, 'evergreen.event.type': 'UserRegistered' },
      });
      expect(['applied', 'stale']).toContain(process_.attributes['evergreen.consumer.outcome']);
      expect(process_.attributes['messaging.destination.partition.id']).toBeTypeOf('string');
      expect(process_.attributes['messaging.kafka.offset']).toBeTypeOf('number');
      // The relay hop, as this group saw it: from the outbox row's commit-side time to the fetch.
      const relay = parentOf(process_) as ReceivedSpan;
      expect(relay).toMatchObject({ serviceName, kind: OTLP_SPAN_KIND.INTERNAL, name: `relay ${process.env.EVERGREEN_TOPIC_PREFIX}.user` });
      expect(parentOf(relay)).toBe(producer);
      expect(relay.startMs).toBeGreaterThanOrEqual(server.startMs - 5);
      expect(relay.endMs).toBeGreaterThanOrEqual(relay.startMs);
      expect(applyOf(process_), `the ${store} write of ${group}`).toMatchObject({ name: `apply ${store}`, serviceName, kind: OTLP_SPAN_KIND.CLIENT, attributes: { 'db.system.name': store } });
    }
  }

  it('starts a trace at the API when the client sent none', async () => {
    const userId = await register();
    const traceId = await pollUntil(() => traceOfWrite(userId), { description: `the producer span of ${userId}`, timeoutMs: 30_000, intervalMs: 200 });
    const spans = await completeTrace(traceId);
    expectConnected(spans, undefined);
    expectTheWholeWrite(spans, userId);
  });

  it("traces the order service's writes the same way: server, transaction, producer", async () => {
    const userId = await register();
    const orders = await spawnService('order-service', {
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '200', EVERGREEN_ORDER_USERS_GROUP: `${process.env.EVERGREEN_ORDER_USERS_GROUP ?? 'evergreen-e2e-order-service-users'}-tracing-${randomUUID()}` },
      label: `tracing-orders-${randomUUID()}`,
    });
    services.push(orders);
    const traceId = hex(16);
    // 422 until the service's replica of the users has the new one.
    const orderId = await pollUntil(
      async () => {
        const response = await fetch(`${orders.url}/orders`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', traceparent: `00-${traceId}-${hex(8)}-01` },
          body: JSON.stringify({ userId, currency: 'EUR', items: [{ sku: 'tea', quantity: 1, unitPriceCents: 450 }] }),
          signal: AbortSignal.timeout(10_000),
        });
        return response.status === 201 ? ((await response.json()) as { id: string }).id : undefined;
      },
      { description: `an order for ${userId}`, timeoutMs: 60_000, intervalMs: 250 },
    );
    const spans = await pollUntil(
      () => {
        const found = receiver.trace(traceId).filter((span) => span.serviceName === 'order-service');
        return found.some((span) => span.kind === OTLP_SPAN_KIND.PRODUCER && span.attributes['messaging.kafka.message.key'] === orderId) ? found : undefined;
      },
      { description: `the order service's spans of trace ${traceId}`, timeoutMs: 30_000, intervalMs: 200 },
    );
    const byId = new Map(spans.map((span) => [span.spanId, span]));
    const producer = spans.find((span) => span.kind === OTLP_SPAN_KIND.PRODUCER && span.attributes['messaging.kafka.message.key'] === orderId) as ReceivedSpan;
    expect(producer).toMatchObject({ name: `send ${process.env.EVERGREEN_TOPIC_PREFIX}.order`, attributes: { 'messaging.system': 'kafka', 'messaging.operation.type': 'send' } });
    const transaction = byId.get(producer.parentSpanId ?? '') as ReceivedSpan;
    expect(transaction).toMatchObject({ kind: OTLP_SPAN_KIND.CLIENT, attributes: { 'db.system.name': 'postgresql', 'db.namespace': process.env.EVERGREEN_ORDERS_PG_DATABASE } });
    expect(byId.get(transaction.parentSpanId ?? '')).toMatchObject({ kind: OTLP_SPAN_KIND.SERVER, name: 'POST /orders', attributes: { 'http.response.status_code': 201 } });
  });

  it("continues the client's trace when it sent a valid traceparent", async () => {
    const traceId = hex(16);
    const clientSpan = hex(8);
    const userId = await register({ traceparent: `00-${traceId}-${clientSpan}-01` });
    expect(traceOfWrite(userId) ?? (await pollUntil(() => traceOfWrite(userId), { description: `the producer span of ${userId}`, timeoutMs: 30_000, intervalMs: 200 }))).toBe(traceId);
    const spans = await completeTrace(traceId);
    expectConnected(spans, clientSpan);
    expectTheWholeWrite(spans, userId);
  });
});
