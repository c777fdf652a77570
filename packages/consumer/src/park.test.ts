import { describe, expect, it } from 'vitest';
import { ParkRequests } from './park.ts';
import type { StuckPartition } from './stuck.ts';

const stuckAt = (offset: string, step = 'apply'): StuckPartition => ({ topic: 'evergreen.user', partition: 4, sinceMs: 0, offset, step, error: 'op is not a function' });

describe('ParkRequests', () => {
  it('accepts a park of exactly the record a partition is retrying, and says so until the partition moves on', () => {
    const parks = new ParkRequests();

    expect(parks.request({ topic: 'evergreen.user', partition: 4, offset: '17' }, [stuckAt('17')])).toEqual({ accepted: true });
    expect(parks.isParked('evergreen.user', 4, '17')).toBe(true);
    expect(parks.isParked('evergreen.user', 4, '18')).toBe(false);

    parks.forget('evergreen.user', 4);
    expect(parks.isParked('evergreen.user', 4, '17')).toBe(false);
  });

  it.each<[string, StuckPartition[], RegExp]>([
    ['a partition that is not retrying', [], /is not retrying any record/],
    ['another partition that is', [{ ...stuckAt('17'), partition: 5 }], /is not retrying any record/],
    ['another record of the partition', [stuckAt('16')], /retrying offset 16, not 17/],
    ['a record whose dead letter cannot be sent', [stuckAt('17', 'dead_letter')], /parking cannot help/],
  ])('refuses %s, saying why', (_case, retrying, reason) => {
    const parks = new ParkRequests();

    const answer = parks.request({ topic: 'evergreen.user', partition: 4, offset: '17' }, retrying);

    expect(answer.accepted).toBe(false);
    if (!answer.accepted) expect(answer.reason).toMatch(reason);
    expect(parks.isParked('evergreen.user', 4, '17')).toBe(false);
  });
});
