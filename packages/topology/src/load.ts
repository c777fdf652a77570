import { readFileSync } from 'node:fs';
import { EvergreenError } from '@evergreen/errors';
import type { DatabaseEntry, HttpKind, Placement, ProjectionEntry, ProjectionStore, ServiceEntry, Setting, Topology } from './types.ts';

type Json = unknown;

/** Collects every problem of a manifest with the path where it is, so one run names them all. */
class Reader {
  readonly problems: string[] = [];

  object(value: Json, path: string): Record<string, Json> {
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, Json>;
    this.problems.push(`${path}: must be an object`);
    return {};
  }

  array(value: Json, path: string): Json[] {
    if (Array.isArray(value)) return value;
    this.problems.push(`${path}: must be an array`);
    return [];
  }

  text(value: Json, path: string, pattern?: RegExp): string {
    if (typeof value === 'string' && value !== '' && (!pattern || pattern.test(value))) return value;
    this.problems.push(`${path}: must be ${pattern ? `text matching ${pattern}` : 'non-empty text'}, got ${JSON.stringify(value)}`);
    return '';
  }

  optionalText(value: Json, path: string): string | undefined {
    return value === undefined ? undefined : this.text(value, path);
  }

  port(value: Json, path: string): number {
    if (Number.isInteger(value) && (value as number) > 0 && (value as number) < 65_536) return value as number;
    this.problems.push(`${path}: must be a port (1 to 65535), got ${JSON.stringify(value)}`);
    return 0;
  }

  count(value: Json, path: string): number {
    if (Number.isInteger(value) && (value as number) >= 0) return value as number;
    this.problems.push(`${path}: must be a whole number >= 0, got ${JSON.stringify(value)}`);
    return 0;
  }

  flag(value: Json, path: string, fallback: boolean): boolean {
    if (value === undefined) return fallback;
    if (typeof value === 'boolean') return value;
    this.problems.push(`${path}: must be true or false, got ${JSON.stringify(value)}`);
    return fallback;
  }

