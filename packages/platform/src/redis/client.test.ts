import { describe, expect, it } from 'vitest';
import type { RedisSettings } from '../config/stack-config.ts';
import { createRedis, groupBySlot, isCluster, slotOf } from './client.ts';

type Settings = Pick<RedisSettings, 'host' | 'port' | 'db' | 'nodes' | 'keyPrefix'>;
const standalone: Settings = { host: '127.0.0.1', port: 1, db: 0, nodes: [], keyPrefix: '' };
const cluster: Settings = { ...standalone, nodes: [{ host: '127.0.0.1', port: 2 }] };

// lazyConnect: these clients never open a connection; only their settings are looked at.
const clientOf = (settings: Settings) => createRedis(settings, { lazyConnect: true });

describe('createRedis', () => {
  it('makes a Cluster client only when nodes are listed', () => {
    expect(isCluster(clientOf(standalone))).toBe(false);
    expect(isCluster(clientOf(cluster))).toBe(true);
  });

  it("keeps a namespace's keys under its prefix on either kind of client", () => {
    expect(clientOf({ ...standalone, keyPrefix: 'e2e/' }).options.keyPrefix).toBe('e2e/');
    expect(clientOf({ ...cluster, keyPrefix: 'e2e/' }).options.keyPrefix).toBe('e2e/');
  });
});

describe('groupBySlot', () => {
  const keys = ['evergreen:user:a', 'evergreen:user:b', 'evergreen:user-orders:{u1}', 'evergreen:user-orders-deleted:{u1}', 'evergreen:user:c'];

  it('sends everything together to a standalone Redis, in order', () => {
    expect(groupBySlot(clientOf(standalone), keys, (key) => key)).toEqual([keys]);
  });

  it('splits by hash slot on a Cluster, so no script names keys of two slots (CROSSSLOT)', () => {
    const client = clientOf(cluster);
    const groups = groupBySlot(client, keys, (key) => key);

    for (const group of groups) expect(new Set(group.map((key) => slotOf(client, key))).size).toBe(1);
    expect(groups.flat().sort()).toEqual([...keys].sort());
    // Keys sharing a hash tag land in one group, in their order.
    expect(groups.find((group) => group.includes('evergreen:user-orders:{u1}'))).toEqual(['evergreen:user-orders:{u1}', 'evergreen:user-orders-deleted:{u1}']);
  });

  it("computes the slot of the key as sent, the client's prefix included", () => {
    const prefixed = clientOf({ ...cluster, keyPrefix: 'e2e/' });
    expect(slotOf(prefixed, 'evergreen:user:a')).toBe(slotOf(clientOf(cluster), 'e2e/evergreen:user:a'));
    expect(slotOf(prefixed, 'evergreen:user:a')).not.toBe(slotOf(clientOf(cluster), 'evergreen:user:a'));
  });
});
