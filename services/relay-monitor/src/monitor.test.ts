import { Registry } from 'prom-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '@evergreen/platform';
import type { RelayHealth } from '@evergreen/relay-health';
import { startRelayMonitor, type RelayMonitor } from './monitor.ts';
import { ACTIVE_SLOT } from '@evergreen/relay-health/testing';

const activeSlot = ACTIVE_SLOT;

const healthy: RelayHealth = {
  checkedAt: new Date(),
  connector: { kind: 'found', name: 'evergreen-outbox', state: 'RUNNING', tasks: [{ id: 0, state: 'RUNNING' }] },
  slot: activeSlot,
  heartbeat: { kind: 'found', beatAt: new Date(), ageSeconds: 3.5 },
};

interface Logged {
  level: number;
  msg: string;
}

const FATAL = 60;
const ERROR = 50;

let monitor: RelayMonitor | undefined;
afterEach(async () => {
  await monitor?.stop();
  monitor = undefined;
});

/** A monitor on a reading the test sets and a clock it moves; its first poll has happened. */
async function start(options: { slotGraceMs?: number } = {}) {
  let reading = healthy;
  let clock = 1_000_000;
  const logs: Logged[] = [];
  const registry = new Registry();
  const logger = createLogger('test', 'info', {}, { write: (line: string) => void logs.push(JSON.parse(line) as Logged) });
  const started = startRelayMonitor({ read: async () => reading, intervalMs: 3_600_000, slotGraceMs: options.slotGraceMs ?? 60_000, registry, logger, now: () => clock });
  monitor = started;
  await vi.waitFor(() => expect(started.latest()).toBeDefined());
  return {
    monitor: started,
    logs,
    set(next: Partial<RelayHealth>) {
      reading = { ...healthy, ...next };
    },
    advance(ms: number) {
      clock += ms;
    },
    /** The value of one series on /metrics, undefined when the series is absent. */
    async metric(series: string): Promise<number | undefined> {
      const line = (await registry.metrics()).split('\n').find((entry) => entry.startsWith(`${series} `));
      return line === undefined ? undefined : Number(line.slice(series.length + 1));
    },
  };
}

