import { describe, expect, it } from 'vitest';
import { byTopic, commitIntervalFromEnv, OffsetCommitter, type OffsetCommitTarget } from './offset-committer.ts';

function recordingTarget(failTimes = 0): OffsetCommitTarget & { commits: Array<Array<{ topic: string; partition: number; offset: string }>> } {
  let failures = failTimes;
  const commits: Array<Array<{ topic: string; partition: number; offset: string }>> = [];
  return {
    commits,
    async commitOffsets(offsets) {
      if (failures > 0) {
        failures -= 1;
        throw new Error('REBALANCE_IN_PROGRESS');
      }
      commits.push(offsets);
    },
  };
}

describe('OffsetCommitter', () => {
  it('commits at most once per interval, with the newest offset of each partition', async () => {
    let now = 10_000;
    const target = recordingTarget();
    const committer = new OffsetCommitter(target, 1_000, () => now);
    committer.progressed('t', 0, '5');
    await committer.commitIfDue();
    committer.progressed('t', 0, '9');
    committer.progressed('t', 1, '3');
    now += 500;
    await committer.commitIfDue();
    expect(target.commits).toEqual([[{ topic: 't', partition: 0, offset: '5' }]]);
    now += 500;
    await committer.commitIfDue();
    expect(target.commits[1]).toEqual([
      { topic: 't', partition: 0, offset: '9' },
      { topic: 't', partition: 1, offset: '3' },
    ]);
  });

  it('never records an older offset over a newer one', async () => {
    const target = recordingTarget();
    const committer = new OffsetCommitter(target, 0);
    committer.progressed('t', 0, '10');
    committer.progressed('t', 0, '7');
    await committer.flush();
    expect(target.commits).toEqual([[{ topic: 't', partition: 0, offset: '10' }]]);
  });

  it('forgets partitions that moved to another member, so it never commits over their new owner', async () => {
    const target = recordingTarget();
    const committer = new OffsetCommitter(target, 0);
    committer.progressed('t', 0, '4');
    committer.progressed('t', 1, '8');
    committer.keepOnly({ t: [1] });
    await committer.flush();
    expect(target.commits).toEqual([[{ topic: 't', partition: 1, offset: '8' }]]);
  });

  it('keeps offsets whose commit failed and commits them with the next flush', async () => {
    const target = recordingTarget(1);
    const committer = new OffsetCommitter(target, 0);
    committer.progressed('t', 0, '4');
    await expect(committer.flush()).rejects.toThrow('REBALANCE_IN_PROGRESS');
    await committer.flush();
    expect(target.commits).toEqual([[{ topic: 't', partition: 0, offset: '4' }]]);
  });

  it('has nothing to commit when nothing progressed', async () => {
    const target = recordingTarget();
    const committer = new OffsetCommitter(target, 0);
    await committer.commitIfDue();
    await committer.flush();
    expect(target.commits).toEqual([]);
  });
});

describe('commitIntervalFromEnv', () => {
  it('is a second unless EVERGREEN_CONSUMER_COMMIT_INTERVAL_MS says otherwise', () => {
    expect(commitIntervalFromEnv({})).toBe(1_000);
    expect(commitIntervalFromEnv({ EVERGREEN_CONSUMER_COMMIT_INTERVAL_MS: '0' })).toBe(0);
    expect(commitIntervalFromEnv({ EVERGREEN_CONSUMER_COMMIT_INTERVAL_MS: '250' })).toBe(250);
  });

  it.each(['-1', '1.5', 'soon'])('refuses %s', (text) => {
    expect(() => commitIntervalFromEnv({ EVERGREEN_CONSUMER_COMMIT_INTERVAL_MS: text })).toThrow(/EVERGREEN_CONSUMER_COMMIT_INTERVAL_MS/);
  });
});

describe('OffsetCommitter targets', () => {
  it('commits through the target it is given (a batch in flight), else through the consumer', async () => {
    const consumer = recordingTarget();
    const batch = recordingTarget();
    const committer = new OffsetCommitter(consumer, 0);
    committer.progressed('t', 0, '3');
    await committer.flush(batch);
    committer.progressed('t', 0, '4');
    await committer.flush();
    expect(batch.commits).toEqual([[{ topic: 't', partition: 0, offset: '3' }]]);
    expect(consumer.commits).toEqual([[{ topic: 't', partition: 0, offset: '4' }]]);
  });

  it("groups offsets by topic, as kafkajs' batch commit takes them", () => {
    expect(byTopic([{ topic: 'a', partition: 0, offset: '1' }, { topic: 'b', partition: 2, offset: '5' }, { topic: 'a', partition: 1, offset: '9' }])).toEqual({
      topics: [
        { topic: 'a', partitions: [{ partition: 0, offset: '1' }, { partition: 1, offset: '9' }] },
        { topic: 'b', partitions: [{ partition: 2, offset: '5' }] },
      ],
    });
  });
});
