/** A setting that a variable can override: its name and its default. */
export interface Setting<T extends string | number> {
  variable: string;
  default: T;
}

/** A writer's database and the relay (Debezium connector and replication slot) that tails its outbox. */
export interface DatabaseEntry {
  variable: string;
  default: string;
  relay: {
    connector: Setting<string>;
    slot: Setting<string>;
    /** Appended to the topic prefix to make the connector's server name (its stored offsets are keyed by it). */
    serverSuffix: string;
  };
}

/** What a projection's store is, for the tools that look inside one. */
export type ProjectionStore = 'redis' | 'postgres';

export interface ProjectionEntry {
  /** Its name everywhere: metrics, the console, `npm run verify -- --projection <name>`. */
  name: string;
  /** Its consumer group (the first generation's, for one that rebuilds). */
  group: Setting<string>;
  /** The aggregate types whose topics it reads. */
  reads: string[];
  store: ProjectionStore;
  rebuilds: boolean;
  verifies: boolean;
}

/** How a service answers HTTP: an API with its own routes, a worker's ops endpoints only, or the console. */
export type HttpKind = 'api' | 'ops' | 'console';

export interface ServiceEntry {
  name: string;
  /** Its workspace folder, from the repository root. */
  workspace: string;
  /** Its entry point in the workspace; `npm run build` bundles it into dist/. */
  entry: string;
  http: HttpKind;
  port: Setting<number>;
  /** Runs as several instances of one consumer group on a profile that scales (the cluster). */
  scales: boolean;
  /** The database it owns and migrates (a key of `databases`). */
  database: string | undefined;
  /** The aggregate types it writes through its database's outbox. */
  writes: string[];
  projections: ProjectionEntry[];
  /** One line for `npm start`'s banner. */
  banner: string;
}

/** Where a profile or a namespace puts things: the services' port offset, and how many instances a scaled service runs. */
export type Placement = 'default' | 'cluster' | 'e2e' | 'bench' | 'cluster-e2e' | 'cluster-bench';

export interface Topology {
  databases: Record<string, DatabaseEntry>;
  services: ServiceEntry[];
  profiles: {
    portOffsets: Record<Placement, number>;
    instances: { default: number; cluster: number };
    instancePortStep: number;
  };
}
