import { loadStackEnv } from '@evergreen/platform';

// What a topic's cleanup settings promise a consumer, and the checks the framework makes of them at
// start: a deletion marker must outlive the tombstones, and a consumer must not fall further behind
// than the topic keeps what it has not read yet. Pure functions; the consumer reads the settings
// with admin.describeConfigs.

/** The topic settings these checks read (the effective values, broker defaults included). */
export const RETENTION_CONFIG_NAMES = ['cleanup.policy', 'min.compaction.lag.ms', 'delete.retention.ms', 'retention.ms', 'segment.ms'] as const;

export interface TopicRetention {
  topic: string;
  /** cleanup.policy: compact, delete, or both. */
  compacted: boolean;
  deleting: boolean;
  /** Compaction leaves a record alone for at least this long (compacted topics). */
  minCompactionLagMs: number | undefined;
  /** A tombstone stays readable for this long once its segment was compacted (compacted topics). */
  deleteRetentionMs: number | undefined;
  /** Records are deleted after this long (delete policy); undefined for -1, forever. */
  retentionMs: number | undefined;
  /**
   * A segment is rolled after this long, and only whole closed segments are deleted: a record can
   * outlive retention.ms by up to this much.
   */
  segmentMs?: number | undefined;
}

function millis(value: string | undefined): number | undefined {
  if (value === undefined || !/^-?\d+$/.test(value.trim())) return undefined;
  const ms = Number(value);
  return ms < 0 ? undefined : ms;
}

/** Reads the settings from describeConfigs' entries of one topic. */
export function topicRetentionOf(topic: string, entries: ReadonlyArray<{ configName: string; configValue: string | null }>): TopicRetention {
  const value = (name: string) => entries.find((entry) => entry.configName === name)?.configValue ?? undefined;
  const policies = (value('cleanup.policy') ?? 'delete').split(',').map((policy) => policy.trim());
  return {
    topic,
    compacted: policies.includes('compact'),
    deleting: policies.includes('delete'),
    minCompactionLagMs: millis(value('min.compaction.lag.ms')),
    deleteRetentionMs: millis(value('delete.retention.ms')),
    retentionMs: millis(value('retention.ms')),
    segmentMs: millis(value('segment.ms')),
  };
}

/**
 * Why a sink that remembers a deletion for `ttlSeconds` (RedisVersionedSink's deletion marker)
 * cannot rely on this topic, or undefined when it can. On a compacted topic, a deletion's
 * tombstone stays readable for delete.retention.ms after compaction removed the older records of
 * its key; the marker must outlive that, or a consumer that reads an older event after the marker
 * expired (a late group, a replay) writes the deleted entry back.
 */
export function deletionMarkerProblem(retention: TopicRetention, ttlSeconds: number): string | undefined {
  if (!retention.compacted || retention.deleteRetentionMs === undefined) return undefined;
  const ttlMs = ttlSeconds * 1000;
  if (ttlMs > retention.deleteRetentionMs) return undefined;
  return (
    `the deletion marker TTL (${ttlSeconds} s) does not outlive ${retention.topic}'s delete.retention.ms (${retention.deleteRetentionMs} ms = ${retention.deleteRetentionMs / 1000} s): ` +
    'a deleted entry could be written back by an older event read after its marker expired. Lower delete.retention.ms or raise the TTL.'
  );
}

/** The share of what a topic keeps that a consumer may fall behind before it is reported. */
export const LAG_AGE_SHARE = 0.8;

export interface LagAgeLimit {
  ms: number;
  /** Where the limit comes from, for the /ready reason. */
  basis: string;
}

/**
 * How old the oldest unread record of a partition of this topic may get before the consumer is
 * behind what the topic guarantees: 80% of the shortest of min.compaction.lag.ms (past it, a
 * compacted topic may drop the intermediate events not read yet), delete.retention.ms (past it,
 * a tombstone not read yet may be gone) and retention.ms (past it, unread records are deleted).
 * A setting of 0 promises nothing and sets no limit. `overrideMs` (EVERGREEN_CONSUMER_MAX_LAG_AGE_MS)
 * wins; undefined: no limit.
 */
