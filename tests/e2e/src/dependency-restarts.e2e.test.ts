import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { logLevel } from 'kafkajs';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isStackUp, localStack, stackUp, type LocalStack } from '@evergreen/local-stack';
import { aggregateTopic, createKafka, createPool, loadStackConfig, pollUntil } from '@evergreen/platform';
import { activeUserKeyspace, parseCachedUser } from '@evergreen/user-read-model';
import { spawnPopulator, spawnService, type PopulatorProcess, type ServiceProcess } from './support/service-process.ts';

// Issue #11: every service survives a restart of every dependency. The real registration API and
// the real cache populator run as processes under a bounded load of registrations and updates
// through HTTP while PostgreSQL, then Redis, is killed with SIGKILL and brought back by the stack's
// own start (stackUp). The API must never exit, must answer every request within a bounded time
// (503 dependency-unavailable with Retry-After while PostgreSQL is away), and afterwards every
// acknowledged write must be in PostgreSQL and in the cache at its acknowledged version.

const config = loadStackConfig();
const WRITES_PER_SCENARIO = 500;
const CONCURRENCY = 6;
/** No answer during an outage may take longer (the brief: "within a bounded time, e.g. ≤ 3 s"). */
const OUTAGE_LATENCY_LIMIT_MS = 3_000;
/** How long the dependency stays down. */
const OUTAGE_MS = 2_500;
/** Every acknowledged write must be in the cache this long after the dependency is back. */
const CONVERGE_LIMIT_MS = 30_000;
const PROBLEM = 'https://evergreen.dev/problems/dependency-unavailable';

type Kind = 'register' | 'update' | 'read' | 'ready';

interface Outcome {
  kind: Kind;
  startedAt: number;
  ms: number;
  /** The HTTP status, or the reason no answer came (a timeout, a refused connection). */
  status: number | string;
  retryAfter: string | null;
  problemType?: string;
  dependency?: string;
  xCache?: string | null;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Registrations and profile changes through the API, from CONCURRENCY workers, plus a probe of
 * /ready and of reads with ?minVersion. It records every answer, and per user the version the
 * API acknowledged last (2xx). A change refused with 412 (a change answered 503 had committed
 * after all) carries on from the current version the 412 names.
 */
class Load {
  readonly acked = new Map<string, number>();
  readonly outcomes: Outcome[] = [];
  private readonly current = new Map<string, number>();
  private readonly users: string[][] = Array.from({ length: CONCURRENCY }, () => []);
  private stopped = false;
  private running: Promise<void>[] = [];
  private ackedWrites = 0;

  constructor(private readonly apiUrl: string) {}

  get writes(): number {
    return this.ackedWrites;
  }

  start(): void {
    this.stopped = false;
    this.running = [...this.users.map((mine) => this.writer(mine)), this.prober()];
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.running);
  }

  private async call(kind: Kind, path: string, init: RequestInit = {}): Promise<{ outcome: Outcome; body: unknown; etag: string | null }> {
    const startedAt = Date.now();
    let outcome: Outcome;
    let body: unknown;
    let etag: string | null = null;
    try {
      const response = await fetch(`${this.apiUrl}${path}`, { ...init, signal: AbortSignal.timeout(10_000) });
      const text = await response.text();
      body = text === '' ? undefined : (JSON.parse(text) as unknown);
      etag = response.headers.get('etag');
      const problem = response.headers.get('content-type')?.startsWith('application/problem+json') ? (body as { type?: string; dependency?: string }) : undefined;
      outcome = { kind, startedAt, ms: Date.now() - startedAt, status: response.status, retryAfter: response.headers.get('retry-after'), problemType: problem?.type, dependency: problem?.dependency, xCache: response.headers.get('x-cache') };
    } catch (error) {
      outcome = { kind, startedAt, ms: Date.now() - startedAt, status: `no answer: ${(error as Error).message}`, retryAfter: null };
    }
    this.outcomes.push(outcome);
    return { outcome, body, etag };
  }

  private acknowledge(user: { id: string; version: number }): void {
    this.acked.set(user.id, user.version);
    this.current.set(user.id, user.version);
    this.ackedWrites += 1;
  }

