import type { Consumer } from 'kafkajs';
import type { Logger } from '@evergreen/platform';
import { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from '../backoff.ts';
import type { ProjectionConsumer } from '../consumer.ts';

export interface GenerationalConsumerOptions {
  /** The active generation, from the projection's store (GenerationStore.readActive). */
  readActive(): Promise<number>;
  /** The projection's consumer for one generation: that generation's namespace and consumer group. */
  build(generation: number): ProjectionConsumer;
  logger: Logger;
  /** How often the active generation is read (default 1 s): a switch is noticed within this. */
  pollIntervalMs?: number;
  /** Between attempts to read the active generation at start, while the store does not answer. */
  /** How the active generation is re-read when that fails (its backoff; the budget is the consumer's). */
  retry?: Partial<BackoffOptions>;
}

/** A projection consumer that follows its projection's active generation. */
export interface GenerationalConsumer extends ProjectionConsumer {
  /** The generation it consumes for now; undefined before start and while it switches. */
  generation(): number | undefined;
}

/**
 * Runs the consumer of the projection's active generation and follows the pointer: it reads the
 * active generation every pollIntervalMs and, when it changed (a rebuild switched), stops the
 * consumer of the old generation — which finishes its in-flight batches, commits only what it
 * applied and leaves the old group — then starts one for the new generation, in that
 * generation's group, from that group's committed offsets.
 */
export function createGenerationalConsumer(options: GenerationalConsumerOptions): GenerationalConsumer {
  const { logger } = options;
  const pollIntervalMs = options.pollIntervalMs ?? 1_000;
  let current: { generation: number; consumer: ProjectionConsumer } | undefined;
  /** The generation that should run but could not be started yet (retried at the next poll). */
  let wanted: number | undefined;
  let stopping = false;
  let timer: NodeJS.Timeout | undefined;
  let polling: Promise<void> = Promise.resolve();

  async function run(generation: number): Promise<void> {
    wanted = generation;
    const consumer = options.build(generation);
    try {
      await consumer.start();
    } catch (error) {
      // Leave nothing half-started; the next poll tries again.
      await consumer.stop().catch(() => undefined);
      throw error;
    }
    current = { generation, consumer };
    wanted = undefined;
    logger.info({ generation }, 'consuming the active generation');
  }

  async function follow(): Promise<void> {
    let active: number;
    try {
      active = await options.readActive();
    } catch (error) {
      logger.warn({ err: error }, 'could not read the active generation; keeping the current one');
      return;
    }
    if (stopping) return;
    if (current && current.generation === active) return;
    if (current) {
      logger.info({ from: current.generation, to: active }, 'the active generation changed; switching');
      const old = current;
      current = undefined;
      await old.consumer.stop();
    }
    if (stopping) return;
    try {
      await run(active);
    } catch (error) {
      logger.error({ err: error, generation: active }, 'could not start the consumer of the active generation; retrying');
    }
  }

  function schedule(): void {
    if (stopping) return;
    timer = setTimeout(() => {
      polling = follow()
        .catch((error: unknown) => logger.error({ err: error }, 'switching generations failed; retrying'))
        .finally(schedule);
    }, pollIntervalMs);
  }

  /** The active generation; at start the store may not answer yet, which is retried like any transient failure. */
  async function firstActive(): Promise<number | undefined> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await options.readActive();
      } catch (error) {
        if (stopping) return undefined;
        const delayMs = backoffDelay(attempt, { ...DEFAULT_BACKOFF, ...options.retry });
        logger.warn({ err: error, attempt: attempt + 1, delayMs }, 'could not read the active generation; retrying');
        await new Promise((resolve) => setTimeout(resolve, delayMs));
      }
    }
  }

  return {
    async start() {
      stopping = false;
      const starting = firstActive().then(async (active) => {
        if (active !== undefined && !stopping) await run(active);
      });
      polling = starting.catch(() => undefined);
      await starting;
      schedule();
    },
    async stop() {
      stopping = true;
      clearTimeout(timer);
      await polling.catch(() => undefined);
      const running = current;
      current = undefined;
      await running?.consumer.stop();
    },
    generation: () => current?.generation,
    // Not ready while it switches or while the new generation's consumer cannot start.
    isReady: () => wanted === undefined && current !== undefined && current.consumer.isReady(),
    async probeSink() {
      if (!current) throw new Error(`no consumer running (switching to generation ${wanted ?? '?'})`);
      await current.consumer.probeSink();
    },
    lagProblem: (nowMs?: number) => current?.consumer.lagProblem(nowMs),
    failure: () => current?.consumer.failure(),
    stuckProblem: (limitMs: number, nowMs?: number) => current?.consumer.stuckProblem(limitMs, nowMs),
    get consumer(): Consumer {
      if (!current) throw new Error('no consumer running: not started, or switching generations');
      return current.consumer.consumer;
    },
  };
}