export function lagAgeLimit(retention: TopicRetention, overrideMs?: number): LagAgeLimit | undefined {
  if (overrideMs !== undefined) return { ms: overrideMs, basis: 'EVERGREEN_CONSUMER_MAX_LAG_AGE_MS' };
  const candidates: Array<[string, number | undefined]> = [
    ['min.compaction.lag.ms', retention.compacted ? retention.minCompactionLagMs : undefined],
    ['delete.retention.ms', retention.compacted ? retention.deleteRetentionMs : undefined],
    ['retention.ms', retention.deleting ? retention.retentionMs : undefined],
  ];
  let shortest: [string, number] | undefined;
  for (const [name, ms] of candidates) {
    if (ms !== undefined && ms > 0 && (shortest === undefined || ms < shortest[1])) shortest = [name, ms];
  }
  if (!shortest) return undefined;
  const [name, ms] = shortest;
  return { ms: Math.floor(ms * LAG_AGE_SHARE), basis: `${LAG_AGE_SHARE * 100}% of ${retention.topic}'s ${name} ${ms}` };
}

export const MAX_LAG_AGE_VARIABLE = 'EVERGREEN_CONSUMER_MAX_LAG_AGE_MS';

/** The stack's settings (infra/stack.env under the environment), or the environment alone outside a checkout. */
function stackEnvironment(): NodeJS.ProcessEnv {
  try {
    return loadStackEnv();
  } catch {
    return process.env;
  }
}

/** EVERGREEN_CONSUMER_MAX_LAG_AGE_MS: a positive number of milliseconds, or unset. Throws for anything else. */
export function maxLagAgeOverride(environment: NodeJS.ProcessEnv = stackEnvironment()): number | undefined {
  const raw = environment[MAX_LAG_AGE_VARIABLE]?.trim();
  if (raw === undefined || raw === '') return undefined;
  if (!/^\d{1,15}$/.test(raw) || Number(raw) === 0) throw new Error(`${MAX_LAG_AGE_VARIABLE} must be a positive whole number of milliseconds, got "${raw}"`);
  return Number(raw);
}

/** How long a topic that deletes by time may still hand out a record: retention.ms plus a segment's age; undefined: forever. */
function longestKeptMs(retention: TopicRetention): number | undefined {
  if (!retention.deleting || retention.retentionMs === undefined) return undefined;
  return retention.retentionMs + (retention.segmentMs ?? 0);
}

export interface InboxWindow {
  ms: number;
  /** Where it comes from, for the logs. */
  basis: string;
}

/**
 * How long an inbox row must be kept before pruneInbox may fold it into its key's fence, for a
 * projection reading a topic whose dead letters are `deadLetter` and replays `retry`. Past its
 * fence, an event of the key is taken as applied, which is true of everything the topic itself
 * can deliver again (one key's events come in version order), but not of a dead letter: it was
 * never applied, and its replay comes later than newer events of its key. A dead letter can be
 * read for the dead-letter topic's retention (plus a segment), and its replay for the retry
 * topic's: keeping the row that long, a replay is always judged by the ids, not the fence.
 * Undefined when either keeps records forever: nothing may be pruned.
 */
export function inboxWindow(deadLetter: TopicRetention, retry: TopicRetention): InboxWindow | undefined {
  const deadLetterMs = longestKeptMs(deadLetter);
  const retryMs = longestKeptMs(retry);
  if (deadLetterMs === undefined || retryMs === undefined) return undefined;
  const days = (ms: number) => `${+(ms / 86_400_000).toFixed(2)} d`;
  return {
    ms: deadLetterMs + retryMs,
    basis: `${deadLetter.topic} keeps records up to ${days(deadLetterMs)} (retention.ms + segment.ms), ${retry.topic} up to ${days(retryMs)}`,
  };
}
