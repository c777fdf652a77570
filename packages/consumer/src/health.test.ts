import type { Consumer } from 'kafkajs';
import { describe, expect, it, vi } from 'vitest';
import type { ProjectionConsumer } from './consumer.ts';
import { consumerHealth, watchLiveness } from './health.ts';

interface FakeState {
  ready: boolean;
  failure?: Error;
  lag?: string;
  stuck?: (limitMs: number) => string | undefined;
  sinkError?: Error;
}

function fakeConsumer(state: FakeState): ProjectionConsumer {
  return {
    start: async () => undefined,
    stop: async () => undefined,
    isReady: () => state.ready,
    failure: () => state.failure,
    probeSink: async () => {
      if (state.sinkError) throw state.sinkError;
    },
    lagProblem: () => state.lag,
    stuckProblem: (limitMs: number) => state.stuck?.(limitMs),
    consumer: {} as Consumer,
  };
}

describe('consumerHealth', () => {
  it('is live and ready while the consumer works', async () => {
    const health = consumerHealth(fakeConsumer({ ready: true }), 60_000);

    expect(health.notLiveBecause()).toBeUndefined();
    expect(await health.notReadyBecause()).toBeUndefined();
  });

  it('fails liveness once kafkajs crashed without restarting the consumer, naming the error (a flag alone kept /health at 200)', async () => {
    const health = consumerHealth(fakeConsumer({ ready: false, failure: new Error('The group is rebalancing, so a rejoin is needed') }), 60_000);

    expect(health.notLiveBecause()).toBe('the consumer crashed and kafkajs will not restart it: kafka: failed');
    expect(await health.notReadyBecause()).toBe('the consumer crashed');
  });

  it('fails readiness while a partition has been stuck on the same records for longer than the limit, naming it', async () => {
    const asked: number[] = [];
    const health = consumerHealth(
      fakeConsumer({
        ready: true,
        stuck: (limitMs) => {
          asked.push(limitMs);
          return 'stuck: evergreen.user/3 has been retrying from offset 120 for 61 s (apply: WRONGTYPE)';
        },
      }),
      45_000,
    );

    expect(await health.notReadyBecause()).toBe('stuck: evergreen.user/3 has been retrying from offset 120 for 61 s (apply: WRONGTYPE)');
    expect(asked).toEqual([45_000]);
    // Stuck is not dead: the process keeps retrying, a restart would not help.
    expect(health.notLiveBecause()).toBeUndefined();
  });

  it('fails readiness when the consumer has not joined, lags past retention, or its store does not answer', async () => {
    expect(await consumerHealth(fakeConsumer({ ready: false }), 60_000).notReadyBecause()).toBe('the consumer has not joined its group');
    expect(await consumerHealth(fakeConsumer({ ready: true, lag: 'behind what the topics keep' }), 60_000).notReadyBecause()).toBe('behind what the topics keep');
    const refused = Object.assign(new Error('connect ECONNREFUSED 10.1.2.3:5432 password=evergreen'), { code: 'ECONNREFUSED' });
    const logged: unknown[] = [];
    const reason = await consumerHealth(fakeConsumer({ ready: true, sinkError: refused }), 60_000, { warn: (fields) => void logged.push(fields.err) }).notReadyBecause();
    // The client learns which dependency and its state; the text, a password in it, goes to the log only.
    expect(reason).toBe('the store does not answer: store: unavailable');
    expect(logged).toEqual([refused]);
  });
});

describe('watchLiveness', () => {
  it('calls onDead once, with the reason, as soon as liveness fails', () => {
    vi.useFakeTimers();
    try {
      let reason: string | undefined;
      const dead: string[] = [];
      const stop = watchLiveness({ notLiveBecause: () => reason }, (why) => dead.push(why), 500);

      vi.advanceTimersByTime(2_000);
      expect(dead).toEqual([]);
      reason = 'the consumer crashed and kafkajs will not restart it: boom';
      vi.advanceTimersByTime(2_000);

      expect(dead).toEqual(['the consumer crashed and kafkajs will not restart it: boom']);
      stop();
    } finally {
      vi.useRealTimers();
    }
  });
});