describe('the relay monitor', () => {
  it('exports the connector, its task, the slot and the heartbeat, and is ready while the relay relays', async () => {
    const t = await start();

    expect(t.monitor.notReadyBecause()).toBeUndefined();
    expect(await t.metric('evergreen_relay_connector_up{connector="evergreen-outbox"}')).toBe(1);
    expect(await t.metric('evergreen_relay_connector_state{connector="evergreen-outbox",state="RUNNING"}')).toBe(1);
    expect(await t.metric('evergreen_relay_task_state{connector="evergreen-outbox",task="0",state="RUNNING"}')).toBe(1);
    expect(await t.metric('evergreen_relay_task_state{connector="evergreen-outbox",task="0",state="FAILED"}')).toBe(0);
    expect(await t.metric('evergreen_relay_slot_exists{slot="evergreen_outbox"}')).toBe(1);
    expect(await t.metric('evergreen_relay_slot_active{slot="evergreen_outbox"}')).toBe(1);
    expect(await t.metric('evergreen_relay_slot_lag_bytes{slot="evergreen_outbox"}')).toBe(824);
    expect(await t.metric('evergreen_relay_slot_retained_wal_bytes{slot="evergreen_outbox"}')).toBe(4_520);
    expect(await t.metric('evergreen_relay_slot_safe_wal_size_bytes{slot="evergreen_outbox"}')).toBe(4 * 1024 ** 3);
    expect(await t.metric('evergreen_relay_slot_wal_status{slot="evergreen_outbox",status="reserved"}')).toBe(1);
    expect(await t.metric('evergreen_relay_slot_wal_status{slot="evergreen_outbox",status="lost"}')).toBe(0);
    expect(await t.metric('evergreen_relay_heartbeat_age_seconds{connector="evergreen-outbox"}')).toBe(3.5);
    expect(await t.metric('evergreen_relay_check_errors_total{source="postgres"}')).toBe(0);
    expect(t.logs.map((entry) => entry.msg)).toContain('the relay is relaying');
  });

  it('is not ready while the connector is paused, naming it, and ready again once it runs', async () => {
    const t = await start();
    t.set({ connector: { kind: 'found', name: 'evergreen-outbox', state: 'PAUSED', tasks: [{ id: 0, state: 'PAUSED' }] } });
    await t.monitor.pollOnce();

    expect(t.monitor.notReadyBecause()).toContain('connector evergreen-outbox is PAUSED (task 0 PAUSED)');
    expect(await t.metric('evergreen_relay_connector_up{connector="evergreen-outbox"}')).toBe(0);
    expect(await t.metric('evergreen_relay_task_state{connector="evergreen-outbox",task="0",state="PAUSED"}')).toBe(1);
    expect(await t.metric('evergreen_relay_task_state{connector="evergreen-outbox",task="0",state="RUNNING"}')).toBe(0);
    expect(t.logs.filter((entry) => entry.level === ERROR).map((entry) => entry.msg)).toEqual([expect.stringContaining('the relay is not relaying: connector evergreen-outbox is PAUSED')]);

    t.set({});
    await t.monitor.pollOnce();
    expect(t.monitor.notReadyBecause()).toBeUndefined();
    expect(t.logs.at(-1)?.msg).toBe('the relay is relaying again');
  });

  it('gives an inactive slot the grace before failing readiness, and counts the grace again after it was active', async () => {
    const t = await start({ slotGraceMs: 60_000 });
    const inactive = { slot: { ...activeSlot, active: false, activePid: null } };
    t.set(inactive);
    await t.monitor.pollOnce();
    t.advance(59_000);
    await t.monitor.pollOnce();
    expect(t.monitor.notReadyBecause()).toBeUndefined();
    expect(await t.metric('evergreen_relay_slot_active{slot="evergreen_outbox"}')).toBe(0);

    t.advance(2_000);
    await t.monitor.pollOnce();
    expect(t.monitor.notReadyBecause()).toContain('replication slot evergreen_outbox is inactive (for 61 s)');

    t.set({});
    await t.monitor.pollOnce();
    t.set(inactive);
    t.advance(1_000);
    await t.monitor.pollOnce();
    expect(t.monitor.notReadyBecause()).toBeUndefined();
  });

  it('drops the series of a missing slot rather than leave old figures', async () => {
    const t = await start({ slotGraceMs: 1 });
    t.set({ slot: { kind: 'missing', name: 'evergreen_outbox' } });
    await t.monitor.pollOnce();
    t.advance(5);
    await t.monitor.pollOnce();

    expect(await t.metric('evergreen_relay_slot_exists{slot="evergreen_outbox"}')).toBe(0);
    expect(await t.metric('evergreen_relay_slot_active{slot="evergreen_outbox"}')).toBe(0);
    expect(await t.metric('evergreen_relay_slot_lag_bytes{slot="evergreen_outbox"}')).toBeUndefined();
    expect(await t.metric('evergreen_relay_slot_wal_status{slot="evergreen_outbox",status="reserved"}')).toBe(0);
    expect(t.monitor.notReadyBecause()).toContain('replication slot evergreen_outbox does not exist');
  });

  it('logs an unreserved slot at error on every poll, and fails readiness', async () => {
    const t = await start();
    t.set({ slot: { ...activeSlot, walStatus: 'unreserved', retainedWalBytes: 5 * 1024 ** 3 } });
    await t.monitor.pollOnce();
    await t.monitor.pollOnce();
    await t.monitor.pollOnce();

    expect(t.logs.filter((entry) => entry.level === ERROR && entry.msg.includes('is UNRESERVED'))).toHaveLength(3);
    expect(t.monitor.notReadyBecause()).toContain('replication slot evergreen_outbox is unreserved');
    expect(await t.metric('evergreen_relay_slot_wal_status{slot="evergreen_outbox",status="unreserved"}')).toBe(1);
    expect(await t.metric('evergreen_relay_slot_wal_status{slot="evergreen_outbox",status="reserved"}')).toBe(0);
  });

  it('logs a lost slot at fatal on every poll, saying the events are gone and how to recover', async () => {
    const t = await start();
    t.set({ slot: { ...activeSlot, active: false, walStatus: 'lost', retainedWalBytes: null, safeWalSizeBytes: null } });
    await t.monitor.pollOnce();
    await t.monitor.pollOnce();

    const fatal = t.logs.filter((entry) => entry.level === FATAL);
    expect(fatal).toHaveLength(2);
    expect(fatal[0]?.msg).toContain('IS LOST');
    expect(fatal[0]?.msg).toContain('gone');
    for (const command of ['npm run verify', 'npm run repair', 'npm run backfill -- user']) expect(fatal[0]?.msg).toContain(command);
    expect(t.monitor.notReadyBecause()).toContain('replication slot evergreen_outbox is lost');
    expect(await t.metric('evergreen_relay_slot_wal_status{slot="evergreen_outbox",status="lost"}')).toBe(1);
    expect(await t.metric('evergreen_relay_slot_safe_wal_size_bytes{slot="evergreen_outbox"}')).toBeUndefined();
  });

  it('counts what it could not read, exports no figures for it, and is not ready, naming the state and logging the error', async () => {
    const t = await start();
    const error = 'connect ECONNREFUSED db.internal:5432 (user evergreen, password s3cret)';
    t.set({ slot: { kind: 'unreadable', name: 'evergreen_outbox', error, reason: 'postgres: unavailable' }, heartbeat: { kind: 'unreadable', error, reason: 'postgres: unavailable' } });
    await t.monitor.pollOnce();

    expect(await t.metric('evergreen_relay_check_errors_total{source="postgres"}')).toBe(1);
    expect(await t.metric('evergreen_relay_slot_active{slot="evergreen_outbox"}')).toBeUndefined();
    expect(await t.metric('evergreen_relay_heartbeat_age_seconds{connector="evergreen-outbox"}')).toBeUndefined();
    expect(t.monitor.notReadyBecause()).toBe('cannot read replication slot evergreen_outbox from PostgreSQL: postgres: unavailable');
    expect(t.logs.filter((entry) => entry.level === ERROR).map((entry) => entry.msg)).toEqual([expect.stringContaining(error)]);
  });

  it("gives /ready no line of a failed task's trace, which the log keeps", async () => {
    const t = await start();
    const trace = 'org.postgresql.util.PSQLException: FATAL: password authentication failed for user "evergreen"\n\tat org.postgresql.core…';
    t.set({ connector: { kind: 'found', name: 'evergreen-outbox', state: 'RUNNING', tasks: [{ id: 0, state: 'FAILED', trace }] } });
    await t.monitor.pollOnce();

    expect(t.monitor.notReadyBecause()).toBe('connector evergreen-outbox is RUNNING (task 0 FAILED): the relay is not reading the WAL');
    expect(t.logs.filter((entry) => entry.level === ERROR).map((entry) => entry.msg)).toEqual([expect.stringContaining('password authentication failed')]);
  });

  it('is not ready when its last check is too old (a poll that hangs)', async () => {
    const t = await start();
    expect(t.monitor.notReadyBecause()).toBeUndefined();
    t.advance(3 * 3_600_000 + 1);
    expect(t.monitor.notReadyBecause()).toContain('the relay was last checked');
  });
});
