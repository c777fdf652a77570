import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse } from 'yaml';
import { parseEnvFile } from '@evergreen/platform';
import { interpolate, mapStrings } from './interpolation.ts';

/** The env files the compose file is run with (`--env-file`, in this order: a later file wins). */
export const ENV_FILES = ['versions.env', 'stack.env'] as const;
/**
 * The local stack's cluster profile: not an env file of compose (its ports would move the
 * single-node services too), but what the compose file's `cluster` profile must agree with.
 */
export const CLUSTER_ENV_FILE = 'stack.cluster.env';
/** The compose profile of the cluster topology. */
export const CLUSTER_PROFILE = 'cluster';

export interface ComposeBuild {
  context?: string;
  dockerfile?: string;
  target?: string;
  args?: Record<string, string | number | null> | string[];
}

export type ComposePort = string | number | { target?: string | number; published?: string | number; host_ip?: string };

export type ComposeEnvFile = string | { path: string };

export type ComposeVolume = string | { type?: string; source?: string; target?: string };

/** The parts of a compose service the checks read; the schema has vouched for their shapes. */
export interface ComposeService {
  image?: string;
  build?: string | ComposeBuild;
  ports?: ComposePort[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: { test?: unknown; disable?: boolean };
  env_file?: ComposeEnvFile | ComposeEnvFile[];
  volumes?: ComposeVolume[];
  restart?: string;
  command?: string | string[];
  profiles?: string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  networks?: string[] | Record<string, { aliases?: string[] } | null>;
}

/** A compose file as the checks see it: as written (merge keys resolved) and as compose would run it. */
export interface ComposeProject {
  repoRoot: string;
  /** The folder of the compose file: compose resolves its relative paths from there. */
  composeDir: string;
  /** Every variable of the env files, as compose reads them for interpolation. */
  variables: Record<string, string>;
  /** The variables of each env file, by file name. */
  envFiles: Record<string, Record<string, string>>;
  /** Before interpolation: where a value names a variable rather than its value. */
  written: unknown;
  /** After interpolation: what compose validates against its schema and runs. */
  interpolated: unknown;
}

/** Parses YAML as compose does: `<<` merge keys resolved, a repeated key an error. */
export function parseComposeYaml(text: string): unknown {
  return parse(text, { merge: true, uniqueKeys: true });
}

/** The variables of each env file in `dir` (infra/, beside the compose file). */
export function readEnvFiles(dir: string): Record<string, Record<string, string>> {
  return Object.fromEntries([...ENV_FILES, CLUSTER_ENV_FILE].map((file) => [file, parseEnvFile(readFileSync(join(dir, file), 'utf8'))]));
}

/** A compose project from its text, the env files' variables and where it lives. */
export function composeProject(text: string, envFiles: Record<string, Record<string, string>>, composePath: string, repoRoot: string): ComposeProject {
  const variables = Object.assign({}, ...ENV_FILES.map((file) => envFiles[file] ?? {})) as Record<string, string>;
  const written = parseComposeYaml(text);
  return {
    repoRoot,
    composeDir: dirname(composePath),
    variables,
    envFiles,
    written,
    interpolated: mapStrings(written, (value) => interpolate(value, variables)),
  };
}

/**
 * The services of a document that passed the schema (which is what makes the cast sound); an
 * error when there is not even a services map, so a check never passes on an empty file.
 */
export function composeServices(document: unknown): Record<string, ComposeService> {
  const services: unknown = document !== null && typeof document === 'object' ? (document as { services?: unknown }).services : undefined;
  if (services === null || typeof services !== 'object' || Array.isArray(services)) throw new Error('the compose file has no services map');
  return services as Record<string, ComposeService>;
}

export function buildOf(service: ComposeService): ComposeBuild | undefined {
  return typeof service.build === 'string' ? { context: service.build } : service.build;
}

/** Build arguments in either of compose's forms (a map, or NAME=value items). */
export function buildArgs(build: ComposeBuild): Record<string, string | undefined> {
  if (Array.isArray(build.args)) {
    return Object.fromEntries(build.args.map((item) => {
      const [name = '', ...value] = item.split('=');
      return [name, value.length > 0 ? value.join('=') : undefined];
    }));
  }
  return Object.fromEntries(Object.entries(build.args ?? {}).map(([name, value]) => [name, value === null ? undefined : String(value)]));
}

/** The services a service depends on, with the condition it waits for. */
export function dependencies(service: ComposeService): Array<{ name: string; condition: string }> {
  const dependsOn = service.depends_on ?? {};
  if (Array.isArray(dependsOn)) return dependsOn.map((name) => ({ name, condition: 'service_started' }));
  return Object.entries(dependsOn).map(([name, { condition }]) => ({ name, condition: condition ?? 'service_started' }));
}

/** Whether compose runs a service when exactly `profiles` are active (none: the default `up`). */
export function isActive(service: ComposeService, profiles: readonly string[]): boolean {
  const own = service.profiles ?? [];
  return own.length === 0 || own.some((profile) => profiles.includes(profile));
}

/** The services compose runs with `profiles` active. */
export function activeServices(document: unknown, profiles: readonly string[]): Record<string, ComposeService> {
  return Object.fromEntries(Object.entries(composeServices(document)).filter(([, service]) => isActive(service, profiles)));
}

/** A service's environment as a map of strings (compose's list form NAME=value too). */
export function environmentOf(service: ComposeService): Record<string, string> {
  const environment = service.environment ?? {};
  if (Array.isArray(environment)) {
    return Object.fromEntries(environment.map((item) => {
      const [name = '', ...value] = item.split('=');
      return [name, value.join('=')];
    }));
  }
  return Object.fromEntries(Object.entries(environment).flatMap(([name, value]) => (value === null ? [] : [[name, String(value)]])));
}

/** The names a service is reached by on the default network: its own and its aliases. */
export function networkNames(name: string, service: ComposeService): string[] {
  const networks = service.networks;
  const aliases = networks === undefined || Array.isArray(networks) ? [] : (networks.default?.aliases ?? []);
  return [name, ...aliases];
}
