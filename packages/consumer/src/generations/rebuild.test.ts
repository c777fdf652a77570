import { describe, expect, it } from 'vitest';
import { parseRebuildArgs, RebuildUsageError } from './cli.ts';
import { catchUpProgress, type PartitionEnd } from '../catch-up.ts';
import { storedGeneration } from './store.ts';

const ends: PartitionEnd[] = [
  { topic: 'evergreen.user', partition: 0, low: '0', high: '100' },
  { topic: 'evergreen.user', partition: 1, low: '40', high: '50' },
  // Held nothing when the rebuild started (empty, or everything deleted by retention).
  { topic: 'evergreen.user', partition: 2, low: '7', high: '7' },
];

describe('catchUpProgress', () => {
  it('counts nothing done before the group committed anything, but empty partitions are at their end', () => {
    expect(catchUpProgress(ends, new Map())).toEqual({ done: 0, total: 110, partitionsDone: 1, partitions: 3, complete: false });
  });

  it('counts the records the group committed past, from each partition start', () => {
    const committed = new Map([
      ['evergreen.user:0', 60n],
      ['evergreen.user:1', 45n],
    ]);
    expect(catchUpProgress(ends, committed)).toEqual({ done: 65, total: 110, partitionsDone: 1, partitions: 3, complete: false });
  });

  it('is complete once every partition reached the end offset seen at the start, whatever was written since', () => {
    const committed = new Map([
      ['evergreen.user:0', 130n],
      ['evergreen.user:1', 50n],
    ]);
    expect(catchUpProgress(ends, committed)).toEqual({ done: 110, total: 110, partitionsDone: 3, partitions: 3, complete: true });
  });

  it('is complete at once for a topic with nothing in it', () => {
    expect(catchUpProgress([{ topic: 't', partition: 0, low: '0', high: '0' }], new Map()).complete).toBe(true);
  });
});

describe('storedGeneration', () => {
  it('reads a pointer, absent meaning generation 1, and refuses a malformed one', () => {
    expect(storedGeneration(null)).toBe(1);
    expect(storedGeneration('3')).toBe(3);
    expect(storedGeneration(4)).toBe(4);
    for (const bad of ['0', 'x', '', '1.5', 0]) expect(() => storedGeneration(bad)).toThrow(RangeError);
  });
});

describe('parseRebuildArgs', () => {
  it('rebuilds by default, with a switch timeout of 60 s unless given', () => {
    expect(parseRebuildArgs([])).toEqual({ kind: 'rebuild', switchTimeoutMs: 60_000 });
    expect(parseRebuildArgs(['--switch-timeout', '2.5'])).toEqual({ kind: 'rebuild', switchTimeoutMs: 2_500 });
  });

  it('drops a named generation, or shows the status', () => {
    expect(parseRebuildArgs(['--drop', '3'])).toEqual({ kind: 'drop', generation: 3 });
    expect(parseRebuildArgs(['--status'])).toEqual({ kind: 'status' });
  });

  it('refuses anything else', () => {
    for (const bad of [['--drop'], ['--drop', '0'], ['--drop', 'two'], ['--switch-timeout', '-1'], ['--status', 'x'], ['--fast']]) {
      expect(() => parseRebuildArgs(bad)).toThrow(RebuildUsageError);
    }
  });
});
