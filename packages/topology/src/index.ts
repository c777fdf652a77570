export { loadTopology, parseTopology } from './load.ts';
export { instancesOf, portOf, projectionsOf, serviceNamed } from './lookup.ts';
export type { PlacedProjection } from './lookup.ts';
export type { DatabaseEntry, HttpKind, Placement, ProjectionEntry, ProjectionStore, ServiceEntry, Setting, Topology } from './types.ts';
