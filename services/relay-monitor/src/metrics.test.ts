import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { RelayHealth } from '@evergreen/relay-health';
import { ACTIVE_SLOT } from '@evergreen/relay-health/testing';
import { RelayMetrics } from './metrics.ts';

const reading = (connector: string, slot: string, tasks: RelayHealth['connector'] = { kind: 'found', name: connector, state: 'RUNNING', tasks: [{ id: 0, state: 'RUNNING' }] }): RelayHealth => ({
  checkedAt: new Date(),
  connector: tasks,
  slot: { ...ACTIVE_SLOT, name: slot },
  heartbeat: { kind: 'found', beatAt: new Date(), ageSeconds: 2 },
});

async function series(registry: Registry, name: string): Promise<string[]> {
  return (await registry.metrics()).split('\n').filter((line) => line.startsWith(`${name}{`));
}

describe('RelayMetrics of several relays (one connector per outbox database)', () => {
  it("keeps each relay's series when another is read, and drops what a relay's newer reading no longer has", async () => {
    const registry = new Registry();
    const metrics = new RelayMetrics(registry);

    metrics.record(reading('users-outbox', 'users_slot'));
    metrics.record(reading('orders-outbox', 'orders_slot'));

    expect(await series(registry, 'evergreen_relay_connector_up')).toEqual(['evergreen_relay_connector_up{connector="users-outbox"} 1', 'evergreen_relay_connector_up{connector="orders-outbox"} 1']);
    expect(await series(registry, 'evergreen_relay_slot_lag_bytes')).toHaveLength(2);

    // The orders' connector is gone from Connect: its task series go, the users' stay.
    metrics.record(reading('orders-outbox', 'orders_slot', { kind: 'missing', name: 'orders-outbox' }));

    expect((await series(registry, 'evergreen_relay_task_state')).filter((line) => line.includes('state="RUNNING"'))).toEqual(['evergreen_relay_task_state{connector="users-outbox",task="0",state="RUNNING"} 1']);
    expect(await series(registry, 'evergreen_relay_connector_up')).toEqual(['evergreen_relay_connector_up{connector="users-outbox"} 1', 'evergreen_relay_connector_up{connector="orders-outbox"} 0']);
  });
});
