import type { Kafka } from 'kafkajs';
import { DeadlineExceededError } from '@evergreen/platform';
import { appendTimesSince, endOffsets, type CacheApplyObserver } from './observers.ts';
import { runOpenLoop } from './open-loop.ts';
import { distribution, type Distribution } from './stats.ts';
import type { Commit, Writer } from './writers.ts';

/** The cache keeps up when everything written is in it this soon after the load stops. */
export const KEEPS_UP_WITHIN_MS = 2_000;

export interface StepResult {
  path: string;
  offeredPerSecond: number;
  /** Acknowledged writes per second of the step. */
  achievedPerSecond: number;
  failed: number;
  skipped: number;
  firstError?: string;
  commitToKafka: Distribution;
  kafkaToCache: Distribution;
  commitToCache: Distribution;
  /** From the last acknowledged commit to the cache holding every write of the step. */
  tailMs: number;
  /** The writer kept the rate and the cache kept up (bounded lag). */
  sustained: boolean;
}

export interface StepContext {
  kafka: Kafka;
  topic: string;
  observer: CacheApplyObserver;
  say: (line: string) => void;
}

export interface StepOptions {
  writer: Writer;
  /** Names the path in the results when the writer alone does not (the relay behind it). */
  path?: string;
  ratePerSecond: number;
  durationMs: number;
  maxInFlight?: number;
}

/**
 * One open-loop step: writes at a fixed rate for a while, waits until the cache holds every one of
 * them (however long a backlog takes to drain, so the next step starts clean), and splits each
 * write's commit → cache time at the broker's append: commit → Kafka (the relay) and Kafka → cache
 * (the consumer).
 */
export async function measureStep(context: StepContext, options: StepOptions): Promise<StepResult> {
  const { kafka, topic, observer } = context;
  const from = await endOffsets(kafka, topic);
  const commits: Commit[] = [];
  const load = await runOpenLoop({
    ratePerSecond: options.ratePerSecond,
    durationMs: options.durationMs,
    maxInFlight: options.maxInFlight ?? 512,
    write: async () => {
      commits.push(await options.writer.write());
    },
  });
  const lastCommit = commits.reduce((latest, commit) => Math.max(latest, commit.committedAt), 0);
  const userIds = commits.map((commit) => commit.userId);
  try {
    await observer.waitForAll(userIds, 10 * 60_000);
  } catch (error) {
    if (!(error instanceof DeadlineExceededError)) throw error;
    context.say(`  ${error.message}; counting the step as not kept up`);
  }
  const appended = await appendTimesSince(kafka, topic, from);
  const toKafka: number[] = [];
  const toCache: number[] = [];
  const total: number[] = [];
  let lastApplied = 0;
  for (const { userId, committedAt } of commits) {
    const appliedAt = observer.appliedAt.get(userId);
    const appendedAt = appended.get(userId);
    if (appliedAt === undefined) continue;
    lastApplied = Math.max(lastApplied, appliedAt);
    total.push(appliedAt - committedAt);
    if (appendedAt === undefined) continue;
    // LogAppendTime has millisecond resolution; a commit acknowledged in the same millisecond reads as 0.
    toKafka.push(Math.max(0, appendedAt - committedAt));
    toCache.push(Math.max(0, appliedAt - appendedAt));
  }
  const missing = commits.length - total.length;
  const tailMs = missing > 0 ? Number.POSITIVE_INFINITY : lastApplied - lastCommit;
  const achievedPerSecond = commits.length / (options.durationMs / 1000);
  const result: StepResult = {
    path: options.path ?? options.writer.name,
    offeredPerSecond: options.ratePerSecond,
    achievedPerSecond,
    failed: load.failed,
    skipped: load.skipped,
    firstError: load.firstError,
    commitToKafka: distribution(toKafka),
    kafkaToCache: distribution(toCache),
    commitToCache: distribution(total),
    tailMs,
    sustained: load.failed === 0 && load.skipped === 0 && achievedPerSecond >= 0.95 * options.ratePerSecond && tailMs <= KEEPS_UP_WITHIN_MS,
  };
  context.say(
    `  ${result.path} @ ${options.ratePerSecond}/s: achieved ${achievedPerSecond.toFixed(0)}/s, commit→cache p50 ${result.commitToCache.p50.toFixed(1)} p99 ${result.commitToCache.p99.toFixed(1)} ms, tail ${Number.isFinite(tailMs) ? tailMs.toFixed(0) : '∞'} ms${load.skipped ? `, ${load.skipped} skipped` : ''}${load.failed ? `, ${load.failed} failed (${load.firstError})` : ''} → ${result.sustained ? 'kept up' : 'did not keep up'}`,
  );
  return result;
}

export interface Saturation {
  /** The highest rate that was sustained. */
  sustainedPerSecond: number;
  steps: StepResult[];
}

/**
 * The highest rate the path sustains: grows the rate by half until a step fails, then bisects
 * between the last rate that held and the first that did not, to within 10 %.
 */
export async function findSaturation(context: StepContext, options: Omit<StepOptions, 'ratePerSecond'> & { startPerSecond: number; maxSteps: number }): Promise<Saturation> {
  const steps: StepResult[] = [];
  let held = 0;
  let failedAt = Number.POSITIVE_INFINITY;
  let rate = options.startPerSecond;
  while (steps.length < options.maxSteps) {
    const step = await measureStep(context, { ...options, ratePerSecond: rate });
    steps.push(step);
    if (step.sustained) held = Math.max(held, rate);
    else failedAt = Math.min(failedAt, rate);
    if (failedAt / Math.max(held, 1) <= 1.1) break;
    rate = Number.isFinite(failedAt) ? Math.round((held + failedAt) / 2 / 10) * 10 : Math.round((rate * 1.5) / 10) * 10;
  }
  return { sustainedPerSecond: held, steps };
}

