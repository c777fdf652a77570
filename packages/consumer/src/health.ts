import { publicReason } from '@evergreen/errors';
import type { ProjectionConsumer } from './consumer.ts';

/** Where the raw errors behind a public reason go. */
interface HealthLog {
  warn(fields: Record<string, unknown>, message: string): void;
}

/** What a worker's /health and /ready answer, from its consumer. */
export interface ConsumerHealth {
  /** Liveness: why the process can no longer work and must be restarted, or undefined. */
  notLiveBecause(): string | undefined;
  /** Readiness: why the consumer should not be counted on now, or undefined. */
  notReadyBecause(): Promise<string | undefined>;
}

/**
 * Honest health for a consumer. Alive unless kafkajs crashed for good (then nothing more is ever
 * fetched). Ready once it joined its group, is not further behind than its topics keep, has no
 * partition retrying the same records for longer than `stuckAfterMs` (one that fails every time
 * stops its partition for good while the rest looks fine), and its store answers.
 */
export function consumerHealth(consumer: ProjectionConsumer, stuckAfterMs: number, log?: HealthLog): ConsumerHealth {
  return {
    notLiveBecause() {
      // The crash itself was logged, whole, when it happened.
      const failure = consumer.failure();
      return failure === undefined ? undefined : `the consumer crashed and kafkajs will not restart it: ${publicReason('kafka', failure)}`;
    },
    async notReadyBecause() {
      if (!consumer.isReady()) return consumer.failure() ? 'the consumer crashed' : 'the consumer has not joined its group';
      // Further behind than the topic keeps: a compacted topic may drop events it has not read.
      const lagging = consumer.lagProblem();
      if (lagging) return lagging;
      const stuck = consumer.stuckProblem(stuckAfterMs);
      if (stuck) return stuck;
      return consumer.probeSink().then(
        () => undefined,
        (error: unknown) => {
          log?.warn({ err: error }, 'readiness: the store does not answer');
          return `the store does not answer: ${publicReason('store', error)}`;
        },
      );
    },
  };
}

/**
 * Checks liveness every `intervalMs` and, the first time it fails, calls `onDead` with the reason
 * (runWorker: log fatally and exit non-zero, for a supervisor to start a fresh process). Returns
 * the function that stops watching.
 */
export function watchLiveness(health: Pick<ConsumerHealth, 'notLiveBecause'>, onDead: (reason: string) => void, intervalMs = 1_000): () => void {
  const timer = setInterval(() => {
    const reason = health.notLiveBecause();
    if (reason === undefined) return;
    clearInterval(timer);
    onDead(reason);
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
