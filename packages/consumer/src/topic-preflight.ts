import type { Admin } from 'kafkajs';
import { mainTopicOf } from './dead-letter.ts';
import { deletionMarkerProblem, lagAgeLimit, type LagAgeLimit } from './retention.ts';
import { describeRetention } from './topic-configs.ts';

/** Start refused: a topic is missing, or its settings break a guarantee the consumer relies on. */
export class TopicSetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TopicSetupError';
  }
}

export interface TopicPreflightOptions {
  /** Every topic the consumer subscribes to: its aggregates' topics and their retry topics. */
  topics: readonly string[];
  /** How long the sink remembers a deletion, when it forgets at all (see ConsumerOptions.deletionMarkerTtlSeconds). */
  deletionMarkerTtlSeconds: number | undefined;
  /** A lag-age limit for every topic instead of one derived from its settings. */
  maxLagAgeMs: number | undefined;
}

/**
 * Before joining: every topic and retry topic exists (kafkajs fails on a missing one, and never
 * looks again), and the sink's deletion marker outlives the tombstones of each compacted topic.
 * Answers each topic's lag-age limit, from its settings. Throws TopicSetupError naming what is wrong.
 */
export async function checkTopics(admin: Pick<Admin, 'listTopics' | 'describeConfigs'>, options: TopicPreflightOptions): Promise<Map<string, LagAgeLimit>> {
  const existing = new Set(await admin.listTopics());
  const missing = options.topics.filter((topic) => !existing.has(topic));
  if (missing.length > 0) {
    throw new TopicSetupError(`topic(s) ${missing.join(', ')} do not exist; \`npm run connect:apply\` creates the topics of connect-config/topics.json (each aggregate topic with its .retry and .dlq)`);
  }
  const retentions = await describeRetention(admin, options.topics);
  const problems: string[] = [];
  const limits = new Map<string, LagAgeLimit>();
  for (const retention of retentions) {
    const limit = lagAgeLimit(retention, options.maxLagAgeMs);
    if (limit) limits.set(retention.topic, limit);
    if (options.deletionMarkerTtlSeconds !== undefined && mainTopicOf(retention.topic) === retention.topic) {
      const problem = deletionMarkerProblem(retention, options.deletionMarkerTtlSeconds);
      if (problem) problems.push(problem);
    }
  }
  if (problems.length > 0) throw new TopicSetupError(problems.join('; '));
  return limits;
}
