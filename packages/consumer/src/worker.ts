import { AvroSerde } from '@evergreen/avro-serde';
import { createLogger, exitOnFatalErrors, FATAL_EXIT_CODE, loadStackConfig, processMetricsRegistry, startOpsServer, startTracing, stopTracing, type Logger, type StackConfig } from '@evergreen/platform';
import type { Registry } from 'prom-client';
import type { ProjectionConsumer } from './consumer.ts';
import { consumerHealth, watchLiveness, type ConsumerHealth } from './health.ts';
import type { RetryOptions } from './retry-policy.ts';
import { DEFAULT_STUCK_AFTER_MS } from './stuck.ts';

/** What serves a worker's HTTP: by default the ops server (/health, /ready, /metrics). */
export interface WorkerServer {
  close(): Promise<void>;
}

export interface WorkerOptions {
  consumer: ProjectionConsumer;
  logger: Logger;
  registry: Registry;
  ops: { host: string; port: number };
  /**
   * Serves the process's HTTP instead of the ops server, given the consumer's health: a service
   * that is an API too (the order service) answers /health and /ready with it on its own port.
   */
  serve?(health: ConsumerHealth): Promise<WorkerServer>;
  /** Why the process is not ready besides its consumer (a replica still bootstrapping), checked first. */
  notReadyBecause?(): Promise<string | undefined>;
  /** Closes what the worker opened besides the consumer (Redis, a pool), after the consumer stopped. */
  closeResources(): Promise<void>;
  /** A shutdown that takes longer exits non-zero rather than hang a deploy. */
  shutdownTimeoutMs?: number;
  /**
   * How long a partition may retry the same records before /ready fails, naming it
   * (EVERGREEN_CONSUMER_STUCK_AFTER_MS, config.consumers.stuckAfterMs; default 60 s).
   */
  stuckAfterMs?: number;
}

/**
 * Runs a consumer as a process: ops endpoints up, consumer started, and on SIGTERM or SIGINT the
 * in-flight batches finish and commit, the consumer leaves its group, resources close, exit 0.
 * A consumer that crashed for good fails /health and ends the process non-zero (FATAL_EXIT_CODE),
 * for its supervisor to start a fresh one, instead of idling with a port that still answers.
 */
export async function runWorker(options: WorkerOptions): Promise<void> {
  const { consumer, logger } = options;
  // No record or request before the tracer provider is in place (a malformed OTEL_* fails here).
  await tracingStarted;
  const consumerOnly = consumerHealth(consumer, options.stuckAfterMs ?? DEFAULT_STUCK_AFTER_MS, logger);
  const health: ConsumerHealth = {
    notLiveBecause: consumerOnly.notLiveBecause,
    notReadyBecause: async () => (await options.notReadyBecause?.()) ?? consumerOnly.notReadyBecause(),
  };
  const server: WorkerServer = options.serve
    ? await options.serve(health)
    : await startOpsServer({ ...options.ops, logger, registry: options.registry, notLiveBecause: health.notLiveBecause, notReadyBecause: health.notReadyBecause });
  let closing = false;
  const stopWatching = watchLiveness(health, (reason) => {
    if (closing) return;
    logger.fatal({ reason }, `liveness failed; exiting (code ${FATAL_EXIT_CODE}) so that a supervisor restarts the process`);
    process.exit(FATAL_EXIT_CODE);
  });
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    stopWatching();
    logger.info({ signal }, 'shutting down: finishing in-flight batches and committing');
    setTimeout(() => {
      logger.error('shutdown took too long; exiting without a clean leave');
      process.exit(1);
    }, options.shutdownTimeoutMs ?? 30_000).unref();
    try {
      await consumer.stop();
      // Before the resources: an API answers what is in flight while its pool is still open.
      await server.close();
      await options.closeResources();
      // The last records' spans, still in the batch, are exported before the exit.
      await stopTracing().catch((error: unknown) => logger.warn({ err: error }, 'could not export the last spans'));
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

/** Tracing as workerContext started it; runWorker waits for it before the process takes work. */
let tracingStarted: Promise<unknown> = Promise.resolve();

/** What every worker process starts from. */
export interface WorkerContext {
  config: StackConfig;
  logger: Logger;
  /** With Node's default metrics; the consumer's join them. */
  registry: Registry;
  serde: AvroSerde;
  /** The consumers' retry settings from the stack's (EVERGREEN_CONSUMER_RETRY_BUDGET_MS). */
  retry: Partial<RetryOptions>;
}

/**
 * Also makes an error nobody handled end the process (logged fatally, exit non-zero) rather than
 * leave a zombie, and starts tracing as `name` (docs/tracing.md); runWorker flushes it on shutdown.
 */
export function workerContext(name: string): WorkerContext {
  const config = loadStackConfig();
  const registry = processMetricsRegistry();
  const logger = createLogger(name, config.logLevel);
  exitOnFatalErrors(logger);
  tracingStarted = startTracing({ serviceName: name, logger });
  return { config, logger, registry, serde: AvroSerde.forRegistry(config.registry), retry: { unknownErrorBudgetMs: config.consumers.retryBudgetMs } };
}
