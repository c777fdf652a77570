import type { Admin } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { parkRecord } from './park-record.ts';

type ParkAdmin = Parameters<typeof parkRecord>[0];

/**
 * A broker with one topic of partitions 0 to 5 holding offsets 10 to 99, and a group that runs
 * `members` members and has committed `committed` on partition 4. When `movesOnWhenParked`, the
 * group's member dead-letters the parked record and commits past it, as a stuck member does.
 */
function brokerWith(options: { members?: number; committed?: string; movesOnWhenParked?: boolean }) {
  const parkOffsets = new Map<string, string>();
  let committed = options.committed ?? '17';
  const admin = {
    listTopics: async () => ['evergreen.user'],
    fetchTopicOffsets: async () => Array.from({ length: 6 }, (_, partition) => ({ partition, offset: '99', low: '10', high: '99' })),
    describeGroups: async () => ({ groups: [{ groupId: 'g', state: options.members === 0 ? 'Empty' : 'Stable', members: Array.from({ length: options.members ?? 1 }, () => ({})) }] }),
    fetchOffsets: async ({ groupId }: { groupId: string }) => {
      if (groupId === 'g.park') return [{ topic: 'evergreen.user', partitions: [...parkOffsets].map(([partition, offset]) => ({ partition: Number(partition), offset })) }];
      if (options.movesOnWhenParked && parkOffsets.get('4') === '18') committed = '19';
      return [{ topic: 'evergreen.user', partitions: [{ partition: 4, offset: committed }] }];
    },
    setOffsets: async ({ groupId, partitions }: { groupId: string; partitions: Array<{ partition: number; offset: string }> }) => {
      expect(groupId).toBe('g.park');
      for (const { partition, offset } of partitions) parkOffsets.set(String(partition), offset);
    },
  } as unknown as ParkAdmin;
  return { admin, parkOffsets };
}

const request = { group: 'g', topic: 'evergreen.user', partition: 4, offset: '17' };
/** No parked dead letter is ever found: only the committed offset tells. */
const noLetter = async () => false;
const quick = { waitMs: 300, intervalMs: 10 };

describe('parkRecord', () => {
  it('parks the record the group is stuck on, and answers once the group moved past it', async () => {
    const { admin, parkOffsets } = brokerWith({ movesOnWhenParked: true });

    expect(await parkRecord(admin, noLetter, request, quick)).toEqual({ parked: true, committed: '19' });
    expect(parkOffsets.get('4')).toBe('18');
  });

  it('answers parked once the dead letter is written, though the group has not committed past it yet (another record of its slice is retried)', async () => {
    const { admin } = brokerWith({ movesOnWhenParked: false });
    const seen: Array<ReadonlyArray<{ partition: number; offset: string }>> = [];

    const outcome = await parkRecord(admin, async (_request, since) => (seen.push(since), seen.length >= 2), request, quick);

    expect(outcome).toEqual({ parked: true, committed: '17' });
    // Looked for from where the dead-letter topic ended when the park was set.
    expect(seen[0]).toEqual(Array.from({ length: 6 }, (_, partition) => ({ partition, offset: '99' })));
  });

  it('withdraws the park and refuses when the group does not move past the record: it was not stuck on it', async () => {
    const { admin, parkOffsets } = brokerWith({ movesOnWhenParked: false });

    const outcome = await parkRecord(admin, noLetter, request, quick);

    expect(outcome).toMatchObject({ parked: false, reason: expect.stringContaining('did not move past evergreen.user:4:17') });
    expect(parkOffsets.get('4')).toBe('0');
  });

  it.each<[string, Parameters<typeof brokerWith>[0], Partial<typeof request>, RegExp]>([
    ['a topic that does not exist', {}, { topic: 'evergreen.parcel' }, /topic evergreen\.parcel does not exist/],
    ['a partition the topic lacks', {}, { partition: 9 }, /has no partition 9/],
    ['an offset past the end', {}, { offset: '99' }, /past the end of the partition/],
    ['an offset no longer kept', {}, { offset: '3' }, /no longer kept/],
    ['a group with no member running', { members: 0 }, {}, /no member of group g is running \(Empty\)/],
    ['a group already past the record', { committed: '18' }, {}, /already past evergreen\.user:4:17 \(it has committed offset 18\)/],
  ])('refuses %s, changing nothing', async (_case, broker, change, reason) => {
    const { admin, parkOffsets } = brokerWith(broker);

    const outcome = await parkRecord(admin, noLetter, { ...request, ...change }, quick);

    expect(outcome.parked).toBe(false);
    if (!outcome.parked) expect(outcome.reason).toMatch(reason);
    expect(parkOffsets.size).toBe(0);
  });
});
