import type { Admin } from 'kafkajs';
import { DeadlineExceededError, pollUntil } from '@evergreen/platform';
import { deadLetterTopic } from '../dead-letter.ts';
import { headersOf } from '../event.ts';
import { parkGroupOf, parkOffsetOf } from '../park.ts';
import { positionProblems, type PartitionRange } from './positions.ts';
import type { StoredDeadLetter } from './stored.ts';
import { RefusedError, type DlqClients } from './commands.ts';
import { readRanges } from './read.ts';

/** The record an operator parks, and the group that is stuck on it. */
export interface ParkRequest {
  group: string;
  topic: string;
  partition: number;
  offset: string;
}

export interface ParkOptions {
  /** How long the group has to move past the record before the park is withdrawn (default 30 s). */
  waitMs?: number;
  intervalMs?: number;
}

/** `committed`: the group's committed offset of the partition once the record was parked (it may not have moved yet if another record of the slice is being retried). */
export type ParkOutcome = { parked: true; committed: string } | { parked: false; reason: string };

type ParkAdmin = Pick<Admin, 'listTopics' | 'fetchTopicOffsets' | 'fetchOffsets' | 'describeGroups' | 'setOffsets'>;

/**
 * Whether the record was dead-lettered as parked by the group since the dead-letter topic ended at
 * `since` (its partitions' end offsets when the park was set). The command line and the console
 * read the dead-letter topic for it (readRanges).
 */
export type ParkedLetterCheck = (request: ParkRequest, since: ReadonlyArray<{ partition: number; offset: string }>) => Promise<boolean>;

/** The group's committed offset of a partition (-1: none yet). */
async function committedOffset(admin: ParkAdmin, group: string, topic: string, partition: number): Promise<bigint> {
  const [committed] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
  const entry = committed?.partitions.find((candidate) => candidate.partition === partition);
  return BigInt(entry?.offset ?? '-1');
}

/**
 * Moves aside the record a consumer group is stuck on (`npm run dlq -- park`, and the console's
 * park): it commits the offset after the record for the group's park group (parkGroupOf), which the
 * group's retrying member reads while it waits; that member dead-letters the record with reason
 * `parked` and moves on. Refused, with nothing changed, when the record does not exist, no member
 * of the group runs, or the group is already past the record. When the group has not moved past
 * the record within `waitMs` (it was not stuck on it), the park is withdrawn and refused: a park
 * only ever moves aside a record the group is retrying.
 */
export async function parkRecord(admin: ParkAdmin, parkedLetter: ParkedLetterCheck, request: ParkRequest, options: ParkOptions = {}): Promise<ParkOutcome> {
  const { group, topic, partition, offset } = request;
  const where = `${topic}:${partition}:${offset}`;
  if (!(await admin.listTopics()).includes(topic)) return { parked: false, reason: `topic ${topic} does not exist` };
  const offsets = (await admin.fetchTopicOffsets(topic)).map(({ partition: number, low, high }) => ({ partition: number, low, high }));
  const [problem] = positionProblems(topic, [{ partition, offset }], offsets);
  if (problem) return { parked: false, reason: problem };
  const { groups } = await admin.describeGroups([group]);
  const described = groups[0];
  if (!described || described.members.length === 0) return { parked: false, reason: `no member of group ${group} is running (${described?.state ?? 'unknown'}): nothing is retrying ${where}` };
  const before = await committedOffset(admin, group, topic, partition);
  if (before > BigInt(offset)) return { parked: false, reason: `group ${group} is already past ${where} (it has committed offset ${before})` };

  const dlqEnds = (await admin.fetchTopicOffsets(deadLetterTopic(topic))).map(({ partition: number, high }) => ({ partition: number, offset: high }));
  const parkGroup = parkGroupOf(group);
  await admin.setOffsets({ groupId: parkGroup, topic, partitions: [{ partition, offset: parkOffsetOf(offset) }] });
  // Done once the group committed past the record, or dead-lettered it as parked (the rest of its
  // slice may still be retrying another record).
  const done = async () => {
    const now = await committedOffset(admin, group, topic, partition);
    if (now > BigInt(offset)) return now;
    return (await parkedLetter(request, dlqEnds)) ? now : undefined;
  };
  try {
    const committed = await pollUntil(done, { description: `group ${group} to move past ${where}`, timeoutMs: options.waitMs ?? 30_000, intervalMs: options.intervalMs ?? 500 });
    return { parked: true, committed: committed.toString() };
  } catch (error) {
    // Withdrawn, so the park cannot later move aside a record nobody looked at: offset 0 parks nothing.
    await admin.setOffsets({ groupId: parkGroup, topic, partitions: [{ partition, offset: '0' }] });
    if (!(error instanceof DeadlineExceededError)) throw error;
    // It may have been taken between the last look and the withdrawal.
    const late = await done();
    if (late !== undefined) return { parked: true, committed: late.toString() };
    const now = await committedOffset(admin, group, topic, partition);
    return { parked: false, reason: `group ${group} did not move past ${where} within ${Math.round((options.waitMs ?? 30_000) / 1000)} s, so it is not retrying that record (its committed offset is ${now}); the park was withdrawn` };
  }
}

/** The ParkedLetterCheck that reads the dead-letter topic from `since` to its end. */
export function parkedLetterIn(read: (topic: string, ranges: PartitionRange[], onLetter: (letter: StoredDeadLetter) => void) => Promise<void>, fetchEnds: (topic: string) => Promise<Array<{ partition: number; high: string }>>): ParkedLetterCheck {
  return async (request, since) => {
    const topic = deadLetterTopic(request.topic);
    const ends = await fetchEnds(topic);
    const ranges = since.map(({ partition, offset }) => ({ partition, from: offset, to: ends.find((end) => end.partition === partition)?.high ?? offset }));
    let found = false;
    await read(topic, ranges, (letter) => {
      const headers = headersOf(letter.message.headers);
      found ||=
        headers['dlq.reason'] === 'parked' &&
        headers['dlq.group'] === request.group &&
        headers['dlq.topic'] === request.topic &&
        headers['dlq.partition'] === String(request.partition) &&
        headers['dlq.offset'] === request.offset;
    });
    return found;
  };
}

/**
 * parkRecord through the dead-letter tools' clients (`npm run dlq -- park` and the console's Park):
 * the parked dead letter is looked for by reading the dead-letter topic with them. A refusal is a
 * RefusedError, so both say it the same way (exit 3, HTTP 409).
 */
export async function parkWith(clients: DlqClients, request: ParkRequest, options: ParkOptions = {}): Promise<{ committed: string }> {
  const parkedLetter = parkedLetterIn(
    (topic, ranges, onLetter) => readRanges(clients.kafka, clients.admin, topic, ranges, onLetter, { timeoutMs: clients.timeoutMs }),
    (topic) => clients.admin.fetchTopicOffsets(topic),
  );
  const outcome = await parkRecord(clients.admin, parkedLetter, request, { intervalMs: 1_000, ...options });
  if (!outcome.parked) throw new RefusedError(`nothing parked: ${outcome.reason}`);
  return { committed: outcome.committed };
}