  private async writer(mine: string[]): Promise<void> {
    const json = { 'content-type': 'application/json' };
    for (let n = 0; !this.stopped; n += 1) {
      const target = mine[Math.floor(Math.random() * mine.length)];
      let answer: { outcome: Outcome; body: unknown; etag: string | null };
      if (target === undefined || mine.length < 5 || Math.random() < 0.3) {
        answer = await this.call('register', '/users', { method: 'POST', headers: json, body: JSON.stringify({ email: `restarts-${randomUUID()}@example.com`, name: `Restart ${n}` }) });
        if (answer.outcome.status === 201) {
          const user = answer.body as { id: string; version: number };
          mine.push(user.id);
          this.acknowledge(user);
        }
      } else {
        const version = this.current.get(target) ?? 1;
        answer = await this.call('update', `/users/${target}`, { method: 'PATCH', headers: { ...json, 'if-match': `"${version}"` }, body: JSON.stringify({ name: `Restart ${n}` }) });
        if (answer.outcome.status === 200) this.acknowledge(answer.body as { id: string; version: number });
        if (answer.outcome.status === 412 && answer.etag) this.current.set(target, Number(answer.etag.replace(/"/g, '')));
      }
      // A refused request waits a little, as a client honouring Retry-After would (only shorter).
      if (answer.outcome.status !== 200 && answer.outcome.status !== 201) await pause(50);
    }
  }

  private async prober(): Promise<void> {
    while (!this.stopped) {
      await this.call('ready', '/ready');
      const known = [...this.acked];
      const sample = known[Math.floor(Math.random() * known.length)];
      if (sample) await this.call('read', `/users/${sample[0]}?minVersion=${sample[1]}`);
      await pause(100);
    }
  }
}

describe('every service survives a restart of every dependency', () => {
  let stack: LocalStack;
  let api: ServiceProcess;
  let populator: PopulatorProcess;
  let pool: pg.Pool;
  let redis: Redis;
  const topic = aggregateTopic(config, 'user');
  const groupId = `evergreen-e2e-restarts-${randomUUID()}`;
  const say = (line: string) => console.log(`[dependency-restarts] ${line}`);

  /** Waits until the populator's group has committed every partition up to where the topic ends now. */
  async function populatorCaughtUp(timeoutMs: number): Promise<void> {
    const admin = createKafka({ clientId: 'evergreen-e2e-restarts', brokers: config.kafka.brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const ends = await admin.fetchTopicOffsets(topic);
      await pollUntil(
        async () => {
          const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
          return ends.every(({ partition, high }) => high === '0' || BigInt(committed?.partitions.find((entry) => entry.partition === partition)?.offset ?? '-1') >= BigInt(high));
        },
        { description: `the populator (group ${groupId}) to catch up with ${topic}`, timeoutMs, intervalMs: 250 },
      );
    } finally {
      await admin.disconnect();
    }
  }

  beforeAll(async () => {
    stack = localStack(config);
    pool = createPool(config.postgres, { max: 2 });
    redis = new Redis({ host: config.redis.host, port: config.redis.port, db: config.redis.db, maxRetriesPerRequest: 1 });
    redis.on('error', () => undefined);
    // A group of its own: it reads the topic from the start, then keeps up with the load.
    [api, populator] = await Promise.all([spawnService('registration-api', { label: 'restarts' }), spawnPopulator({ prefix: config.topics.prefix, groupId })]);
    await populatorCaughtUp(60_000);
  });

  afterAll(async () => {
    await Promise.all([api?.kill(), populator?.kill()]);
    await pool?.end();
    redis?.disconnect();
  });

  /** Waits until `condition` holds; fails at once, naming it, when a service process exits meanwhile. */
  async function whileServicesRun(condition: () => boolean, description: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      for (const service of [api, populator]) {
        const exit = service.exit();
        if (exit) throw new Error(`${service.name} exited (${JSON.stringify(exit)}) while waiting for ${description}; see ${service.log}`);
      }
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${description}`);
      await pause(20);
    }
  }

  /**
   * Runs the load, kills `component` with SIGKILL once a fifth of the writes are acknowledged,
   * keeps it down for OUTAGE_MS, brings it back with stackUp, and runs on until WRITES_PER_SCENARIO
   * writes are acknowledged. Returns what the load saw, and when the component was down.
   */
  async function killUnderLoad(component: 'postgres' | 'redis') {
    const target = stack.components.find((candidate) => candidate.name === component);
    if (!target) throw new Error(`no component ${component}`);
    const load = new Load(api.url);
    load.start();
    let killedAt = 0;
    let backAt = 0;
    let wholeAt = 0;
    try {
      await whileServicesRun(() => load.writes >= WRITES_PER_SCENARIO / 5, 'the load to get going', 30_000);
      const pid = target.pid();
      if (pid === undefined) throw new Error(`${component} has no pid`);
      process.kill(pid, 'SIGKILL');
      killedAt = Date.now();
      await pollUntil(() => target.pid() === undefined, { description: `${component} (pid ${pid}) to die`, timeoutMs: 10_000, intervalMs: 20 });
      say(`killed ${component} (pid ${pid}) after ${load.writes} acknowledged writes`);
      await pause(OUTAGE_MS);
      // Back is when the killed component answers; stackUp may go on restarting others that fell
      // with it (the registry keeps its schemas in PostgreSQL), while the load goes on.
      const restoring = stackUp(stack, say);
      await pollUntil(() => target.isHealthy(), { description: `${component} to answer again`, timeoutMs: 120_000, intervalMs: 100 });
      backAt = Date.now();
      await restoring;
      // When others fell with it (the registry, on PostgreSQL's loss), the pipeline is whole only now.
      wholeAt = Date.now();
      say(`${component} back after ${((backAt - killedAt) / 1000).toFixed(1)} s`);
      await whileServicesRun(() => load.writes >= WRITES_PER_SCENARIO, `${WRITES_PER_SCENARIO} acknowledged writes`, 60_000);
    } finally {
      await load.stop();
      // Other suites share the stack: whatever happened, it is whole again.
      if (!(await isStackUp(stack))) await stackUp(stack, say);
    }
    return { load, killedAt, backAt, wholeAt };
  }

  /** Every acknowledged write is in PostgreSQL at its version or later, and the cache reaches PostgreSQL's version; counts what is not. */
  async function convergence(acked: Map<string, number>) {
    const ids = [...acked.keys()];
    const { rows } = await pool.query<{ id: string; version: string }>('SELECT id, version FROM users WHERE id = ANY($1::uuid[])', [ids]);
    const stored = new Map(rows.map((row) => [row.id, Number(row.version)]));
    const lostInPostgres = ids.filter((id) => (stored.get(id) ?? 0) < (acked.get(id) ?? 0));
    const keyspace = await activeUserKeyspace(redis);
    const pipeline = redis.pipeline();
    for (const id of ids) pipeline.hgetall(keyspace.key(id));
    const hashes = (await pipeline.exec()) ?? [];
    let missing = 0;
    let stale = 0;
    ids.forEach((id, index) => {
      const cached = parseCachedUser(id, (hashes[index]?.[1] ?? {}) as Record<string, string>);
      const want = stored.get(id) ?? acked.get(id) ?? 0;
      if (cached.state !== 'present') missing += 1;
      else if (cached.entry.version < want) stale += 1;
    });
    return { users: ids.length, lostInPostgres: lostInPostgres.length, missing, stale };
  }

  /** `wholeAt`: when every component answered again, from which the cache has CONVERGE_LIMIT_MS to catch up. */
  async function expectConverged(acked: Map<string, number>, wholeAt: number) {
    let last = await convergence(acked);
    await pollUntil(
      async () => {
        last = await convergence(acked);
        return last.missing === 0 && last.stale === 0;
      },
      { description: 'every acknowledged write to reach the cache', timeoutMs: Math.max(1_000, wholeAt + CONVERGE_LIMIT_MS - Date.now()), intervalMs: 250 },
    ).catch((error: Error) => {
      throw new Error(`${error.message}: ${JSON.stringify(last)}`);
    });
    say(`converged ${((Date.now() - wholeAt) / 1000).toFixed(1)} s after the stack was whole again: ${JSON.stringify(last)}`);
    expect(last).toEqual({ users: acked.size, lostInPostgres: 0, missing: 0, stale: 0 });
  }

  /** The answers that started while the component was down (from the kill until it was back). */
  const duringOutage = (outcomes: Outcome[], killedAt: number, backAt: number) => outcomes.filter((outcome) => outcome.startedAt >= killedAt && outcome.startedAt < backAt);
  const summary = (outcomes: Outcome[]) => {
    const byStatus = new Map<string, number>();
    for (const outcome of outcomes) byStatus.set(`${outcome.kind} ${outcome.status}`, (byStatus.get(`${outcome.kind} ${outcome.status}`) ?? 0) + 1);
    return Object.fromEntries([...byStatus].sort());
  };

  /**
   * Kills the component under load and checks what holds for every dependency: no process exited,
   * nothing hung, nothing failed without an answer or with a 500, and every answer during the
   * outage came within the bound. Returns the run for the checks particular to the component.
   */
  async function rideOutKill(component: 'postgres' | 'redis') {
    const { load, killedAt, backAt, wholeAt } = await killUnderLoad(component);
    const outage = duringOutage(load.outcomes, killedAt, backAt);
    const slowest = Math.max(...outage.map((outcome) => outcome.ms));
    say(`outage: ${outage.length} answers, slowest ${slowest} ms: ${JSON.stringify(summary(outage))}; whole run: ${JSON.stringify(summary(load.outcomes))}`);

    expect(api.exit()).toBeUndefined();
    expect(populator.exit()).toBeUndefined();
    expect(load.outcomes.filter((outcome) => typeof outcome.status !== 'number' || (outcome.status >= 500 && outcome.status !== 503))).toEqual([]);
    expect(slowest).toBeLessThanOrEqual(OUTAGE_LATENCY_LIMIT_MS);
    return { load, outage, backAt, wholeAt };
  }

  it('PostgreSQL killed with SIGKILL: the API answers 503 naming postgres with Retry-After within 3 s, never exits, and loses no acknowledged write', async () => {
    const { load, outage, backAt, wholeAt } = await rideOutKill('postgres');
    // Writes were refused with 503 dependency-unavailable naming postgres, with Retry-After.
    const refusedWrites = outage.filter((outcome) => (outcome.kind === 'register' || outcome.kind === 'update') && outcome.status === 503);
    expect(refusedWrites.length).toBeGreaterThan(0);
    for (const refused of load.outcomes.filter((outcome) => outcome.status === 503 && outcome.kind !== 'ready')) {
      expect(refused).toMatchObject({ problemType: PROBLEM, dependency: 'postgres', retryAfter: '1' });
    }
    expect(load.outcomes.filter((outcome) => outcome.kind === 'ready' && outcome.status === 503).every((outcome) => outcome.retryAfter === '1')).toBe(true);
    // Acknowledged after the restart too: the pool reconnected by itself.
    expect(load.outcomes.some((outcome) => outcome.startedAt >= backAt && (outcome.status === 201 || outcome.status === 200) && outcome.kind !== 'ready' && outcome.kind !== 'read')).toBe(true);

    await expectConverged(load.acked, wholeAt);
  });

  it('Redis killed with SIGKILL: writes go on, reads fall back to PostgreSQL within bounded time, /ready says 503 with Retry-After, and the cache catches up with every acknowledged write', async () => {
    const { load, outage, backAt, wholeAt } = await rideOutKill('redis');
    // The writer side does not need the cache: no write was refused.
    expect(load.outcomes.filter((outcome) => (outcome.kind === 'register' || outcome.kind === 'update') && outcome.status === 503)).toEqual([]);
    // Readiness said so, and reads were answered from PostgreSQL.
    const notReady = outage.filter((outcome) => outcome.kind === 'ready' && outcome.status === 503);
    expect(notReady.length).toBeGreaterThan(0);
    expect(notReady.every((outcome) => outcome.retryAfter === '1')).toBe(true);
    const reads = outage.filter((outcome) => outcome.kind === 'read');
    expect(reads.every((outcome) => outcome.status === 200)).toBe(true);
    expect(reads.some((outcome) => outcome.xCache === 'fallback')).toBe(true);

    await expectConverged(load.acked, wholeAt);
  });
});
