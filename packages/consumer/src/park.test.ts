import type { Admin } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { ParkWatch, parkGroupOf, parkOffsetOf } from './park.ts';

/** An admin whose park group holds `offsets` (partition → committed offset), counting the reads. */
function adminWith(offsets: Record<number, string>) {
  const reads: Array<{ groupId: string; topics?: string[] }> = [];
  const admin: Pick<Admin, 'fetchOffsets'> = {
    fetchOffsets: (async (request: { groupId: string; topics?: string[] }) => {
      reads.push(request);
      return [{ topic: 'evergreen.user', partitions: Object.entries(offsets).map(([partition, offset]) => ({ partition: Number(partition), offset, metadata: null })) }];
    }) as unknown as Admin['fetchOffsets'],
  };
  return { admin, reads, offsets };
}

describe('ParkWatch', () => {
  it("says a record is parked when the park group's offset is just past it, for that partition only", async () => {
    const { admin, reads } = adminWith({ 4: parkOffsetOf('17') });
    const watch = new ParkWatch('evergreen-cache-populator', async () => admin);

    expect(await watch.isParked('evergreen.user', 4, '17')).toBe(true);
    expect(await watch.isParked('evergreen.user', 4, '16')).toBe(false);
    expect(await watch.isParked('evergreen.user', 5, '17')).toBe(false);
    expect(reads[0]).toEqual({ groupId: 'evergreen-cache-populator.park', topics: ['evergreen.user'] });
  });

  it('asks Kafka at most once per poll interval while a record waits, and sees a park made meanwhile', async () => {
    let now = 0;
    const state = adminWith({});
    const watch = new ParkWatch('g', async () => state.admin, () => now, 2_000);

    expect(await watch.isParked('evergreen.user', 4, '17')).toBe(false);
    state.offsets[4] = '18';
    now = 1_000;
    expect(await watch.isParked('evergreen.user', 4, '17')).toBe(false);
    now = 2_000;
    expect(await watch.isParked('evergreen.user', 4, '17')).toBe(true);
    expect(state.reads).toHaveLength(2);
  });

  it('names the park group after the consumer group, and parks with the offset after the record', () => {
    expect(parkGroupOf('evergreen-activity-log.g2')).toBe('evergreen-activity-log.g2.park');
    expect(parkOffsetOf('99999999999999')).toBe('100000000000000');
  });
});
