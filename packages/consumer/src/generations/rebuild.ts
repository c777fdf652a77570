import { logLevel, type Admin } from 'kafkajs';
import { catchUpProgress, committedOffsets, endOffsets } from '../catch-up.ts';
import { createKafka, pollUntil } from '@evergreen/platform';
import type { ProjectionConsumer } from '../consumer.ts';
import type { GenerationStore } from './store.ts';

/** What a rebuild needs to know about one projection. */
export interface RebuildTarget {
  store: GenerationStore;
  /** The projection's topics (not their retry or dead-letter topics). */
  topics: string[];
  brokers: string[];
  /** The consumer group of a generation (generation 1: the service's group as it always was). */
  groupId(generation: number): string;
  /**
   * The projection's consumer for one generation, exactly as the service builds it (same handlers,
   * same sink), in groupId(generation), starting from the beginning of the topics.
   */
  consumerFor(generation: number): ProjectionConsumer;
}

export interface RebuildOptions {
  /** Progress lines for the operator. */
  report(line: string): void;
  /** How long the running service gets to switch to the new generation (default 60 s). */
  switchTimeoutMs?: number;
  /** How often progress is reported while catching up (default 2 s). */
  progressIntervalMs?: number;
  /** How often offsets and group members are polled (default 250 ms). */
  pollIntervalMs?: number;
  /** Aborts the rebuild while it catches up (Ctrl-C); the new generation is dropped, nothing switched. */
  signal?: AbortSignal;
}

export interface RebuildResult {
  from: number;
  to: number;
  /** Records between the topics' start and the end offsets seen when the rebuild started. */
  records: number;
  seconds: number;
  /** Whether a service was consuming the old generation (and switched). */
  serviceSwitched: boolean;
}

/** The running service did not leave the old generation in time; the new one is active regardless. */
export class SwitchTimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SwitchTimeoutError';
  }
}

/** The member ids of a group; none for a group that does not exist (any more). */
export async function groupMembers(admin: Admin, groupId: string): Promise<string[]> {
  try {
    const { groups } = await admin.describeGroups([groupId]);
    return groups.find((group) => group.groupId === groupId)?.members.map((member) => member.memberId) ?? [];
  } catch (error) {
    if ((error as { type?: string }).type === 'GROUP_ID_NOT_FOUND') return [];
    throw error;
  }
}

/** Deletes a consumer group and its committed offsets; a group that does not exist is fine. */
export async function deleteGroup(admin: Admin, groupId: string): Promise<'deleted' | 'absent'> {
  try {
    await admin.deleteGroups([groupId]);
    return 'deleted';
  } catch (error) {
    const failures = (error as { groups?: Array<{ error?: { type?: string } }> }).groups ?? [];
    if (failures.length > 0 && failures.every((failure) => failure.error?.type === 'GROUP_ID_NOT_FOUND')) return 'absent';
    if (failures.some((failure) => failure.error?.type === 'NON_EMPTY_GROUP')) throw new Error(`consumer group ${groupId} still has members; it cannot be deleted`, { cause: error });
    throw error;
  }
}

function adminFor(target: RebuildTarget): Admin {
  return createKafka({ clientId: `${target.store.projection}-rebuild`, brokers: target.brokers, logLevel: logLevel.NOTHING }).admin();
}

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const count = (value: number) => value.toLocaleString('en-US');

/**
 * Rebuilds a projection blue-green, while the service keeps consuming and writes keep flowing:
 *
 * 1. takes the projection's rebuild lock and reads the active generation n;
 * 2. prepares generation n+1 (an empty namespace) and deletes what an interrupted rebuild left of
 *    its group, then notes the topics' end offsets;
 * 3. runs the projection's own consumer for n+1 in group n+1 from offset 0 until that group has
 *    committed up to those end offsets (progress lines), and keeps it running;
 * 4. flips the active generation to n+1 (readers switch now);
 * 5. waits — at most switchTimeoutMs — until the service left group n and joined group n+1, so
 *    that events keep being applied to n+1 with no gap; with no service running it goes on at once;
 * 6. stops its consumer (which commits what it applied), drops generation n's namespace and deletes group n.
 *
 * Before the flip, any failure drops n+1 again and leaves n active and untouched. After it, a
 * service that does not switch in time (SwitchTimeoutError) leaves n and its group in place for
 * dropGeneration once the service has been restarted.
 */
