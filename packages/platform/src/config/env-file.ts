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

/**
 * The defaults from infra/versions.env and infra/stack.env with the process environment
 * laid over them: a variable set in the environment always wins.
 */
export function loadStackEnv(
  environment: NodeJS.ProcessEnv = process.env,
  repoRoot: string = findRepoRoot(),
): Record<string, string> {
  const merged: Record<string, string> = {};
  for (const file of ['versions.env', 'stack.env']) {
    Object.assign(merged, parseEnvFile(readFileSync(join(repoRoot, 'infra', file), 'utf8')));
  }
  for (const [key, value] of Object.entries(environment)) {
    if (value !== undefined) merged[key] = value;
  }
  return merged;
}
