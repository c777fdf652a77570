import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Parses the KEY=value lines of an env file; `#` starts a comment line. */
export function parseEnvFile(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [index, rawLine] of text.split(/\r?\n/).entries()) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!match) throw new Error(`env file line ${index + 1} is not KEY=value: ${rawLine}`);
    const [, key, value] = match as unknown as [string, string, string];
    values[key] = value.replace(/^"(.*)"$/, '$1');
  }
  return values;
}

/** The repository root: the nearest folder above this module that holds infra/stack.env. */
export function findRepoRoot(from: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = resolve(from);
  for (;;) {
    if (existsSync(join(dir, 'infra', 'stack.env'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no infra/stack.env above ${from}: is this an Evergreen checkout?`);
    dir = parent;
  }
}

/** The stack profiles: one node of everything (the default), or replicated Kafka, Connect and Redis. */
export const STACK_PROFILES = ['single', 'cluster'] as const;
export type StackProfile = (typeof STACK_PROFILES)[number];

/** EVERGREEN_STACK_PROFILE of the environment; unset is the single-node default. */
export function stackProfileOf(environment: NodeJS.ProcessEnv): StackProfile {
  const raw = environment.EVERGREEN_STACK_PROFILE?.trim() || 'single';
  const profile = STACK_PROFILES.find((known) => known === raw);
  if (!profile) throw new Error(`EVERGREEN_STACK_PROFILE: must be one of ${STACK_PROFILES.join(', ')}, got "${raw}"`);
  return profile;
}

/**
 * The defaults from infra/versions.env and infra/stack.env, then the profile's own file
 * (infra/stack.cluster.env when EVERGREEN_STACK_PROFILE=cluster), with the process environment
 * laid over them: a variable set in the environment always wins.
 */
export function loadStackEnv(
  environment: NodeJS.ProcessEnv = process.env,
  repoRoot: string = findRepoRoot(),
): Record<string, string> {
  const merged: Record<string, string> = {};
  const profile = stackProfileOf(environment);
  const files = ['versions.env', 'stack.env', ...(profile === 'single' ? [] : [`stack.${profile}.env`])];
  for (const file of files) {
    Object.assign(merged, parseEnvFile(readFileSync(join(repoRoot, 'infra', file), 'utf8')));
  }
  merged.EVERGREEN_STACK_PROFILE = profile;
  for (const [key, value] of Object.entries(environment)) {
    if (value !== undefined) merged[key] = value;
  }
  return merged;
}
