import { describe, expect, it } from 'vitest';
import { createRedis, slotOf, type RedisClient } from '@evergreen/platform';
import type { ConsumedEvent } from '../event.ts';
import type { PendingOperation } from '../sink.ts';
import { RedisVersionedSink, type VersionedOperation } from './redis-versioned.ts';

// A Cluster client that never connects: its script command is replaced by one that records each
// call's keys and answers "applied" for even versions, "stale" for odd ones.
function recordingCluster() {
  const client = createRedis({ host: '127.0.0.1', port: 1, db: 0, nodes: [{ host: '127.0.0.1', port: 1 }], keyPrefix: '' }, { lazyConnect: true });
  const calls: string[][] = [];
  const sink = new RedisVersionedSink(client);
  Object.assign(client, {
    async evergreenApplyIfNewer(keyCount: number, ...keysThenArgs: string[]) {
      const keys = keysThenArgs.slice(0, keyCount);
      calls.push(keys);
      // ARGV after the TTL: kind, version, count, then `count` values, per key.
      const answers: number[] = [];
      let at = keyCount + 1;
      for (let index = 0; index < keyCount; index += 1) {
        const version = Number(keysThenArgs[at + 1]);
        answers.push(version % 2 === 0 ? 1 : 0);
        at += 3 + Number(keysThenArgs[at + 2]);
      }
      return answers;
    },
  });
  return { client: client as RedisClient, sink, calls };
}

const upsert = (id: string, version: number): PendingOperation<VersionedOperation> => ({
  op: { kind: 'upsert', key: `evergreen:user:${id}`, version, fields: ['name', `user ${id}`] },
  event: {} as ConsumedEvent,
});

describe('RedisVersionedSink on a Redis Cluster', () => {
  it('sends each script call the keys of one hash slot only, and answers every operation in its own place', async () => {
    const { client, sink, calls } = recordingCluster();
    // Two keys of one slot ({t}) apart in the batch: their call answers them out of batch order.
    const operations = ['{t}1', 'a', 'b', '{t}2', 'c', 'd', 'e', 'f'].map((id, index) => upsert(id, index + 2));

    const outcomes = await sink.apply(operations);

    for (const keys of calls) expect(new Set(keys.map((key) => slotOf(client, key))).size).toBe(1);
    expect(calls.flat().sort()).toEqual(operations.map(({ op }) => op.key).sort());
    expect(outcomes).toEqual(operations.map(({ op }) => (op.version % 2 === 0 ? 'applied' : 'stale')));
  });

  it("keeps one key's versions in record order within its call", async () => {
    const { sink, calls } = recordingCluster();

    await sink.apply([upsert('a', 2), upsert('b', 2), upsert('a', 3)]);

    const withA = calls.find((keys) => keys.includes('evergreen:user:a'));
    expect(withA?.filter((key) => key === 'evergreen:user:a')).toHaveLength(2);
  });
});
