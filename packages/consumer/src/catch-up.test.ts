import type { Admin } from 'kafkajs';
import { createLogger, pollUntil } from '@evergreen/platform';
import { describe, expect, it } from 'vitest';
import { watchCatchUp } from './catch-up.ts';

/** An admin whose topic ends where `ends` says and whose group has committed what `committed` holds (mutable). */
function fakeAdmin(ends: Record<number, string>, committed: Map<number, string>) {
  return {
    fetchTopicOffsets: async () => Object.entries(ends).map(([partition, high]) => ({ partition: Number(partition), low: '0', high, offset: high })),
    fetchOffsets: async ({ topics }: { topics: string[] }) =>
      topics.map((topic) => ({ topic, partitions: Object.keys(ends).map((partition) => ({ partition: Number(partition), offset: committed.get(Number(partition)) ?? '-1' })) })),
  } as unknown as Admin;
}

describe('watchCatchUp', () => {
  it('is caught up only once the group committed up to the end offsets noted at start, and stays so', async () => {
    const committed = new Map<number, string>();
    const ends = { 0: '10', 1: '0', 2: '5' };
    const watch = await watchCatchUp({ admin: fakeAdmin(ends, committed), groupId: 'g', topics: ['t'], logger: createLogger('test', 'silent'), what: 'replica', intervalMs: 5 });
    try {
      expect(watch.caughtUp()).toBe(false);
      expect(watch.progress()).toMatchObject({ done: 0, total: 15, partitionsDone: 1, partitions: 3 });

      committed.set(0, '10');
      committed.set(2, '4');
      await pollUntil(() => watch.progress()?.done === 14 || undefined, { description: 'progress to be measured again', timeoutMs: 2_000, intervalMs: 5 });
      expect(watch.caughtUp()).toBe(false);

      // Records written after the start are not waited for: the end offsets are those of the start.
      ends[2] = '50';
      committed.set(2, '5');
      await pollUntil(() => watch.caughtUp() || undefined, { description: 'the watch to see the group caught up', timeoutMs: 2_000, intervalMs: 5 });
      expect(watch.progress()).toMatchObject({ done: 15, total: 15, partitionsDone: 3 });
    } finally {
      watch.stop();
    }
  });
});
