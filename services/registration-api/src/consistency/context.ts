import { EvergreenError, exitCodeOf } from '@evergreen/errors';
import { loadStackConfig } from '@evergreen/platform';
import { eventCatalog } from '@evergreen/schemas';
import { consistencyContext, type ConsistencyContext, type Projection } from '@evergreen/consistency';

/** What every consistency command works on: the stack's database, cache and outbox. */
export type CliContext = ConsistencyContext;

export function cliContext(): CliContext {
  return consistencyContext(loadStackConfig(), eventCatalog);
}

/**
 * The options of a command line: `--name value` (or `--name=value`), the switches named in
 * `switches` (no value), and the words that are not options.
 */
export function parseArgs(argv: readonly string[], switches: readonly string[] = []): { options: Map<string, string>; flags: Set<string>; words: string[] } {
  const options = new Map<string, string>();
  const flags = new Set<string>();
  const words: string[] = [];
  for (let index = 0; index < argv.length; index += 1) {
    const arg = argv[index] as string;
    if (!arg.startsWith('--')) {
      words.push(arg);
      continue;
    }
    const [name, inline] = arg.slice(2).split('=', 2) as [string, string | undefined];
    if (switches.includes(name)) {
      flags.add(name);
      continue;
    }
    const value = inline ?? argv[index + 1];
    if (value === undefined) throw new EvergreenError('INVALID_ARGUMENT', `--${name} needs a value`, { field: name });
    options.set(name, value);
    if (inline === undefined) index += 1;
  }
  return { options, flags, words };
}

export function numberOption(options: Map<string, string>, name: string, fallback: number): number {
  const raw = options.get(name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new EvergreenError('INVALID_ARGUMENT', `--${name} must be a non-negative number, got "${raw}"`, { field: name });
  return value;
}

/** Picks read models by name (--projection user-cache,activity-log); all by default. */
export function chooseProjections(all: Projection[], wanted: string | undefined): Projection[] {
  if (!wanted) return all;
  const names = wanted.split(',');
  const unknown = names.filter((name) => !all.some((projection) => projection.name === name));
  if (unknown.length > 0) throw new EvergreenError('INVALID_ARGUMENT', `unknown read model ${unknown.join(', ')}; known: ${all.map((projection) => projection.name).join(', ')}`, { field: 'projection' });
  return all.filter((projection) => names.includes(projection.name));
}

/** Runs a command: its exit code, or on an error the message and the code every command line uses for it (EXIT). */
export async function runCli(main: () => Promise<number>): Promise<void> {
  try {
    process.exitCode = await main();
  } catch (error) {
    console.error(`error: ${(error as Error).message}`);
    process.exitCode = exitCodeOf(error);
  }
}
