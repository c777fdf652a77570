import { describe, expect, it } from 'vitest';
import { connectorIsUp, describeRelay, formatBytes, relayProblems, slotIsDown } from './assess.ts';
import type { ConnectorReading, RelayHealth } from './read.ts';
import { ACTIVE_SLOT } from './testing.ts';

const running: ConnectorReading = { kind: 'found', name: 'evergreen-outbox', state: 'RUNNING', tasks: [{ id: 0, state: 'RUNNING' }] };
const activeSlot = ACTIVE_SLOT;

function health(overrides: Partial<RelayHealth> = {}): RelayHealth {
  return { checkedAt: new Date(), connector: running, slot: activeSlot, heartbeat: { kind: 'found', beatAt: new Date(), ageSeconds: 3 }, ...overrides };
}

const now = { slotDownForMs: 0, slotGraceMs: 0, detail: 'full' } as const;
const forClients = { ...now, detail: 'public' } as const;

describe('connectorIsUp', () => {
  it('is true only when the connector and every task are RUNNING', () => {
    expect(connectorIsUp(running)).toBe(true);
    expect(connectorIsUp({ ...running, tasks: [{ id: 0, state: 'RUNNING' }, { id: 1, state: 'FAILED' }] })).toBe(false);
    expect(connectorIsUp({ ...running, state: 'PAUSED' })).toBe(false);
    // Just created, or stopped: no task reads the WAL.
    expect(connectorIsUp({ ...running, tasks: [] })).toBe(false);
    expect(connectorIsUp({ kind: 'missing', name: 'evergreen-outbox' })).toBe(false);
    expect(connectorIsUp({ kind: 'unreadable', name: 'evergreen-outbox', error: 'refused', reason: 'connect: unavailable' })).toBe(false);
  });
});

