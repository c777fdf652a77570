import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtServices, localStack, stackUp, Supervisor, type LocalStack } from '@evergreen/local-stack';
import { createPool, findRepoRoot, loadStackConfig, pollUntil, type StackConfig } from '@evergreen/platform';
import { consumerRecords, formatLedger, runScenario, scenarioContext, type Fault, type ScenarioContext, type ScenarioResult } from './support/chaos/scenario.ts';
import { waitUntilPopulatorCaughtUp } from './support/caught-up.ts';

// Issue #11: `npm run chaos` kill -9s each component in turn under a bounded mixed load through
// the API and checks that every acknowledged write reached the cache and the activity log at its
// acknowledged version. In `npm test` (and so CI) a short form runs: PostgreSQL and Kafka Connect.
const FULL = process.env.EVERGREEN_CHAOS === 'full';
const INFRA = ['postgres', 'connect', 'kafka', 'registry', 'redis'] as const;
const SERVICES = ['cache-populator', 'activity-log', 'registration-api'] as const;
const COMPONENTS: readonly string[] = FULL ? [...INFRA, ...SERVICES] : ['postgres', 'connect'];
const WRITES = Number(process.env.EVERGREEN_CHAOS_WRITES ?? (FULL ? 1_500 : 400));
const CONVERGE_LIMIT_S = 30;

describe(`chaos: kill -9 under load (${FULL ? 'full' : 'short form'})`, () => {
  const root = findRepoRoot();
  let config: StackConfig;
  let stack: LocalStack;
  let supervisor: Supervisor;
  let pool: pg.Pool;
  let redis: Redis;
  let context: ScenarioContext;
  const results: ScenarioResult[] = [];
  const log: string[] = [];

  const ready = (port: number) => fetch(`http://127.0.0.1:${port}/ready`, { signal: AbortSignal.timeout(2_000) }).then((response) => response.status === 200);
  const allReady = async () => (await Promise.all([config.api.port, config.populator.port, config.activityLog.port].map((port) => ready(port).catch(() => false)))).every(Boolean);

  beforeAll(async () => {
    config = loadStackConfig();
    stack = localStack(config);
    // The services as `npm start` runs them: built, under the supervisor, in the tests' namespace.
    execFileSync(process.execPath, [join(root, 'scripts', 'build-services.mjs')], { stdio: 'ignore' });
    supervisor = new Supervisor({ services: builtServices(root).map((spec) => ({ ...spec, env: { EVERGREEN_LOG_FORMAT: 'json', EVERGREEN_LOG_LEVEL: 'warn' } })), write: (line) => log.push(line) });
    supervisor.start();
    pool = createPool(config.postgres, { max: 2 });
    pool.on('error', () => undefined);
    redis = new Redis({ host: config.redis.host, port: config.redis.port, db: config.redis.db, maxRetriesPerRequest: 1 });
    redis.on('error', () => undefined);
    await pollUntil(allReady, { description: 'the supervised services to be ready', timeoutMs: 120_000, intervalMs: 250 });
    // Caught up first, so the ledger's "duplicates absorbed" counts only what a fault made the relay send twice.
    await waitUntilPopulatorCaughtUp(config);
    context = scenarioContext(config, pool, redis, WRITES, () => consumerRecords(config.populator.port, 'stale'));
  }, 300_000);

  afterAll(async () => {
    await supervisor?.stop();
    // Whatever a failed scenario left down comes back for the suites after this one.
    if (stack) await stackUp(stack, () => undefined);
    redis?.disconnect();
    await pool?.end();
    if (results.length > 0) {
      const ledger = formatLedger(results);
      console.log(`\nchaos ledger (${FULL ? 'full' : 'short form'}, ${WRITES} acknowledged writes per scenario)\n${ledger}\n`);
      mkdirSync(join(root, 'test-results'), { recursive: true });
      writeFileSync(join(root, 'test-results', 'chaos-ledger.md'), `${ledger}\n`);
    }
  }, 300_000);

  function faultOf(name: string): Fault {
    const component = stack.components.find((candidate) => candidate.name === name);
    if (component) {
      return {
        name,
        kill() {
          const pid = component.pid();
          if (pid === undefined) throw new Error(`${name} is not running`);
          process.kill(pid, 'SIGKILL');
        },
        async restore() {
          // Starts what is not running and healthy (the killed component, and any that fell with it).
          await stackUp(stack, () => undefined);
        },
      };
    }
    return {
      name,
      kill() {
        const pid = supervisor.pids()[name];
        if (pid === undefined) throw new Error(`${name} is not running`);
        process.kill(pid, 'SIGKILL');
      },
      // The supervisor starts it again; back is when every service answers /ready.
      restore: () => pollUntil(allReady, { description: `${name} to be back and every service ready`, timeoutMs: 120_000, intervalMs: 100 }).then(() => undefined),
    };
  }

  it.each(COMPONENTS.map((name) => [name]))(
    'kill -9 %s: every acknowledged write reaches the cache and the activity log, no other service restarts',
    async (name) => {
      const restartsBefore = supervisor.restarts();
      const result = await runScenario(context, faultOf(name));
      results.push(result);

      expect(result.problems).toEqual([]);
      expect({ missing: result.missing, stale: result.stale, resurrected: result.resurrected, activityMissing: result.activityMissing }).toEqual({ missing: 0, stale: 0, resurrected: 0, activityMissing: 0 });
      expect(result.acknowledged).toBeGreaterThanOrEqual(WRITES);
      expect(result.convergeSeconds).toBeLessThanOrEqual(CONVERGE_LIMIT_S);
      // Only the service that was killed came back through the supervisor: no dependency outage crashed one.
      const restarted = Object.entries(supervisor.restarts()).filter(([service, count]) => count > (restartsBefore[service] ?? 0) && service !== name);
      expect(restarted, `services that restarted (their lines: ${log.filter((line) => line.includes('supervisor')).slice(-5).join(' / ')})`).toEqual([]);
    },
    600_000,
  );
});
