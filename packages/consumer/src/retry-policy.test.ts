import { describe, expect, it } from 'vitest';
import { DatabaseError } from 'pg-protocol';
import { EvergreenError, type Classification } from '@evergreen/errors';
import { StopRequestedError } from './backoff.ts';
import { PoisonRecordError } from './poison.ts';
import { runStep, TRANSIENT_ATTEMPTS_BEFORE_ISOLATING, type Clock, type RetryOptions, type StepHooks, type StepPolicy } from './retry-policy.ts';

const RETRY: RetryOptions = { initialMs: 100, maxMs: 1_000, unknownErrorBudgetMs: 60_000 };

/** Time that passes only when slept through. */
function fakeClock(): Clock & { elapsed(): number } {
  let now = 1_000_000;
  return { now: () => now, sleep: async (ms) => void (now += Math.max(ms, 1)), elapsed: () => now - 1_000_000 };
}

function hooks(overrides: Partial<StepHooks> = {}) {
  const retried: Classification[] = [];
  const all: StepHooks = {
    isRunning: () => true,
    heartbeat: async () => undefined,
    onRetry: (_error, classification) => void retried.push(classification),
    ...overrides,
  };
  return { hooks: all, retried };
}

/** Work that fails with each of `failures` in turn, then answers 'done'. */
function failingWith(...failures: unknown[]) {
  let calls = 0;
  const work = async () => {
    const failure = failures[calls];
    calls += 1;
    if (calls <= failures.length) throw failure;
    return 'done';
  };
  return { work, calls: () => calls };
}

const pgError = (sqlState: string) => Object.assign(new DatabaseError('refused', 0, 'error'), { code: sqlState });
const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:16379'), { code: 'ECONNREFUSED' });
const single: StepPolicy = { retry: RETRY, singleRecord: true };
const several: StepPolicy = { retry: RETRY, singleRecord: false };

