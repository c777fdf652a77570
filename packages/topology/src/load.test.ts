import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { instancesOf, loadTopology, parseTopology, portOf, projectionsOf, serviceNamed } from './index.ts';

const MANIFEST = join(import.meta.dirname, '..', '..', '..', 'infra', 'topology.json');
const document = () => JSON.parse(readFileSync(MANIFEST, 'utf8')) as { services: Array<Record<string, unknown>>; databases: Record<string, unknown> };

describe('the repository manifest (infra/topology.json)', () => {
  it('is a valid topology naming every service and projection', () => {
    const topology = loadTopology(MANIFEST);
    expect(topology.services.map((entry) => entry.name)).toEqual(['registration-api', 'cache-populator', 'activity-log', 'relay-monitor', 'order-service', 'order-cache', 'operator-console']);
    expect(projectionsOf(topology).map((entry) => `${entry.service}/${entry.name}`)).toEqual(['cache-populator/user-cache', 'activity-log/activity-log', 'order-service/user-replica', 'order-cache/order-cache']);
  });

  it("places each service's ports by profile, namespace and instance", () => {
    const topology = loadTopology(MANIFEST);
    const populator = serviceNamed(topology, 'cache-populator');
    expect([portOf(topology, populator, 'default'), portOf(topology, populator, 'cluster', 2), portOf(topology, populator, 'e2e'), portOf(topology, populator, 'cluster-bench')]).toEqual([3001, 3111, 3101, 3161]);
    expect(instancesOf(topology, populator, 'cluster')).toBe(2);
    expect(instancesOf(topology, serviceNamed(topology, 'registration-api'), 'cluster')).toBe(1);
  });
});

describe('parseTopology', () => {
  it('names every problem with its path at once', () => {
    const broken = document();
    broken.services[0] = { ...broken.services[0], name: 'Registration API', port: { variable: 'API_PORT', default: 99_999 } };
    expect(() => parseTopology(broken)).toThrow(/services\[0\]\.name: must be text matching .*\n\s+services\[0\]\.port\.variable: .*\n\s+services\[0\]\.port\.default: must be a port/);
  });

  it.each<[string, (manifest: ReturnType<typeof document>) => void, RegExp]>([
    ['two services of one name', (manifest) => void manifest.services.push({ ...manifest.services[0], port: { variable: 'EVERGREEN_OTHER_PORT', default: 3999 } }), /service registration-api is named twice/],
    ['two services on one port', (manifest) => void (manifest.services[1] = { ...manifest.services[1], port: { variable: 'EVERGREEN_POPULATOR_PORT', default: 3000 } }), /port 3000 is named twice/],
    ['a database nobody declared', (manifest) => void (manifest.services[0] = { ...manifest.services[0], database: 'billing' }), /database billing is not one of databases/],
    ['a writer without a database', (manifest) => void (manifest.services[0] = { ...manifest.services[0], database: undefined }), /writes user through an outbox, so it needs a database/],
    ['a scaled service without a projection', (manifest) => void (manifest.services[3] = { ...manifest.services[3], scales: true }), /relay-monitor: scales, but runs no projection/],
  ])('refuses %s', (_case, spoil, problem) => {
    const manifest = document();
    spoil(manifest);
    expect(() => parseTopology(manifest)).toThrow(problem);
  });
});