  oneOf<T extends string>(value: Json, path: string, allowed: readonly T[]): T {
    if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
    this.problems.push(`${path}: must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
    return allowed[0] as T;
  }
}

const VARIABLE = /^EVERGREEN_[A-Z0-9_]+$/;
const NAME = /^[a-z][a-z0-9-]*$/;
const HTTP_KINDS: readonly HttpKind[] = ['api', 'ops', 'console'];
const STORES: readonly ProjectionStore[] = ['redis', 'postgres'];
const PLACEMENTS: readonly Placement[] = ['default', 'cluster', 'e2e', 'bench', 'cluster-e2e', 'cluster-bench'];

function setting(read: Reader, value: Json, path: string): Setting<string> {
  const entry = read.object(value, path);
  return { variable: read.text(entry.variable, `${path}.variable`, VARIABLE), default: read.text(entry.default, `${path}.default`) };
}

function database(read: Reader, value: Json, path: string): DatabaseEntry {
  const entry = read.object(value, path);
  const relay = read.object(entry.relay, `${path}.relay`);
  return {
    variable: read.text(entry.variable, `${path}.variable`, VARIABLE),
    default: read.text(entry.default, `${path}.default`, /^[a-z_][a-z0-9_]*$/),
    relay: {
      connector: setting(read, relay.connector, `${path}.relay.connector`),
      slot: setting(read, relay.slot, `${path}.relay.slot`),
      serverSuffix: typeof relay.serverSuffix === 'string' ? relay.serverSuffix : read.text(relay.serverSuffix, `${path}.relay.serverSuffix`),
    },
  };
}

function projection(read: Reader, value: Json, path: string): ProjectionEntry {
  const entry = read.object(value, path);
  return {
    name: read.text(entry.name, `${path}.name`, NAME),
    group: setting(read, entry.group, `${path}.group`),
    reads: read.array(entry.reads, `${path}.reads`).map((aggregate, index) => read.text(aggregate, `${path}.reads[${index}]`, NAME)),
    store: read.oneOf(entry.store, `${path}.store`, STORES),
    rebuilds: read.flag(entry.rebuilds, `${path}.rebuilds`, false),
    verifies: read.flag(entry.verifies, `${path}.verifies`, false),
  };
}

function service(read: Reader, value: Json, path: string): ServiceEntry {
  const entry = read.object(value, path);
  const port = read.object(entry.port, `${path}.port`);
  return {
    name: read.text(entry.name, `${path}.name`, NAME),
    workspace: read.text(entry.workspace, `${path}.workspace`),
    entry: read.text(entry.entry, `${path}.entry`, /^src\/[\w/-]+\.ts$/),
    http: read.oneOf(entry.http, `${path}.http`, HTTP_KINDS),
    port: { variable: read.text(port.variable, `${path}.port.variable`, VARIABLE), default: read.port(port.default, `${path}.port.default`) },
    scales: read.flag(entry.scales, `${path}.scales`, false),
    database: read.optionalText(entry.database, `${path}.database`),
    writes: entry.writes === undefined ? [] : read.array(entry.writes, `${path}.writes`).map((aggregate, index) => read.text(aggregate, `${path}.writes[${index}]`, NAME)),
    projections: entry.projections === undefined ? [] : read.array(entry.projections, `${path}.projections`).map((item, index) => projection(read, item, `${path}.projections[${index}]`)),
    banner: read.text(entry.banner, `${path}.banner`),
  };
}

/** What must hold between entries: names unique, references resolved, ports and variables apart. */
function crossCheck(topology: Topology, problems: string[]): void {
  const seen = (what: string, values: string[]) => {
    const twice = values.filter((value, index) => values.indexOf(value) !== index);
    for (const value of new Set(twice)) problems.push(`${what} ${value} is named twice`);
  };
  const { services } = topology;
  seen('service', services.map((entry) => entry.name));
  seen('projection', services.flatMap((entry) => entry.projections.map((item) => item.name)));
  seen('port', services.map((entry) => String(entry.port.default)));
  seen('variable', [
    ...services.map((entry) => entry.port.variable),
    ...services.flatMap((entry) => entry.projections.map((item) => item.group.variable)),
    ...Object.values(topology.databases).flatMap((entry) => [entry.variable, entry.relay.connector.variable, entry.relay.slot.variable]),
  ]);
  seen('consumer group', services.flatMap((entry) => entry.projections.map((item) => item.group.default)));
  for (const entry of services) {
    if (entry.database !== undefined && !Object.hasOwn(topology.databases, entry.database)) problems.push(`service ${entry.name}: database ${entry.database} is not one of databases (${Object.keys(topology.databases).join(', ')})`);
    if (entry.writes.length > 0 && entry.database === undefined) problems.push(`service ${entry.name}: writes ${entry.writes.join(', ')} through an outbox, so it needs a database`);
    if (entry.scales && entry.projections.length === 0) problems.push(`service ${entry.name}: scales, but runs no projection whose group could share the work`);
  }
  // The demo, the cluster profile and the test and benchmark namespaces run side by side on one
  // machine: every port of every placement, further instances of scaled services included, is apart.
  const owners = new Map<number, string>();
  for (const placement of PLACEMENTS) {
    const instances = placement.startsWith('cluster') ? topology.profiles.instances.cluster : topology.profiles.instances.default;
    for (const entry of services) {
      for (let instance = 1; instance <= (entry.scales ? instances : 1); instance += 1) {
        const port = entry.port.default + topology.profiles.portOffsets[placement] + topology.profiles.instancePortStep * (instance - 1);
        const where = `${entry.name} #${instance} (${placement})`;
        const owner = owners.get(port);
        if (owner !== undefined) problems.push(`port ${port} is both ${owner}'s and ${where}'s`);
        else owners.set(port, where);
      }
    }
  }
}

/** Reads and checks a manifest; throws one error naming every problem with its path. */
export function parseTopology(document: Json, source = 'topology'): Topology {
  const read = new Reader();
  const root = read.object(document, source);
  const databases = Object.fromEntries(Object.entries(read.object(root.databases, 'databases')).map(([key, value]) => [key, database(read, value, `databases.${key}`)]));
  const services = read.array(root.services, 'services').map((value, index) => service(read, value, `services[${index}]`));
  const profiles = read.object(root.profiles, 'profiles');
  const offsets = read.object(profiles.portOffsets, 'profiles.portOffsets');
  const instances = read.object(profiles.instances, 'profiles.instances');
  const topology: Topology = {
    databases,
    services,
    profiles: {
      portOffsets: Object.fromEntries(PLACEMENTS.map((placement) => [placement, read.count(offsets[placement], `profiles.portOffsets.${placement}`)])) as Record<Placement, number>,
      instances: { default: read.count(instances.default, 'profiles.instances.default'), cluster: read.count(instances.cluster, 'profiles.instances.cluster') },
      instancePortStep: read.count(profiles.instancePortStep, 'profiles.instancePortStep'),
    },
  };
  const problems = [...read.problems];
  if (problems.length === 0) crossCheck(topology, problems);
  if (problems.length > 0) throw new EvergreenError('INVALID_ARGUMENT', `${source} is not a valid topology:\n  ${problems.join('\n  ')}`);
  return topology;
}

/** The manifest at `path` (infra/topology.json of the checkout, for the stack's own tools). */
export function loadTopology(path: string): Topology {
  return parseTopology(JSON.parse(readFileSync(path, 'utf8')) as Json, path);
}
