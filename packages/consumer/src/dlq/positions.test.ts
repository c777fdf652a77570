import { describe, expect, it } from 'vitest';
import { parsePosition, positionProblems, rangesCovering, wholePartitions, type PartitionOffsets } from './positions.ts';

const OFFSETS: PartitionOffsets[] = [
  { partition: 0, low: '0', high: '10' },
  { partition: 1, low: '5', high: '8' },
  { partition: 2, low: '0', high: '0' },
];

describe('parsePosition', () => {
  it('reads <partition>:<offset>', () => {
    expect(parsePosition('2:17')).toEqual({ partition: 2, offset: '17' });
    expect(parsePosition('0:007')).toEqual({ partition: 0, offset: '7' });
    expect(parsePosition('1:9223372036854775807')).toEqual({ partition: 1, offset: '9223372036854775807' });
  });

  it.each(['', '2', '2:', ':17', '2:17:1', '-1:3', '2:-3', 'a:b', '2 :17', '2:1e3', '2:17.5'])('refuses %j', (text) => {
    expect(parsePosition(text)).toBeUndefined();
  });
});

describe('positionProblems', () => {
  it('finds nothing wrong with offsets the partitions hold', () => {
    expect(positionProblems('t.dlq', [{ partition: 0, offset: '0' }, { partition: 0, offset: '9' }, { partition: 1, offset: '5' }], OFFSETS)).toEqual([]);
  });

  it('names each position that cannot hold a record, and why', () => {
    const problems = positionProblems(
      't.dlq',
      [
        { partition: 0, offset: '10' },
        { partition: 1, offset: '4' },
        { partition: 2, offset: '0' },
        { partition: 6, offset: '1' },
        { partition: 0, offset: '3' },
      ],
      OFFSETS,
    );

    expect(problems).toEqual([
      't.dlq 0:10: past the end of the partition (its next offset is 10)',
      't.dlq 1:4: no longer kept (the partition starts at offset 5)',
      't.dlq 2:0: past the end of the partition (its next offset is 0)',
      't.dlq 6:1: the topic has no partition 6 (it has 3)',
    ]);
  });
});

describe('wholePartitions', () => {
  it('reads each partition from its earliest kept offset to its end', () => {
    expect(wholePartitions(OFFSETS)).toEqual([
      { partition: 0, from: '0', to: '10' },
      { partition: 1, from: '5', to: '8' },
      { partition: 2, from: '0', to: '0' },
    ]);
  });
});

describe('rangesCovering', () => {
  it('covers every position with one range per partition, from the lowest to just past the highest', () => {
    const ranges = rangesCovering([
      { partition: 3, offset: '17' },
      { partition: 1, offset: '4' },
      { partition: 3, offset: '9' },
      { partition: 3, offset: '12' },
    ]);

    expect(ranges).toEqual([
      { partition: 3, from: '9', to: '18' },
      { partition: 1, from: '4', to: '5' },
    ]);
  });

  it('compares offsets as numbers, not as text', () => {
    expect(rangesCovering([{ partition: 0, offset: '9' }, { partition: 0, offset: '10' }])).toEqual([{ partition: 0, from: '9', to: '11' }]);
  });
});
