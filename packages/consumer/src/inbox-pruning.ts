import { logLevel } from 'kafkajs';
import type pg from 'pg';
import type { Registry } from 'prom-client';
import { deadLetterTopic, retryTopic } from '@evergreen/event-catalog';
import { createKafka, startRetentionJob, type Logger, type PeriodicJob, type DrainResult } from '@evergreen/platform';
import { kafkaLogCreator } from './kafka-logging.ts';
import { inboxWindow, type InboxWindow, type TopicRetention } from './retention.ts';
import { pruneInbox } from './sinks/postgres-inbox.ts';
import { describeRetention } from './topic-configs.ts';

/** The inbox window of a projection reading these topics: the longest of theirs; undefined when one of them forbids pruning. */
export function inboxWindowOf(topics: readonly string[], retentions: readonly TopicRetention[]): InboxWindow | undefined {
  let longest: InboxWindow | undefined;
  for (const topic of topics) {
    const deadLetter = retentions.find((retention) => retention.topic === deadLetterTopic(topic));
    const retry = retentions.find((retention) => retention.topic === retryTopic(topic));
    if (!deadLetter || !retry) throw new Error(`no retention settings read for ${deadLetterTopic(topic)} and ${retryTopic(topic)}`);
    const window = inboxWindow(deadLetter, retry);
    if (!window) return undefined;
    if (!longest || window.ms > longest.ms) longest = window;
  }
  return longest;
}

export interface InboxPruningOptions {
  pool: pg.Pool;
  /** The inbox name to prune now: a projection with generations names its active one. */
  inboxName(): string | Promise<string>;
  /** The aggregate topics the projection reads; the window comes from their dead-letter and retry topics. */
  topics: readonly string[];
  brokers: string[];
  registry: Registry;
  logger: Logger;
  /** How often (default 10 minutes; the first run one interval after the start). */
  intervalMs?: number;
  /** Rows per statement (default 5,000). */
  batchSize?: number;
  /** The window, instead of reading it from the topics (tests). */
  windowMs?: number;
}

const DEFAULT_INTERVAL_MS = 10 * 60_000;

/**
 * What a service with a PostgresInboxSink runs beside its consumer: every interval, the inbox rows
 * older than the window are deleted in batches and folded into their keys' fences (pruneInbox),
 * counted in evergreen_retention_deleted_rows_total{table="consumer_inbox"}. The window is read
 * from the topics' settings at the first run that can reach Kafka, and logged; when a topic keeps
 * dead letters or replays forever, nothing is pruned, and that is logged too.
 */
export function startInboxPruning(options: InboxPruningOptions): PeriodicJob<DrainResult> {
  const { logger } = options;
  let window: InboxWindow | null | undefined = options.windowMs === undefined ? undefined : { ms: options.windowMs, basis: 'given' };

  async function readWindow(): Promise<InboxWindow | null> {
    const admin = createKafka({ clientId: 'inbox-pruning', brokers: options.brokers, logLevel: logLevel.WARN, logCreator: kafkaLogCreator(logger) }).admin();
    await admin.connect();
    try {
      const names = options.topics.flatMap((topic) => [deadLetterTopic(topic), retryTopic(topic)]);
      const found = inboxWindowOf(options.topics, await describeRetention(admin, names)) ?? null;
      if (found) logger.info({ windowMs: found.ms, basis: found.basis }, 'inbox rows are pruned once older than this window');
      else logger.warn({ topics: names }, 'a dead-letter or retry topic keeps records forever: the inbox is not pruned');
      return found;
    } finally {
      await admin.disconnect();
    }
  }

  return startRetentionJob({
    table: 'consumer_inbox',
    intervalMs: options.intervalMs ?? DEFAULT_INTERVAL_MS,
    batchSize: options.batchSize,
    registry: options.registry,
    logger,
    deleteBatch: async (limit) => {
      window ??= await readWindow();
      if (window === null) return 0;
      return pruneInbox(options.pool, await options.inboxName(), window.ms, limit);
    },
  });
}
