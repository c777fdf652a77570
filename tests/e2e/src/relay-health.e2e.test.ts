import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectorStatus } from '@evergreen/connect-config';
import { createLogger, pollUntil } from '@evergreen/platform';
import { startRelayMonitorService, type RelayMonitorService } from '@evergreen/relay-monitor';
import { userKey } from '@evergreen/user-read-model';
import { cacheEntryAt, startHarness, uniqueEmail, type Harness } from './support/harness.ts';

const MiB = 1024 * 1024;

// Issue #11: the relay monitor (services/relay-monitor) on the real relay: the tests' own connector
// (evergreen-e2e-outbox) and slot (evergreen_e2e_outbox). Pausing the connector stops its task
// without touching the Kafka Connect worker the other suites share; it is always resumed.
describe('the relay monitor watches the real relay', () => {
  let h: Harness;
  let monitor: RelayMonitorService;
  let connectorName: string;
  let connectUrl: string;
  let slot: string;

  beforeAll(async () => {
    h = await startHarness();
    ({ connectorName, slotName: slot, url: connectUrl } = h.config.connect);
    monitor = await startRelayMonitorService({
      config: h.config,
      logger: createLogger('relay-monitor', process.env.EVERGREEN_E2E_LOG_LEVEL ?? 'silent'),
      registry: new Registry(),
      host: '127.0.0.1',
      port: 0,
      pollIntervalMs: 500,
      slotGraceMs: 10_000,
    });
  });

  afterAll(async () => {
    // Whatever happened in a test, the connector the other suites rely on runs again.
    if ((await connectorStatus(connectUrl, connectorName))?.connector.state === 'PAUSED') await resume();
    await monitor?.close();
    await h?.close();
  });

  const get = (path: string) => fetch(`http://127.0.0.1:${monitor.port}${path}`, { signal: AbortSignal.timeout(5_000) });

  async function ready(): Promise<{ status: number; reason?: string }> {
    const response = await get('/ready');
    const body = (await response.json()) as { reason?: string };
    return { status: response.status, ...(body.reason === undefined ? {} : { reason: body.reason }) };
  }

  /** One series' value on the monitor's /metrics; undefined when it is absent. */
  async function metric(name: string, labels: Record<string, string>): Promise<number | undefined> {
    const series = `${name}{${Object.entries(labels)
      .map(([key, value]) => `${key}="${value}"`)
      .join(',')}} `;
    const line = (await (await get('/metrics')).text()).split('\n').find((entry) => entry.startsWith(series));
    if (line === undefined) return undefined;
    const value = line.slice(series.length);
    return value === '+Inf' ? Number.POSITIVE_INFINITY : Number(value);
  }

  async function connectorAction(action: 'pause' | 'resume'): Promise<void> {
    const response = await fetch(`${connectUrl}/connectors/${encodeURIComponent(connectorName)}/${action}`, { method: 'PUT', signal: AbortSignal.timeout(30_000) });
    if (response.status !== 202) throw new Error(`PUT ${action} ${connectorName}: HTTP ${response.status} ${await response.text()}`);
  }

  async function connectorIn(state: 'RUNNING' | 'PAUSED'): Promise<void> {
    await pollUntil(
      async () => {
        const status = await connectorStatus(connectUrl, connectorName);
        return status !== undefined && status.connector.state === state && status.tasks.length > 0 && status.tasks.every((task) => task.state === state);
      },
      { description: `connector ${connectorName} and its tasks to be ${state}`, timeoutMs: 60_000, intervalMs: 200 },
    );
  }

  async function resume(): Promise<void> {
    await connectorAction('resume');
    await connectorIn('RUNNING');
  }

  const currentLsn = async () => (await h.pool.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn')).rows[0]?.lsn ?? '';
  const walSince = async (lsn: string) => Number((await h.pool.query<{ bytes: string }>('SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1::pg_lsn)::text AS bytes', [lsn])).rows[0]?.bytes);

  it('is ready while the relay runs, and reports the slot active with little lag', async () => {
    await pollUntil(async () => (await ready()).status === 200, { description: 'the relay monitor to be ready', timeoutMs: 60_000, intervalMs: 200 });

    expect(await metric('evergreen_relay_connector_up', { connector: connectorName })).toBe(1);
    expect(await metric('evergreen_relay_task_state', { connector: connectorName, task: '0', state: 'RUNNING' })).toBe(1);
    expect(await metric('evergreen_relay_slot_exists', { slot })).toBe(1);
    expect(await metric('evergreen_relay_slot_active', { slot })).toBe(1);
    expect(await metric('evergreen_relay_slot_wal_status', { slot, status: 'unreserved' })).toBe(0);
    expect(await metric('evergreen_relay_slot_wal_status', { slot, status: 'lost' })).toBe(0);
    expect(((await metric('evergreen_relay_slot_wal_status', { slot, status: 'reserved' })) ?? 0) + ((await metric('evergreen_relay_slot_wal_status', { slot, status: 'extended' })) ?? 0)).toBe(1);
    expect(await metric('evergreen_relay_slot_safe_wal_size_bytes', { slot })).toBeGreaterThan(0);
    // The WAL is the whole cluster's (the demo and other runs write too); the connector confirms every few seconds.
    await pollUntil(async () => ((await metric('evergreen_relay_slot_lag_bytes', { slot })) ?? Number.POSITIVE_INFINITY) < 16 * MiB, {
      description: `the lag of slot ${slot} to be under 16 MiB`,
      timeoutMs: 30_000,
      intervalMs: 250,
    });
    expect(await metric('evergreen_relay_slot_retained_wal_bytes', { slot })).toBeGreaterThanOrEqual(0);
    // Heartbeats every 10 s (+Inf until a connector created afresh wrote its first).
    await pollUntil(async () => ((await metric('evergreen_relay_heartbeat_age_seconds', { connector: connectorName })) ?? Number.POSITIVE_INFINITY) < 30, {
      description: `a heartbeat of connector ${connectorName} in the last 30 s`,
      timeoutMs: 30_000,
      intervalMs: 250,
    });
  });

  it('fails /ready naming the connector while it is paused, sees the lag grow, and nothing written meanwhile is lost', async () => {
    const ids: string[] = [];
    let lagWhilePaused = 0;
    try {
      await connectorAction('pause');
      await connectorIn('PAUSED');
      const notReady = await pollUntil(
        async () => {
          const answer = await ready();
          return answer.status === 503 ? answer : undefined;
        },
        { description: 'the relay monitor to report the paused connector', timeoutMs: 30_000, intervalMs: 200 },
      );
      expect(notReady.reason).toContain(`connector ${connectorName} is PAUSED`);
      expect(await metric('evergreen_relay_connector_up', { connector: connectorName })).toBe(0);
      // The task follows the connector into PAUSED a moment later (sooner when it was not just restarting).
      await pollUntil(async () => (await metric('evergreen_relay_task_state', { connector: connectorName, task: '0', state: 'PAUSED' })) === 1, {
        description: `the monitor to see task 0 of ${connectorName} PAUSED`,
        timeoutMs: 30_000,
        intervalMs: 200,
      });
      // A paused task keeps its replication connection: the slot alone would not tell.
      expect(await metric('evergreen_relay_slot_active', { slot })).toBe(1);

      // Writes go on: through the API and the outbox, as in production.
      const pausedAt = await currentLsn();
      for (let index = 0; index < 40; index += 1) {
        const response = await h.app.inject({ method: 'POST', url: '/users', payload: { email: uniqueEmail('paused'), name: `Written while paused ${index}` } });
        expect(response.statusCode).toBe(201);
        ids.push(response.json<{ id: string }>().id);
      }
      const written = await walSince(pausedAt);
      expect(written).toBeGreaterThan(0);

      // The connector confirms nothing while paused, so the slot's lag covers at least what was written since.
      lagWhilePaused = await pollUntil(
        async () => {
          const lag = await metric('evergreen_relay_slot_lag_bytes', { slot });
          return lag !== undefined && lag >= written ? lag : undefined;
        },
        { description: `the lag of slot ${slot} to grow by the ${written} bytes of WAL written while paused`, timeoutMs: 30_000, intervalMs: 250 },
      );
      expect((await ready()).status).toBe(503);
      // Nothing was relayed: none of them is in the cache yet.
      expect(await Promise.all(ids.map((id) => h.redis.exists(userKey(id))))).toEqual(ids.map(() => 0));
    } finally {
      await resume();
    }

    // Every user written during the pause reaches the cache: 0 lost.
    const entries = await Promise.all(ids.map((id) => cacheEntryAt(h.redis, userKey(id), 1, 60_000)));
    expect(entries.map((entry) => entry.id)).toEqual(ids);

    await pollUntil(async () => (await ready()).status === 200, { description: 'the relay monitor to be ready again', timeoutMs: 60_000, intervalMs: 200 });
    expect(await metric('evergreen_relay_connector_up', { connector: connectorName })).toBe(1);
    // The connector confirmed what it relayed (it commits offsets every 5 s): the lag is back down.
    await pollUntil(async () => ((await metric('evergreen_relay_slot_lag_bytes', { slot })) ?? Number.POSITIVE_INFINITY) < lagWhilePaused, {
      description: `the lag of slot ${slot} to fall below the ${lagWhilePaused} bytes it reached while paused`,
      timeoutMs: 60_000,
      intervalMs: 250,
    });
  });
});
