import { describe, expect, it } from 'vitest';
import { ConsumerSampler } from './consumer-sampler.ts';
import { AnswerError, FailureLog } from './failures.ts';
import { serviceEndpoints } from './services.ts';
import { loadStackConfig } from '@evergreen/platform';

/** A /metrics page of a consumer that handled `total` records, `fast` of them within 10 ms. */
const page = (total: number, fast: number) =>
  [
    `evergreen_consumer_records_total{consumer="cache-populator",topic="evergreen.user",outcome="applied"} ${total}`,
    `evergreen_consumer_lag_records{consumer="cache-populator",topic="evergreen.user",partition="1"} 4`,
    `evergreen_consumer_lag_age_seconds{consumer="cache-populator",topic="evergreen.user",partition="1"} 2.5`,
    `evergreen_consumer_lag_records{consumer="cache-populator",topic="evergreen.user",partition="0"} 0`,
    `evergreen_consumer_commit_to_apply_seconds_bucket{le="0.01",consumer="cache-populator",topic="evergreen.user"} ${fast}`,
    `evergreen_consumer_commit_to_apply_seconds_bucket{le="+Inf",consumer="cache-populator",topic="evergreen.user"} ${total}`,
  ].join('\n');

describe('ConsumerSampler', () => {
  it('lists each record a consumer keeps retrying, with the group and offset a park needs', async () => {
    const stuckPage = [
      `evergreen_consumer_stuck_seconds{consumer="activity-log",group="evergreen-activity-log",topic="evergreen.user",partition="4",offset="1702"} 75.5`,
      // An exporter of another version, without the labels a park needs: not offered.
      `evergreen_consumer_stuck_seconds{consumer="old",topic="evergreen.user",partition="1"} 90`,
    ].join('\n');
    const sampler = new ConsumerSampler([{ name: 'activity-log', url: 'http://activity' }], async () => stuckPage);

    await sampler.sample(10_000);

    expect(sampler.view().stuck).toEqual([{ consumer: 'activity-log', service: 'activity-log', group: 'evergreen-activity-log', topic: 'evergreen.user', partition: 4, offset: '1702', seconds: 75.5 }]);
  });

  it('keeps lag per partition, the rate between two samples and a latency point per interval; names a service it cannot read', async () => {
    const pages = [page(100, 100), page(300, 300)];
    const sampler = new ConsumerSampler(
      [
        { name: 'cache-populator', url: 'http://populator' },
        { name: 'registration-api', url: 'http://api' },
      ],
      async (url) => {
        if (url === 'http://api/metrics') throw new AnswerError('HTTP 503');
        return pages.shift() ?? '';
      },
    );
    await sampler.sample(10_000);
    expect(sampler.view().rates).toEqual([{ consumer: 'cache-populator', service: 'cache-populator', recordsPerSecond: null }]);
    await sampler.sample(15_000);
    const view = sampler.view();
    expect(view.partitions).toEqual([
      { consumer: 'cache-populator', service: 'cache-populator', topic: 'evergreen.user', partition: 0, lagRecords: 0, lagAgeSeconds: null },
      { consumer: 'cache-populator', service: 'cache-populator', topic: 'evergreen.user', partition: 1, lagRecords: 4, lagAgeSeconds: 2.5 },
    ]);
    expect(view.rates).toEqual([{ consumer: 'cache-populator', service: 'cache-populator', recordsPerSecond: 40 }]);
    expect(view.latency).toEqual([{ consumer: 'cache-populator', points: [{ atMs: 15_000, count: 200, p50Seconds: 0.005, p99Seconds: expect.closeTo(0.0099, 10) }] }]);
    expect(view.unreachable).toEqual([{ service: 'registration-api', error: 'HTTP 503' }]);
    expect(view.sampledAt).toBe(new Date(15_000).toISOString());
  });

  it('shows a service it cannot reach by its state only, and logs the error once until it changes', async () => {
    const logged: Array<Record<string, unknown>> = [];
    const failures = new FailureLog({ warn: (fields) => void logged.push(fields) });
    const refused = new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED 10.9.8.7:3001'), { code: 'ECONNREFUSED' }) });
    const sampler = new ConsumerSampler([{ name: 'cache-populator', url: 'http://populator' }], async () => Promise.reject(refused), failures);
    await sampler.sample(1_000);
    await sampler.sample(2_000);
    expect(sampler.view().unreachable).toEqual([{ service: 'cache-populator', error: 'unavailable' }]);
    expect(JSON.stringify(sampler.view())).not.toContain('10.9.8.7');
    expect(logged).toEqual([expect.objectContaining({ key: 'metrics cache-populator', err: refused })]);
  });
});

describe('serviceEndpoints', () => {
  const config = loadStackConfig();
  it("watches the stack's services at their configured ports by default", () => {
    expect(serviceEndpoints(config, undefined)).toContainEqual({ name: 'cache-populator', url: `http://${config.api.host}:${config.populator.port}` });
  });
  it('watches every instance of each consumer service when its group runs several (the cluster profile)', () => {
    const cluster = loadStackConfig({ ...process.env, EVERGREEN_CONSUMER_INSTANCES: '2' });
    const names = serviceEndpoints(cluster, undefined).map(({ name }) => name);
    expect(names).toEqual(['registration-api', 'cache-populator', 'cache-populator-2', 'activity-log', 'activity-log-2', 'relay-monitor', 'order-service', 'order-cache', 'order-cache-2']);
    expect(serviceEndpoints(cluster, undefined)).toContainEqual({ name: 'cache-populator-2', url: `http://${cluster.api.host}:${cluster.populator.port + 100}` });
  });
  it('watches the services the variable names instead', () => {
    expect(serviceEndpoints(config, 'cache-populator=http://127.0.0.1:4101/, api = http://127.0.0.1:4100')).toEqual([
      { name: 'cache-populator', url: 'http://127.0.0.1:4101' },
      { name: 'api', url: 'http://127.0.0.1:4100' },
    ]);
  });
  it('refuses an entry that is not name=url', () => {
    expect(() => serviceEndpoints(config, 'cache-populator')).toThrow('EVERGREEN_CONSOLE_SERVICES: "cache-populator" is not name=http://host:port');
  });
});
