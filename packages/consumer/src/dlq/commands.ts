import type { Admin, Kafka, Producer, ProducerRecord } from 'kafkajs';
import { listing, type Listing } from './describe.ts';
import { positionProblems, rangesCovering, wholePartitions, type PartitionOffsets } from './positions.ts';
import { readRanges } from './read.ts';
import { NotReplayableError, replayRecord } from './replay-record.ts';
import { comparePositions, formatPosition, positionOf, type DlqPosition, type StoredDeadLetter } from './stored.ts';

export interface DlqClients {
  kafka: Kafka;
  admin: Admin;
  /** Built with the Java-compatible partitioner (Partitioners.DefaultPartitioner), see replayDeadLetters. */
  producer: Producer;
  timeoutMs: number;
}

/** What a command refuses to do, said so that the operator can act on it; nothing was changed. */
export class RefusedError extends Error {
  constructor(message: string) {
    super(message);
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
  const offsets = await offsetsOf(clients.admin, topic);
  const letters: StoredDeadLetter[] = [];
  await readRanges(clients.kafka, clients.admin, topic, wholePartitions(offsets), (letter) => letters.push(letter), { timeoutMs: clients.timeoutMs });
  return listing(letters, limit);
}

/** Every dead letter's replay record, all built before anything is sent: one that cannot be replayed refuses them all. */
function replayRecordsOf(letters: readonly StoredDeadLetter[]): Array<{ letter: StoredDeadLetter; record: ProducerRecord }> {
  try {
    return letters.map((letter) => ({ letter, record: replayRecord(letter) }));
  } catch (error) {
    if (error instanceof NotReplayableError) throw new RefusedError(`nothing replayed: ${error.message}`);
    throw error;
  }
}

export interface Replayed {
  from: DlqPosition;
  topic: string;
  partition: number;
  offset: string;
}

/**
 * Re-publishes the dead letters at `positions` to their original topics (see replayRecord), one at
 * a time in dead-letter order so one key's records keep their order. Every position is checked and
 * every record read before anything is sent: an unknown position refuses the whole command.
 *
 * The producer must use the Java-compatible partitioner: the relay's (Java) producer placed the
 * original by the murmur2 hash of its key, and so does it, so the record goes back to the
 * partition that holds the rest of its aggregate's events, behind them.
 */
export async function replayDeadLetters(clients: DlqClients, topic: string, positions: readonly DlqPosition[]): Promise<Replayed[]> {
  const problems = positionProblems(topic, positions, await offsetsOf(clients.admin, topic));
  if (problems.length > 0) throw new RefusedError(`nothing replayed:\n  ${problems.join('\n  ')}`);

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
  for (const { letter, record } of replayRecordsOf(letters)) {
    const [metadata] = await clients.producer.send(record);
    if (!metadata) throw new Error(`the broker acknowledged no partition for the replay of ${formatPosition(positionOf(letter))}`);
    replayed.push({ from: positionOf(letter), topic: metadata.topicName, partition: metadata.partition, offset: metadata.baseOffset ?? '?' });
  }
  return replayed;
}