export async function rebuildProjection(target: RebuildTarget, options: RebuildOptions): Promise<RebuildResult> {
  const { store } = target;
  const { report } = options;
  const pollMs = options.pollIntervalMs ?? 250;
  const started = performance.now();
  const admin = adminFor(target);
  await admin.connect();
  let release: (() => Promise<void>) | undefined;
  try {
    release = await store.lock();
    const from = await store.readActive();
    const to = from + 1;
    const oldGroup = target.groupId(from);
    const newGroup = target.groupId(to);
    report(`${store.projection}: generation ${from} is active (${store.describe(from)}; group ${oldGroup})`);
    report(`preparing generation ${to}: ${store.describe(to)}; group ${newGroup}`);
    if ((await groupMembers(admin, newGroup)).length > 0) throw new Error(`consumer group ${newGroup} has members: is another rebuild running without the lock?`);
    await deleteGroup(admin, newGroup);
    await store.prepare(to);

    const ends = await endOffsets(admin, target.topics);
    const total = catchUpProgress(ends, new Map()).total;
    report(`consuming ${target.topics.join(', ')} from offset 0 up to the end offsets of now: ${count(total)} record(s) in ${ends.length} partition(s)`);

    const consumer = target.consumerFor(to);
    const ours = new Set<string>();
    let crash: unknown;
    consumer.consumer.on(consumer.consumer.events.GROUP_JOIN, ({ payload }) => ours.add(payload.memberId));
    consumer.consumer.on(consumer.consumer.events.CRASH, ({ payload }) => {
      if (!payload.restart) crash = payload.error;
    });

    let flipped = false;
    let serviceSwitched = false;
    try {
      await consumer.start();
      let lastReport = 0;
      for (;;) {
        if (crash !== undefined) throw new Error(`the rebuild's consumer crashed: ${(crash as Error).message}`, { cause: crash });
        if (options.signal?.aborted) throw new Error('rebuild aborted');
        const progress = catchUpProgress(ends, await committedOffsets(admin, newGroup, target.topics));
        if (progress.complete || performance.now() - lastReport >= (options.progressIntervalMs ?? 2_000)) {
          lastReport = performance.now();
          const percent = progress.total === 0 ? 100 : Math.floor((progress.done / progress.total) * 100);
          report(`generation ${to}: ${count(progress.done)}/${count(progress.total)} record(s) (${percent}%), ${progress.partitionsDone}/${progress.partitions} partition(s) at their end`);
        }
        if (progress.complete) break;
        await pause(pollMs);
      }

      const serviceMembers = await groupMembers(admin, oldGroup);
      await store.flip(from, to);
      flipped = true;
      report(`switched: generation ${to} is active; readers read it from now on`);
      if (serviceMembers.length === 0) {
        report(`no service is consuming group ${oldGroup}; nothing to wait for`);
      } else {
        report(`waiting for the service (${serviceMembers.length} member(s) of ${oldGroup}) to switch to ${newGroup}`);
        const timeoutMs = options.switchTimeoutMs ?? 60_000;
        await pollUntil(
          async () => {
            if ((await groupMembers(admin, oldGroup)).length > 0) return false;
            return (await groupMembers(admin, newGroup)).some((member) => !ours.has(member));
          },
          { description: `the service to leave ${oldGroup} and join ${newGroup}`, timeoutMs, intervalMs: pollMs },
        ).catch((error: unknown) => {
          throw new SwitchTimeoutError(
            `${(error as Error).message}. Generation ${to} is active, but a service did not follow: restart it ` +
              `(it reads the active generation at start), then drop generation ${from} with \`npm run rebuild -- ${store.projection} --drop ${from}\``,
          );
        });
        serviceSwitched = true;
        report(`the service switched to ${newGroup}`);
      }
    } catch (error) {
      await consumer.stop().catch(() => undefined);
      if (!flipped) {
        report(`failed before switching (${(error as Error).message}); dropping generation ${to}, generation ${from} stays active`);
        await store.drop(to).catch(() => undefined);
        await deleteGroup(admin, newGroup).catch(() => undefined);
      }
      throw error;
    }
    // The service's members in the group carry on from what this one commits now.
    await consumer.stop();
    report(`generation ${from}: ${await store.drop(from)}`);
    report(`consumer group ${oldGroup}: ${await deleteGroup(admin, oldGroup)}`);
    const seconds = (performance.now() - started) / 1000;
    report(`done in ${seconds.toFixed(1)} s: ${store.projection} is at generation ${to}`);
    return { from, to, records: total, seconds, serviceSwitched };
  } finally {
    await release?.().catch(() => undefined);
    await admin.disconnect();
  }
}

/**
 * Drops a generation that is not active (one a rebuild could not drop because a service did not
 * switch in time, or left by a rebuild that died) and deletes its consumer group. Refuses while
 * the group has members: something still consumes it.
 */
export async function dropGeneration(target: RebuildTarget, generation: number, report: (line: string) => void): Promise<void> {
  const { store } = target;
  const admin = adminFor(target);
  await admin.connect();
  let release: (() => Promise<void>) | undefined;
  try {
    release = await store.lock();
    const active = await store.readActive();
    if (generation === active) throw new Error(`generation ${generation} of ${store.projection} is active; only a rebuild replaces it`);
    const groupId = target.groupId(generation);
    const members = await groupMembers(admin, groupId);
    if (members.length > 0) throw new Error(`consumer group ${groupId} still has ${members.length} member(s): a service still consumes generation ${generation}; restart it first`);
    report(`generation ${generation}: ${await store.drop(generation)}`);
    report(`consumer group ${groupId}: ${await deleteGroup(admin, groupId)}`);
  } finally {
    await release?.().catch(() => undefined);
    await admin.disconnect();
  }
}

/** The active generation and its group's members, for `--status`. */
export async function generationStatus(target: RebuildTarget): Promise<{ active: number; where: string; groupId: string; members: number }> {
  const admin = adminFor(target);
  await admin.connect();
  try {
    const active = await target.store.readActive();
    const groupId = target.groupId(active);
    return { active, where: target.store.describe(active), groupId, members: (await groupMembers(admin, groupId)).length };
  } finally {
    await admin.disconnect();
  }
}