describe('relayProblems', () => {
  it('finds none while the connector runs and its slot is active and reserved', () => {
    expect(relayProblems(health(), now)).toEqual([]);
    expect(relayProblems(health({ slot: { ...activeSlot, walStatus: 'extended' } }), now)).toEqual([]);
  });

  it('names the connector and the state of each task when it is not RUNNING, with the first line of a failure', () => {
    const [paused] = relayProblems(health({ connector: { ...running, state: 'PAUSED', tasks: [{ id: 0, state: 'PAUSED' }] } }), now);
    expect(paused).toContain('connector evergreen-outbox is PAUSED (task 0 PAUSED)');

    const [failed] = relayProblems(health({ connector: { ...running, tasks: [{ id: 0, state: 'FAILED', trace: 'org.apache.kafka.connect.errors.ConnectException: slot gone\n\tat io.debezium…' }] } }), now);
    expect(failed).toContain('task 0 FAILED');
    expect(failed).toContain('task 0: org.apache.kafka.connect.errors.ConnectException: slot gone');
    expect(failed).not.toContain('io.debezium');

    expect(relayProblems(health({ connector: { kind: 'missing', name: 'evergreen-outbox' } }), now)[0]).toContain('connector evergreen-outbox is not registered');
    expect(relayProblems(health({ connector: { kind: 'unreadable', name: 'evergreen-outbox', error: 'ECONNREFUSED', reason: 'connect: unavailable' } }), now)[0]).toContain('cannot read connector evergreen-outbox from Kafka Connect: ECONNREFUSED');
  });

  it('tells a client the states and no error text or trace when asked for the public detail', () => {
    const unreadable = health({
      connector: { kind: 'unreadable', name: 'evergreen-outbox', error: 'http://connect.internal:8083: fetch failed (connect ECONNREFUSED 10.0.0.9:8083)', reason: 'connect: unavailable' },
      slot: { kind: 'unreadable', name: 'evergreen_outbox', error: 'password authentication failed for user "evergreen"', reason: 'postgres: misconfigured' },
    });
    expect(relayProblems(unreadable, forClients)).toEqual([
      'cannot read connector evergreen-outbox from Kafka Connect: connect: unavailable',
      'cannot read replication slot evergreen_outbox from PostgreSQL: postgres: misconfigured',
    ]);
    const failed = health({ connector: { ...running, tasks: [{ id: 0, state: 'FAILED', trace: 'org.postgresql.util.PSQLException: FATAL: password authentication failed for user "evergreen"\n\tat org.postgresql…' }] } });
    const [problem] = relayProblems(failed, forClients);
    expect(problem).toBe('connector evergreen-outbox is RUNNING (task 0 FAILED): the relay is not reading the WAL');
  });

  it('lets a slot be inactive or missing for the grace, then reports it', () => {
    const inactive = health({ slot: { ...activeSlot, active: false, activePid: null } });
    expect(relayProblems(inactive, { slotDownForMs: 59_000, slotGraceMs: 60_000, detail: 'full' })).toEqual([]);
    expect(relayProblems(inactive, { slotDownForMs: 61_000, slotGraceMs: 60_000, detail: 'full' })).toEqual([expect.stringContaining('replication slot evergreen_outbox is inactive (for 61 s)')]);

    const missing = health({ slot: { kind: 'missing', name: 'evergreen_outbox' } });
    expect(relayProblems(missing, { slotDownForMs: 1_000, slotGraceMs: 60_000, detail: 'full' })).toEqual([]);
    expect(relayProblems(missing, { slotDownForMs: 60_000, slotGraceMs: 60_000, detail: 'full' })).toEqual([expect.stringContaining('replication slot evergreen_outbox does not exist')]);
  });

  it('reports an unreserved slot before it is lost, and a lost one with the way back', () => {
    const [unreserved] = relayProblems(health({ slot: { ...activeSlot, walStatus: 'unreserved', retainedWalBytes: 5 * 1024 ** 3 } }), now);
    expect(unreserved).toContain('replication slot evergreen_outbox is unreserved');
    expect(unreserved).toContain('5.0 GiB');

    const [lost] = relayProblems(health({ slot: { ...activeSlot, walStatus: 'lost', lagBytes: null, retainedWalBytes: null, safeWalSizeBytes: null } }), now);
    expect(lost).toContain('replication slot evergreen_outbox is lost');
    expect(lost).toContain('npm run verify');
    expect(lost).toContain('npm run repair');
    expect(lost).toContain('npm run backfill -- user');
  });

  it('reports a database it cannot read, and does not fail readiness on an old heartbeat alone', () => {
    expect(relayProblems(health({ slot: { kind: 'unreadable', name: 'evergreen_outbox', error: 'timeout', reason: 'postgres: timeout' } }), now)).toEqual([expect.stringContaining('cannot read replication slot evergreen_outbox from PostgreSQL: timeout')]);
    expect(relayProblems(health({ heartbeat: { kind: 'found', beatAt: new Date(0), ageSeconds: 3_600 } }), now)).toEqual([]);
  });
});

describe('slotIsDown', () => {
  it('is true for a missing or inactive slot, not for one it could not read', () => {
    expect(slotIsDown(activeSlot)).toBe(false);
    expect(slotIsDown({ ...activeSlot, active: false })).toBe(true);
    expect(slotIsDown({ kind: 'missing', name: 'evergreen_outbox' })).toBe(true);
    expect(slotIsDown({ kind: 'unreadable', name: 'evergreen_outbox', error: 'x', reason: 'postgres: failed' })).toBe(false);
  });
});

describe('describeRelay', () => {
  it("puts the connector's state, the slot's lag and wal_status and the heartbeat's age on one line", () => {
    expect(describeRelay(health())).toBe('connector evergreen-outbox RUNNING (task 0 RUNNING); slot evergreen_outbox active, lag 824 B, retains 4.4 KiB, wal_status reserved, 4.0 GiB before invalidation; heartbeat 3 s ago');
    expect(describeRelay(health({ connector: { kind: 'missing', name: 'x' }, slot: { kind: 'unreadable', name: 'y', error: 'e', reason: 'postgres: failed' }, heartbeat: { kind: 'missing', why: 'no heartbeat written yet' } }))).toBe(
      'connector x MISSING; slot y unreadable; heartbeat none (no heartbeat written yet)',
    );
  });
});

describe('formatBytes', () => {
  it('uses binary units', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(4 * 1024 ** 3)).toBe('4.0 GiB');
    expect(formatBytes(null)).toBe('n/a');
  });
});
