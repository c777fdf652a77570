import { AvroSerde } from '@evergreen/avro-serde';
import { createLogger, loadStackConfig, processMetricsRegistry, startOpsServer, type Logger, type StackConfig } from '@evergreen/platform';
import type { Registry } from 'prom-client';
import type { ProjectionConsumer } from './consumer.ts';

export interface WorkerOptions {
  consumer: ProjectionConsumer;
  logger: Logger;
  registry: Registry;
  ops: { host: string; port: number };
  /** Closes what the worker opened besides the consumer (Redis, a pool), after the consumer stopped. */
  closeResources(): Promise<void>;
  /** A shutdown that takes longer exits non-zero rather than hang a deploy. */
  shutdownTimeoutMs?: number;
}

/**
 * Runs a consumer as a process: ops endpoints up, consumer started, and on SIGTERM or SIGINT the
 * in-flight batches finish and commit, the consumer leaves its group, resources close, exit 0.
 */
export async function runWorker(options: WorkerOptions): Promise<void> {
  const { consumer, logger } = options;
  const ops = await startOpsServer({
    ...options.ops,
    logger,
    registry: options.registry,
    async notReadyBecause() {
      if (!consumer.isReady()) return 'the consumer has not joined its group (or crashed)';
      // Further behind than the topic keeps: a compacted topic may drop events it has not read.
      const lagging = consumer.lagProblem();
      if (lagging) return lagging;
      return consumer.probeSink().then(
        () => undefined,
        (error: unknown) => `the store does not answer: ${(error as Error).message}`,
      );
    },
  });

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'shutting down: finishing in-flight batches and committing');
    setTimeout(() => {
      logger.error('shutdown took too long; exiting without a clean leave');
      process.exit(1);
    }, options.shutdownTimeoutMs ?? 30_000).unref();
    try {
      await consumer.stop();
      await options.closeResources();
      await ops.close();
      logger.info('stopped cleanly');
      process.exit(0);
    } catch (error) {
      logger.error({ err: error }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  await consumer.start();
}

/** What every worker process starts from. */
export interface WorkerContext {
  config: StackConfig;
  logger: Logger;
  /** With Node's default metrics; the consumer's join them. */
  registry: Registry;
  serde: AvroSerde;
}

export function workerContext(name: string): WorkerContext {
  const config = loadStackConfig();
  const registry = processMetricsRegistry();
  return { config, logger: createLogger(name, config.logLevel), registry, serde: AvroSerde.forUrl(config.registry.ccompatUrl) };
}
