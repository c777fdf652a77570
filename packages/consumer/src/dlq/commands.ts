import { EvergreenError } from '@evergreen/errors';
import type { Admin, Kafka, Producer, ProducerRecord } from 'kafkajs';
import { retryTopic } from '../dead-letter.ts';
import { DEFAULT_TOMBSTONE_TTL_SECONDS } from '../sinks/redis-versioned.ts';
import { describeRetention } from '../topic-configs.ts';
import { listing, type Listing } from './describe.ts';
import { positionProblems, rangesCovering, wholePartitions, type PartitionOffsets } from './positions.ts';
import { readRanges } from './read.ts';
import { maxReplayAgeMs, NotReplayableError, replayAgeProblem, replayGroupOf, replayRecord } from './replay-record.ts';
import { comparePositions, formatPosition, positionOf, type DlqPosition, type StoredDeadLetter } from './stored.ts';

export interface DlqClients {
  kafka: Kafka;
  admin: Admin;
  /** Built with the Java-compatible partitioner (Partitioners.DefaultPartitioner), see replayDeadLetters. */
  producer: Producer;
  timeoutMs: number;
}

/** What a command refuses to do, said so that the operator can act on it; nothing was changed (exit code 3). */
export class RefusedError extends EvergreenError {
  constructor(message: string) {
    super('CONFLICT', message);
    this.name = 'RefusedError';
  }
}

async function offsetsOf(admin: Admin, topic: string): Promise<PartitionOffsets[]> {
  // Asked first, so an unknown topic is said plainly instead of as a broker error code.
  if (!(await admin.listTopics()).includes(topic)) throw new RefusedError(`topic ${topic} does not exist`);
  return (await admin.fetchTopicOffsets(topic)).map(({ partition, low, high }) => ({ partition, low, high }));
}

/** Every dead letter on the topic up to its current end, described one per line; with `limit`, only the newest that many. */
export async function listDeadLetters(clients: DlqClients, topic: string, limit?: number): Promise<Listing> {
  return listing(await readDeadLetters(clients, topic), limit);
}

/** Every aggregate's dead-letter topic of a topic prefix (`<prefix>.<aggregate>.dlq`), as the broker has them, sorted. */
export async function deadLetterTopicsOf(admin: Admin, prefix: string): Promise<string[]> {
  return (await admin.listTopics()).filter((topic) => topic.startsWith(`${prefix}.`) && topic.endsWith('.dlq')).sort();
}

/** Every dead letter on the topic up to its current end, as stored, in the order read (partition by partition). */
export async function readDeadLetters(clients: DlqClients, topic: string): Promise<StoredDeadLetter[]> {
  const offsets = await offsetsOf(clients.admin, topic);
  const letters: StoredDeadLetter[] = [];
  await readRanges(clients.kafka, clients.admin, topic, wholePartitions(offsets), (letter) => letters.push(letter), { timeoutMs: clients.timeoutMs });
  return letters;
}

export interface ReplayOptions {
  /** The group to replay to, for dead letters without a dlq.group header (the operator's --group). */
  group?: string;
  /** Replays dead letters older than maxReplayAgeMs too (the operator's --allow-old). */
  allowOld?: boolean;
  /** The deletion-marker TTL the age check assumes; RedisVersionedSink's default. */
  deletionMarkerTtlSeconds?: number;
  nowMs?: number;
}

interface PlannedReplay {
  letter: StoredDeadLetter;
  record: ProducerRecord;
  group: string;
}

/** Every dead letter's replay record, all built before anything is sent: one that cannot be replayed refuses them all. */
function replayRecordsOf(letters: readonly StoredDeadLetter[], options: ReplayOptions, maxAgeMs: number): PlannedReplay[] {
  let planned: PlannedReplay[];
  try {
    planned = letters.map((letter) => ({ letter, record: replayRecord(letter, { group: options.group }), group: replayGroupOf(letter, options.group) }));
  } catch (error) {
    if (error instanceof NotReplayableError) throw new RefusedError(`nothing replayed: ${error.message}`);
    throw error;
  }
  if (!options.allowOld) {
    const nowMs = options.nowMs ?? Date.now();
    const tooOld = letters.flatMap((letter) => replayAgeProblem(letter, nowMs, maxAgeMs) ?? []);
    if (tooOld.length > 0) throw new RefusedError(`nothing replayed:\n  ${tooOld.join('\n  ')}`);
  }
  return planned;
}

export interface Replayed {
  from: DlqPosition;
  topic: string;
  partition: number;
  offset: string;
  /** The group it was handed back to. */
  group: string;
}

/**
 * Hands the dead letters at `positions` back to the groups that refused them, through the retry
 * topic of their original topic (see replayRecord), one at a time in dead-letter order so one
 * key's records keep their order. The original topic is never written. Every position is checked,
 * every record read and every replay record built before anything is sent: an unknown position, a
 * dead letter for no known group (without dlq.group and --group) or one too old to replay safely
 * (see replayAgeProblem; --allow-old) refuses the whole command.
 *
 * The producer must use the Java-compatible partitioner, as the relay's (Java) producer does, so
 * one key's replays share a partition of the retry topic, in order.
 */
export async function replayDeadLetters(clients: DlqClients, topic: string, positions: readonly DlqPosition[], options: ReplayOptions = {}): Promise<Replayed[]> {
  if (!topic.endsWith('.dlq')) throw new RefusedError(`nothing replayed: ${topic} is not a dead-letter topic (<topic>.dlq)`);
  const retry = retryTopic(topic.slice(0, -'.dlq'.length));
  const problems = positionProblems(topic, positions, await offsetsOf(clients.admin, topic));
  if (problems.length > 0) throw new RefusedError(`nothing replayed:\n  ${problems.join('\n  ')}`);
  if (!(await clients.admin.listTopics()).includes(retry)) {
    throw new RefusedError(`nothing replayed: the retry topic ${retry} does not exist; \`npm run connect:apply\` creates it (connect-config/topics.json)`);
  }
  const [retryRetention] = await describeRetention(clients.admin, [retry]);
  const maxAgeMs = maxReplayAgeMs(options.deletionMarkerTtlSeconds ?? DEFAULT_TOMBSTONE_TTL_SECONDS, retryRetention?.retentionMs);

  const wanted = new Set(positions.map(formatPosition));
  const found = new Map<string, StoredDeadLetter>();
  await readRanges(clients.kafka, clients.admin, topic, rangesCovering(positions), (letter) => {
    const position = formatPosition(positionOf(letter));
    if (wanted.has(position)) found.set(position, letter);
  }, { timeoutMs: clients.timeoutMs });
  const missing = [...wanted].filter((position) => !found.has(position));
  // Within the partition's offsets and still absent: a transaction marker or a compacted-away record.
  if (missing.length > 0) throw new RefusedError(`nothing replayed: no record at ${missing.map((position) => `${topic} ${position}`).join(', ')}`);

  const letters = [...found.values()].sort((a, b) => comparePositions(positionOf(a), positionOf(b)));
  const replayed: Replayed[] = [];
  for (const { letter, record, group } of replayRecordsOf(letters, options, maxAgeMs)) {
    const [metadata] = await clients.producer.send(record);
    if (!metadata) throw new Error(`the broker acknowledged no partition for the replay of ${formatPosition(positionOf(letter))}`);
    replayed.push({ from: positionOf(letter), topic: metadata.topicName, partition: metadata.partition, offset: metadata.baseOffset ?? '?', group });
  }
  return replayed;
}
