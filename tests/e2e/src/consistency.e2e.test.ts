import { randomUUID } from 'node:crypto';
import { setTimeout } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activityLogProjection, backfillUsers, DRIFT_KINDS, repairUsers, userCacheProjection, userSource, verify, type DriftKind, type Projection, type VerifyReport } from '@evergreen/consistency';
import { pollUntil } from '@evergreen/platform';
import { activeUserKeyspace } from '@evergreen/user-read-model';
import { startActivityLog, type ConsumerUnderTest } from './support/consumer-fixture.ts';
import { runNpmScript } from './support/dlq-cli.ts';
import { startHarness, uniqueEmail, type Harness } from './support/harness.ts';

// Issue #10: the promise measured (verify), kept (repair) and extended to rows that predate the
// pipeline (backfill), with writes flowing through the API the whole time.
describe('verify, repair and backfill on the real pipeline', () => {
  let h: Harness;
  let activityLog: ConsumerUnderTest;
  let projections: Projection[];
  /** The cache's keys, in whatever generation a rebuild left active. */
  let userKey: (id: string) => string;
  let writing = true;
  let writer: Promise<number>;
  // A change committed just before a check is in flight, not drift.
  const GRACE_MS = 3_000;

  const check = () => verify(userSource(h.pool), projections, { graceMs: GRACE_MS });
  const report = (reports: VerifyReport[], name: string) => reports.find((entry) => entry.projection === name) as VerifyReport;
  const countsOf = (entry: VerifyReport, ids: ReadonlySet<string>) => {
    const counts = Object.fromEntries(DRIFT_KINDS.map((kind) => [kind, 0])) as Record<DriftKind, number>;
    for (const drift of entry.drifted) if (ids.has(drift.id)) counts[drift.kind] += 1;
    return counts;
  };
  const total = (reports: VerifyReport[]) => reports.reduce((sum, entry) => sum + entry.drifted.length, 0);

  /**
   * Repairs whatever drifted and waits until every read model agrees with PostgreSQL. The
   * re-emitted events take the relay and the consumers a moment; a repair that finds drift left at
   * its deadline (say a read model was far behind) goes round again.
   */
  async function repairUntilClean(rounds = 3): Promise<VerifyReport[]> {
    for (let round = 1; ; round += 1) {
      const reports = await check();
      if (total(reports) === 0 || round > rounds) return reports;
      await repairUsers(h.pool, h.outbox, reports.flatMap((entry) => entry.drifted));
      const converged = await pollUntil(
        async () => {
          const again = await verify(userSource(h.pool), projections, { graceMs: 500 });
          return total(again) === 0 ? again : undefined;
        },
        { description: 'the read models to converge after a repair', timeoutMs: 60_000, intervalMs: 1_000 },
      ).catch(() => undefined);
      if (converged) return converged;
    }
  }

  /** Registrations and changes through the API until stopped, about 20 a second: the pipeline is never idle during a check. */
  async function writeContinuously(): Promise<number> {
    let writes = 0;
    while (writing) {
      // Pacing the load, not waiting for a condition.
      await setTimeout(100);
      const registered = await h.app.inject({ method: 'POST', url: '/users', payload: { email: uniqueEmail('steady'), name: 'Steady Writer' } });
      const { id } = registered.json<{ id: string }>();
      await h.app.inject({ method: 'PATCH', url: `/users/${id}`, headers: { 'if-match': '"1"' }, payload: { name: 'Steady Writer, changed' } });
      writes += 2;
    }
    return writes;
  }

  beforeAll(async () => {
    h = await startHarness();
    activityLog = await startActivityLog(h.config, h.serde, h.pool, h.topic);
    projections = [userCacheProjection(h.redis), activityLogProjection(h.pool)];
    const keyspace = await activeUserKeyspace(h.redis, { maxAgeMs: 0 });
    userKey = (id) => keyspace.key(id);
    writer = writeContinuously();
    // Other suites leave users this namespace's read models never saw in full; start from agreement.
    expect(total(await repairUntilClean())).toBe(0);
  }, 300_000);

  afterAll(async () => {
    writing = false;
    await writer;
    await activityLog?.consumer.stop();
    await h?.close();
  });

  async function registerAt2(label: string): Promise<string> {
    const registered = await h.app.inject({ method: 'POST', url: '/users', payload: { email: uniqueEmail(label), name: `${label} user` } });
    const { id } = registered.json<{ id: string }>();
    expect((await h.app.inject({ method: 'PATCH', url: `/users/${id}`, headers: { 'if-match': '"1"' }, payload: { name: `${label} user, v2` } })).statusCode).toBe(200);
    return id;
  }

  it('reports each kind of drift in the cache exactly, and a repair through the outbox heals every one', async () => {
    const ids = await Promise.all(Array.from({ length: 100 }, () => registerAt2('drift')));
    const [missing, stale, corrupt, resurrected] = [ids.slice(0, 25), ids.slice(25, 50), ids.slice(50, 75), ids.slice(75)];
    for (const id of resurrected) expect((await h.app.inject({ method: 'DELETE', url: `/users/${id}`, headers: { 'if-match': '"2"' } })).statusCode).toBe(204);
    await pollUntil(
      async () => {
        const versions = await Promise.all([...missing, ...stale, ...corrupt].map((id) => h.redis.hget(userKey(id), 'version')));
        const markers = await Promise.all(resurrected.map((id) => h.redis.hget(userKey(id), 'deleted')));
        return versions.every((version) => version === '2') && markers.every((flag) => flag === '1');
      },
      { description: 'the 100 users in the cache at their versions', timeoutMs: 60_000, intervalMs: 200 },
    );

    // Four ways a cache loses what it was told, and entries nobody ever wrote.
    const orphans: string[] = Array.from({ length: 10 }, () => randomUUID());
    for (const id of missing) await h.redis.del(userKey(id));
    for (const id of stale) await h.redis.hset(userKey(id), 'version', '1');
    for (const id of corrupt) await h.redis.hset(userKey(id), 'name', 'Corrupted');
    for (const id of resurrected) {
      await h.redis.del(userKey(id));
      await h.redis.hset(userKey(id), 'version', '2', 'id', id, 'email', `${id}@example.com`, 'name', 'Back from the dead', 'registeredAt', '1', 'updatedAt', '1');
    }
    for (const id of orphans) await h.redis.hset(userKey(id), 'version', '1', 'id', id, 'email', `${id}@example.com`, 'name', 'Never registered', 'registeredAt', '1', 'updatedAt', '1');
    // Entries under ids no user can have: no event can reach them, so repair names them and emits nothing.
    const foreign = [`not-a-user-${randomUUID()}`, randomUUID().toUpperCase()];
    for (const id of foreign) await h.redis.hset(userKey(id), 'version', '1', 'id', id, 'name', 'Junk');
    const touched = new Set([...ids, ...orphans, ...foreign]);

    const before = await check();
    expect(countsOf(report(before, 'user-cache'), touched)).toEqual({ missing: 25, stale: 25, mismatch: 25, orphan: 12, resurrected: 25 });
    // Nothing else drifted meanwhile, though writes kept flowing; the activity log was not touched.
    expect(total(before)).toBe(112);

    const summary = await repairUsers(h.pool, h.outbox, before.flatMap((entry) => entry.drifted));
    expect({ ...summary, foreign: [...summary.foreign].sort() }).toEqual({ restated: 50, bumped: 25, deletions: 35, foreign: [...foreign].sort() });
    for (const id of foreign) await h.redis.del(userKey(id));

    const after = await repairUntilClean();
    expect(total(after)).toBe(0);
    // A corrupted entry is overwritten by a new version, since consumers only move forward; the row moved with it.
    const { rows } = await h.pool.query<{ version: string }>('SELECT version FROM users WHERE id = ANY($1::uuid[])', [corrupt]);
    expect(rows.map((row) => row.version)).toEqual(corrupt.map(() => '3'));
    expect(await h.redis.hget(userKey(corrupt[0] as string), 'name')).toBe('drift user, v2');
    for (const id of [...resurrected, ...orphans]) expect(await h.redis.hget(userKey(id), 'deleted')).toBe('1');
  });

  it('npm run verify exits 1 and names the drift, then 0 once repaired', async () => {
    const id = await registerAt2('cli');
    await pollUntil(async () => (await h.redis.hget(userKey(id), 'version')) === '2', { description: `${id} in the cache`, timeoutMs: 30_000, intervalMs: 100 });
    await h.redis.del(userKey(id));

    const drifted = await runNpmScript('verify', ['--projection', 'user-cache', '--grace-ms', String(GRACE_MS)]);
    expect(drifted.code).toBe(1);
    expect(drifted.stdout).toMatch(/user-cache\s+1\s+0\s+0\s+0\s+0/);
    expect(drifted.stdout).toContain(`missing: ${id}`);

    const repaired = await runNpmScript('repair', ['--projection', 'user-cache', '--grace-ms', String(GRACE_MS), '--timeout-ms', '60000'], 150_000);
    expect(repaired.code).toBe(0);
    expect(repaired.stdout).toContain('re-emitted through the outbox: 1 at their version');
    expect(repaired.stdout).toMatch(/after:[\s\S]*no drift/);
    expect(await h.redis.hget(userKey(id), 'version')).toBe('2');
  });

  it('backfill brings rows that predate the pipeline to every read model, resumably, and twice changes nothing', async () => {
    // Written straight into the table, as data from before the outbox existed: no event.
    const ids: string[] = Array.from({ length: 200 }, () => randomUUID());
    await h.pool.query(
      `INSERT INTO users (id, email, name, version, created_at, updated_at)
       SELECT id, 'legacy-' || id || '@example.com', 'Legacy user', 4, now() - interval '400 days', now() - interval '30 days' FROM unnest($1::uuid[]) AS id`,
      [ids],
    );
    const legacy = new Set(ids);
    const before = await check();
    expect(countsOf(report(before, 'user-cache'), legacy).missing).toBe(200);
    expect(countsOf(report(before, 'activity-log'), legacy).missing).toBe(200);

    // Stopped after its first batch, then resumed from the checkpoint.
    let batches = 0;
    const first = await backfillUsers({ pool: h.pool, outbox: h.outbox, batchSize: 100, restart: true, shouldStop: () => batches > 0, onProgress: () => void (batches += 1) });
    expect(first.emitted).toBe(100);
    const resumed = await backfillUsers({ pool: h.pool, outbox: h.outbox, batchSize: 500 });
    expect(resumed.resumed).toBe(true);
    // It went on from the checkpoint's count (users registered meanwhile may add to this run's).
    expect(resumed.emitted - resumed.emittedThisRun).toBe(100);

    await pollUntil(
      async () => {
        const reports = await verify(userSource(h.pool), projections, { graceMs: 0 });
        return reports.every((entry) => entry.drifted.every((drift) => !legacy.has(drift.id)));
      },
      { description: 'the legacy users in the cache and the activity log', timeoutMs: 90_000, intervalMs: 500 },
    );
    const cached = await h.redis.hgetall(userKey(ids[0] as string));
    expect(cached).toMatchObject({ version: '4', name: 'Legacy user', email: `legacy-${ids[0]}@example.com` });
    const logged = async () => (await h.pool.query<{ rows: string }>('SELECT count(*) AS rows FROM user_activity WHERE user_id = ANY($1::text[])', [ids])).rows[0]?.rows;
    expect(await logged()).toBe('200');

    // Again from the first row: the same events with the same ids, which every consumer already has.
    const again = await backfillUsers({ pool: h.pool, outbox: h.outbox, restart: true });
    expect(again.resumed).toBe(false);
    await pollUntil(() => ids.every((id) => h.tap.recordsFor(id).length >= 2), { description: 'both backfills of the legacy users on the topic', timeoutMs: 90_000, intervalMs: 200 });
    await h.waitUntilCaughtUp(activityLog.groupId);
    expect(await logged()).toBe('200');
    expect(await h.redis.hget(userKey(ids[0] as string), 'eventId')).toBe(cached.eventId);
  }, 300_000);
});