describe('runStep', () => {
  it('retries a transient failure of one record for as long as it lasts, then answers the value', async () => {
    const { work, calls } = failingWith(...Array.from({ length: 20 }, () => refused));
    const { hooks: h, retried } = hooks();

    const result = await runStep(work, h, single, fakeClock());

    expect(result).toEqual({ ok: true, value: 'done' });
    expect(calls()).toBe(21);
    expect(new Set(retried.map((entry) => entry.code))).toEqual(new Set(['DEPENDENCY_UNAVAILABLE']));
  });

  it('over several records, retries a transient failure a few times, then gives up for its caller to halve them', async () => {
    const { work, calls } = failingWith(...Array.from({ length: 20 }, () => refused));

    const result = await runStep(work, hooks().hooks, several, fakeClock());

    expect(result.ok).toBe(false);
    expect(calls()).toBe(TRANSIENT_ATTEMPTS_BEFORE_ISOLATING);
    expect(await runStep(failingWith(refused).work, hooks().hooks, several, fakeClock())).toEqual({ ok: true, value: 'done' });
  });

  it('gives up on a permanent failure at once, with the poison it makes of the record', async () => {
    const { work, calls } = failingWith(pgError('22P02'));
    const { hooks: h, retried } = hooks();

    const result = await runStep(work, h, single, fakeClock());

    expect(calls()).toBe(1);
    expect(retried).toEqual([]);
    expect(result).toMatchObject({ ok: false, error: { code: 'STORE_REJECTED', reason: 'store-rejected' } });
  });

  it("keeps a record's own code, a handler's PAYLOAD_MISMATCH say", async () => {
    const mismatch = new PoisonRecordError('PAYLOAD_MISMATCH', 'userId differs from the key');
    const result = await runStep(failingWith(mismatch).work, hooks().hooks, single, fakeClock());
    expect(result).toEqual({ ok: false, error: mismatch });
  });

  it('over several records, gives up on an unknown failure at once, so the caller can find the record at fault', async () => {
    const { work, calls } = failingWith(new TypeError('op is not a function'));

    const result = await runStep(work, hooks().hooks, several, fakeClock());

    expect(calls()).toBe(1);
    expect(result.ok).toBe(false);
  });

  it('over one record, retries an unknown failure until the budget is spent, then gives up as retries-exhausted with the whole error', async () => {
    const clock = fakeClock();
    const bug = new TypeError('op is not a function');
    const work = async () => Promise.reject(bug);

    const result = await runStep(work, hooks().hooks, single, clock);

    expect(clock.elapsed()).toBeGreaterThanOrEqual(RETRY.unknownErrorBudgetMs);
    expect(clock.elapsed()).toBeLessThan(RETRY.unknownErrorBudgetMs + RETRY.maxMs + 1_000);
    expect(result).toMatchObject({ ok: false, error: { code: 'RETRIES_EXHAUSTED', reason: 'retries-exhausted', cause: bug } });
    if (!result.ok) expect(result.error.message).toMatch(/TypeError: op is not a function\n\s+at /);
  });

  it('keeps retrying past the budget while the dependency does not answer its probe: an outage, not a record', async () => {
    const clock = fakeClock();
    let probes = 0;
    const { work, calls } = failingWith(...Array.from({ length: 400 }, () => new Error('an unrecognised reply')));
    const { hooks: h } = hooks({ dependencyAnswers: async () => (probes += 1) > 3 });

    const result = await runStep(work, h, single, clock);

    expect(probes).toBe(4);
    expect(result).toMatchObject({ ok: false, error: { code: 'RETRIES_EXHAUSTED' } });
    expect(calls()).toBeGreaterThan(60);
  });

  it('retries a misconfigured dependency without dead-lettering (a registry that knows no schema at all)', async () => {
    const misconfigured = new EvergreenError('MISCONFIGURED', 'registry answers 404 for everything', { dependency: 'registry' });
    const { work, calls } = failingWith(...Array.from({ length: 50 }, () => misconfigured));

    const result = await runStep(work, hooks().hooks, single, fakeClock());

    expect(result).toEqual({ ok: true, value: 'done' });
    expect(calls()).toBe(51);
  });

  it('ends a wait as parked when an operator parks the record, keeping what it was retrying', async () => {
    let parked = false;
    const { hooks: h } = hooks({
      onRetry: () => {
        parked = true;
      },
      parked: async () => parked,
    });

    const result = await runStep(async () => Promise.reject(refused), h, single, fakeClock());

    expect(result).toMatchObject({ ok: false, error: { code: 'PARKED', reason: 'parked' } });
    if (!result.ok) expect(result.error.message).toContain('DEPENDENCY_UNAVAILABLE');
  });

  it('never gives up when told not to, whatever the failure, and ignores parks', async () => {
    const tooLarge = Object.assign(new Error('message too large'), { name: 'KafkaJSProtocolError', type: 'MESSAGE_TOO_LARGE', retriable: false });
    const { work, calls } = failingWith(tooLarge, new TypeError('bug'), tooLarge);

    const result = await runStep(work, hooks({ parked: async () => true }).hooks, { ...single, neverGiveUp: true }, fakeClock());

    expect(result).toEqual({ ok: true, value: 'done' });
    expect(calls()).toBe(4);
  });

  it('stops waiting when the consumer stops, leaving the record unresolved', async () => {
    let running = true;
    const { hooks: h } = hooks({ isRunning: () => running, onRetry: () => void (running = false) });

    await expect(runStep(async () => Promise.reject(refused), h, single, fakeClock())).rejects.toBeInstanceOf(StopRequestedError);
  });

  it('takes a first failure its caller met itself, without calling the work again for it', async () => {
    const { work, calls } = failingWith(refused);

    const result = await runStep(work, hooks().hooks, single, fakeClock(), refused);

    expect(result).toEqual({ ok: true, value: 'done' });
    // The handed-in failure, then the work once more: failing (its first failure), then once more: done.
    expect(calls()).toBe(2);
    const poison = await runStep(async () => 'never called', hooks().hooks, single, fakeClock(), Object.assign(new Error('bad'), { code: '22P02', name: 'error' }));
    expect(poison).toMatchObject({ ok: false, error: { code: 'STORE_REJECTED' } });
  });

  it('heartbeats while it waits, so the group keeps a member that is only waiting', async () => {
    let beats = 0;
    const { work } = failingWith(refused, refused, refused, refused, refused);

    await runStep(work, hooks({ heartbeat: async () => void (beats += 1) }).hooks, single, fakeClock());

    expect(beats).toBeGreaterThanOrEqual(5);
  });
});
