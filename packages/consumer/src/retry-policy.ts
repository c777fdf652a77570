import { classify, describeError, type Classification, type Dependency } from '@evergreen/errors';
import { backoffDelay, DEFAULT_BACKOFF, StopRequestedError, type BackoffOptions } from './backoff.ts';
import { poisonFrom, PoisonRecordError } from './poison.ts';

/** How the consumer retries: the backoff between attempts, and how long an error of unknown kind may last. */
export interface RetryOptions extends BackoffOptions {
  /**
   * How long one record may keep failing with an error that is neither known permanent nor known
   * transient (a sink bug, an unrecognised reply) before it is dead-lettered as
   * `retries-exhausted`, with the whole error, and an alert (default 3 minutes). A transient
   * error (a dependency away) is retried for as long as it lasts, and never dead-letters anything.
   */
  unknownErrorBudgetMs: number;
}

export const DEFAULT_RETRY: RetryOptions = { ...DEFAULT_BACKOFF, unknownErrorBudgetMs: 180_000 };

/** What a step's caller is told between attempts, and asks while it waits. */
export interface StepHooks {
  /** False once the consumer is stopping or the partition moved away; the wait ends, nothing more is tried. */
  isRunning(): boolean;
  /** Called while waiting, so the group does not evict a member that is only waiting. */
  heartbeat(): Promise<void>;
  /** Before each wait: the error, what it was classified as, the attempt that failed and the delay. */
  onRetry(error: unknown, classification: Classification, attempt: number, delayMs: number): void;
  /** Whether an operator parked the record this step is stuck on (`npm run dlq -- park`); asked while waiting. */
  parked?(): Promise<boolean>;
  /**
   * Asked before an error of unknown kind makes a record dead-lettered: a dependency that does not
   * answer its probe means the error was an outage in disguise, so the record waits instead.
   */
  dependencyAnswers?(): Promise<boolean>;
}

export interface StepPolicy {
  retry: RetryOptions;
  /** The dependency the step calls, for errors that do not name theirs (a sink's store). */
  dependency?: Dependency;
  /**
   * Whether the step works on one record. A step over several gives up at once on an error that
   * is not transient, so that its caller can find the record at fault (isolate); only a step over
   * one record spends the unknown-error budget, since only then is the record known.
   */
  singleRecord: boolean;
  /**
   * Retry every failure, whatever its kind, and ignore parks: for the last step that keeps a record
   * from being lost (its slimmed dead letter), where giving up would drop it.
   */
  neverGiveUp?: boolean;
}

/** The step gave up: the record(s) it worked on cannot pass, for the reason in `error`. */
export interface StepFailure {
  ok: false;
  error: PoisonRecordError;
}

export type StepResult<T> = { ok: true; value: T } | StepFailure;

const HEARTBEAT_EVERY_MS = 1_000;

/**
 * How many times a step over several records retries a transient failure before it gives up so
 * that its caller halves the records: a failure that keeps recurring may be one record's (a lock
 * on one row, a timeout on one large value), and a partition stuck on a batch cannot be parked.
 * In an outage the halving ends at the first record, which then waits alone, the others in order behind it.
 */
export const TRANSIENT_ATTEMPTS_BEFORE_ISOLATING = 3;

/** Time as runStep sees it: real by default, a fake one in its tests. */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = { now: () => Date.now(), sleep: (ms) => new Promise<void>((resolve) => setTimeout(resolve, ms)) };

/**
 * Runs one step of a slice (decode a record, apply operations, send a dead letter) until it
 * passes or may no longer be retried, deciding from the error's classification alone:
 * - permanent: gives up at once (the record is dead-lettered);
 * - transient: waits with backoff and tries again, for as long as the consumer runs (over several
 *   records, TRANSIENT_ATTEMPTS_BEFORE_ISOLATING times, then gives up for its caller to halve them);
 * - unknown: over several records, gives up at once so the caller can isolate the one at fault;
 *   over one record, retries with backoff until the budget is spent, then gives up as
 *   RETRIES_EXHAUSTED carrying the whole error, unless the dependency does not answer its probe.
 * While waiting, an operator's park of the record ends the step as PARKED.
 * Throws StopRequestedError when the consumer stops while it waits.
 */
export async function runStep<T>(work: () => Promise<T>, hooks: StepHooks, policy: StepPolicy, clock: Clock = systemClock, ...alreadyFailed: [unknown] | []): Promise<StepResult<T>> {
  const now = () => clock.now();
  let firstUnknownAt: number | undefined;
  // A caller that made the first attempt itself (the fast path of a slice) hands its failure in.
  let pending: [unknown] | [] = alreadyFailed;
  for (let attempt = 0; ; attempt += 1) {
    let failure: unknown;
    if (pending.length === 1) {
      failure = pending[0];
      pending = [];
    } else {
      try {
        return { ok: true, value: await work() };
      } catch (error) {
        failure = error;
      }
    }
    if (!hooks.isRunning()) throw new StopRequestedError();
    const classification = classify(failure, { dependency: policy.dependency });
    if (policy.neverGiveUp) {
      await waitBeforeRetry(failure, classification, attempt, hooks, policy, clock, false);
      continue;
    }
    if (classification.disposition === 'permanent') return { ok: false, error: poisonFrom(failure, classification.code) };
    if (!policy.singleRecord && classification.disposition === 'transient' && attempt + 1 >= TRANSIENT_ATTEMPTS_BEFORE_ISOLATING) {
      return { ok: false, error: poisonFrom(failure, classification.code) };
    }
    if (classification.disposition === 'unknown') {
      if (!policy.singleRecord) return { ok: false, error: poisonFrom(failure, classification.code) };
      // Counted from the first unknown failure of this record, transient ones between included: the
      // probe below, not the clock, is what tells an outage from a record that cannot pass.
      firstUnknownAt ??= now();
      if (now() - firstUnknownAt >= policy.retry.unknownErrorBudgetMs && (await hooks.dependencyAnswers?.()) !== false) {
        const spent = Math.round((now() - firstUnknownAt) / 1000);
        return { ok: false, error: new PoisonRecordError('RETRIES_EXHAUSTED', `failed for ${spent} s with an error of unknown kind: ${describeError(failure)}`, { cause: failure }) };
      }
    }
    const parked = await waitBeforeRetry(failure, classification, attempt, hooks, policy, clock, true);
    if (parked) return { ok: false, error: parked };
  }
}

/** Waits out the backoff, heartbeating; answers the PARKED poison if an operator parked the record meanwhile. */
async function waitBeforeRetry(failure: unknown, classification: Classification, attempt: number, hooks: StepHooks, policy: StepPolicy, clock: Clock, parkable: boolean): Promise<PoisonRecordError | undefined> {
  const delay = backoffDelay(attempt, policy.retry);
  hooks.onRetry(failure, classification, attempt + 1, delay);
  const until = clock.now() + delay;
  do {
    if (!hooks.isRunning()) throw new StopRequestedError();
    if (parkable && (await hooks.parked?.())) {
      const detail = failure instanceof Error ? failure.message : String(failure);
      return new PoisonRecordError('PARKED', `parked by operator while retrying (${classification.code}: ${detail})`, { cause: failure });
    }
    await clock.sleep(Math.max(0, Math.min(HEARTBEAT_EVERY_MS, until - clock.now())));
    await hooks.heartbeat();
  } while (clock.now() < until);
  return undefined;
}
