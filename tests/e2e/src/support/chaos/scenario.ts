import type pg from 'pg';
import { pollUntil, type RedisClient } from '@evergreen/platform';
import { readUserStates } from '@evergreen/user-aggregate';
import { readCachedUserStates } from '@evergreen/user-read-model';
import { checkCache, Ledger, missingActivity, type Shown } from './ledger.ts';
import { LoadGenerator, type LoadStats } from './load.ts';

/** One component to kill -9 under load and bring back. */
export interface Fault {
  name: string;
  /** Kills it with SIGKILL. */
  kill(): Promise<void> | void;
  /** Brings it back and resolves once it answers again (a supervised service comes back by itself: just wait). */
  restore(): Promise<void>;
}

export interface ScenarioResult {
  component: string;
  acknowledged: number;
  delivered: number;
  missing: number;
  stale: number;
  resurrected: number;
  activityMissing: number;
  duplicatesAbsorbed: number;
  refused: number;
  unanswered: number;
  slowestAnswerMs: number;
  convergeSeconds: number;
  problems: string[];
}

export interface ScenarioContext {
  apiUrl: string;
  pool: pg.Pool;
  redis: RedisClient;
  /** The populator's records that found their version already applied, as its /metrics counts them now. */
  duplicatesCounter(): Promise<number>;
  writes: number;
  concurrency: number;
  convergeTimeoutMs: number;
}

/** evergreen_consumer_records_total of one consumer instance with that outcome (applied, stale, …), summed over its partitions. */
export async function consumerRecords(opsPort: number, outcome: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${opsPort}/metrics`, { signal: AbortSignal.timeout(1_000) })).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith('evergreen_consumer_records_total{') && line.includes(`outcome="${outcome}"`))
    .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
}

/** The scenarios' common settings around a namespace's API, database and cache. */
export function scenarioContext(config: { api: { url: string } }, pool: pg.Pool, redis: RedisClient, writes: number, duplicatesCounter: () => Promise<number>): ScenarioContext {
  return { apiUrl: config.api.url, pool, redis, writes, concurrency: 8, convergeTimeoutMs: 120_000, duplicatesCounter };
}

/** Sums a counter across restarts of the process that exports it: a drop means it started again from zero. */
class CounterAcrossRestarts {
  private last: number | undefined;
  total = 0;
  observe(value: number): void {
    // The first reading is the baseline: what the process counted before the scenario is not ours.
    if (this.last !== undefined) this.total += value >= this.last ? value - this.last : value;
    this.last = value;
  }
}

async function readModels(context: ScenarioContext, ledger: Ledger) {
  const ids = [...ledger.users.keys()];
  const cache = await readCachedUserStates(context.redis, ids);
  const uncertain = await readUserStates(context.pool, [...ledger.uncertain]);
  const database = new Map<string, Shown>([...uncertain].map(([id, state]) => [id, { version: state.version, deleted: state.deleted }]));
  const { rows } = await context.pool.query<{ user_id: string; version: string }>('SELECT user_id, version FROM user_activity WHERE user_id = ANY($1::text[])', [ids]);
  const logged = new Map<string, Set<number>>();
  for (const row of rows) logged.set(row.user_id, (logged.get(row.user_id) ?? new Set()).add(Number(row.version)));
  return { cache: checkCache(ledger, cache, database), activityMissing: missingActivity(ledger, logged) };
}

/**
 * A bounded mixed load through the API; a third of the way in, the component is killed with
 * SIGKILL; once the load has run into the outage for a while it is brought back; the load
 * finishes; then the ledger is checked until every acknowledged write is in the cache and the
 * activity log at its acknowledged version, or the deadline passes.
 */
export async function runScenario(context: ScenarioContext, fault: Fault): Promise<ScenarioResult> {
  const ledger = new Ledger();
  const load = new LoadGenerator({ apiUrl: context.apiUrl, ledger, concurrency: context.concurrency });
  const duplicates = new CounterAcrossRestarts();
  // A reading that fails (the populator restarting) is skipped, not taken as zero.
  const sample = async () => {
    const value = await context.duplicatesCounter().catch(() => undefined);
    if (value !== undefined) duplicates.observe(value);
  };
  await sample();
  const sampler = setInterval(() => void sample(), 250);
  let backAt = 0;
  try {
    load.start(context.writes);
    await pollUntil(() => ledger.writes >= context.writes / 3, { description: `a third of ${context.writes} writes before killing ${fault.name}`, timeoutMs: 120_000, intervalMs: 20 });
    await fault.kill();
    // The outage lasts while the load sends another 40 requests into it (at least), not a fixed time.
    const attemptsAtKill = load.stats.attempts;
    await pollUntil(() => load.stats.attempts >= attemptsAtKill + 40, { description: `load during the ${fault.name} outage`, timeoutMs: 60_000, intervalMs: 20 });
    await fault.restore();
    backAt = performance.now();
    await load.finished();
  } finally {
    await load.stop();
  }
  let last = await readModels(context, ledger);
  const clean = () => last.cache.missing + last.cache.stale + last.cache.resurrected + last.activityMissing.length === 0;
  await pollUntil(
    async () => {
      last = await readModels(context, ledger);
      return clean();
    },
    { description: `every acknowledged write in the read models after ${fault.name} came back`, timeoutMs: context.convergeTimeoutMs, intervalMs: 250 },
  ).catch(() => undefined);
  const convergeSeconds = (performance.now() - backAt) / 1000;
  clearInterval(sampler);
  await sample();
  const stats: LoadStats = load.stats;
  return {
    component: fault.name,
    acknowledged: last.cache.acknowledged,
    delivered: last.cache.delivered,
    missing: last.cache.missing,
    stale: last.cache.stale,
    resurrected: last.cache.resurrected,
    activityMissing: last.activityMissing.length,
    duplicatesAbsorbed: duplicates.total,
    refused: stats.refused,
    unanswered: stats.unanswered,
    slowestAnswerMs: Math.round(stats.slowestAnswerMs),
    convergeSeconds: clean() ? Number(convergeSeconds.toFixed(1)) : Number.POSITIVE_INFINITY,
    problems: [...last.cache.problems.slice(0, 5), ...last.activityMissing.slice(0, 5).map((entry) => `activity log lacks ${entry}`)],
  };
}

export function formatLedger(results: readonly ScenarioResult[]): string {
  const header = '| killed (-9) | acknowledged writes | delivered users | missing | stale | resurrected | activity missing | duplicates absorbed | 503s / unanswered | slowest answer | converged after back |';
  const rule = '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|';
  const rows = results.map(
    (result) =>
      `| ${result.component} | ${result.acknowledged} | ${result.delivered} | ${result.missing} | ${result.stale} | ${result.resurrected} | ${result.activityMissing} | ${result.duplicatesAbsorbed} | ${result.refused} / ${result.unanswered} | ${result.slowestAnswerMs} ms | ${Number.isFinite(result.convergeSeconds) ? `${result.convergeSeconds} s` : 'never'} |`,
  );
  return [header, rule, ...rows].join('\n');
}
