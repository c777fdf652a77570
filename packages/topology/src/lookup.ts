import type { Placement, ProjectionEntry, ServiceEntry, Topology } from './types.ts';

/** A projection with the service that runs it. */
export interface PlacedProjection extends ProjectionEntry {
  service: string;
}

export function serviceNamed(topology: Topology, name: string): ServiceEntry {
  const found = topology.services.find((entry) => entry.name === name);
  if (!found) throw new Error(`no service ${name} in the topology (it has ${topology.services.map((entry) => entry.name).join(', ')})`);
  return found;
}

/** Every projection of every service, in manifest order. */
export function projectionsOf(topology: Topology): PlacedProjection[] {
  return topology.services.flatMap((entry) => entry.projections.map((projection) => ({ ...projection, service: entry.name })));
}

/** A service's port where `placement` puts it, for its `instance`th instance (1 the first). */
export function portOf(topology: Topology, entry: ServiceEntry, placement: Placement, instance = 1): number {
  return entry.port.default + topology.profiles.portOffsets[placement] + topology.profiles.instancePortStep * (instance - 1);
}

/** How many instances of a service a profile runs: a service that scales runs the profile's count, any other one. */
export function instancesOf(topology: Topology, entry: ServiceEntry, profile: 'default' | 'cluster'): number {
  return entry.scales ? topology.profiles.instances[profile] : 1;
}
