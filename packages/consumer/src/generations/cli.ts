import { EvergreenError, EXIT, exitCodeOf } from '@evergreen/errors';
import { dropGeneration, generationStatus, rebuildProjection, type RebuildTarget } from './rebuild.ts';

export type RebuildCommand = { kind: 'rebuild'; switchTimeoutMs: number } | { kind: 'drop'; generation: number } | { kind: 'status' };

export class RebuildUsageError extends EvergreenError {
  constructor(message: string) {
    super('INVALID_ARGUMENT', message);
    this.name = 'RebuildUsageError';
  }
}

export const REBUILD_USAGE = `usage: npm run rebuild -- <cache-populator|activity-log> [--switch-timeout <seconds>]
       npm run rebuild -- <cache-populator|activity-log> --status
       npm run rebuild -- <cache-populator|activity-log> --drop <generation>`;

const DEFAULT_SWITCH_TIMEOUT_MS = 60_000;

/** Parses what follows the projection's name on the command line. */
export function parseRebuildArgs(args: readonly string[]): RebuildCommand {
  const [flag, value, ...rest] = args;
  if (flag === undefined) return { kind: 'rebuild', switchTimeoutMs: DEFAULT_SWITCH_TIMEOUT_MS };
  if (flag === '--status' && value === undefined) return { kind: 'status' };
  if (flag === '--drop' && rest.length === 0) {
    const generation = Number(value);
    if (value === undefined || !/^\d+$/.test(value) || !Number.isSafeInteger(generation) || generation < 1) throw new RebuildUsageError(`--drop needs a generation (an integer >= 1), got ${value ?? 'nothing'}`);
    return { kind: 'drop', generation };
  }
  if (flag === '--switch-timeout' && rest.length === 0) {
    const seconds = Number(value);
    if (value === undefined || !Number.isFinite(seconds) || seconds <= 0) throw new RebuildUsageError(`--switch-timeout needs a number of seconds > 0, got ${value ?? 'nothing'}`);
    return { kind: 'rebuild', switchTimeoutMs: Math.round(seconds * 1000) };
  }
  throw new RebuildUsageError(`unexpected arguments: ${args.join(' ')}`);
}

/**
 * What a service's `npm run rebuild` does: parses the arguments, opens the projection's target,
 * runs the command with progress lines on stdout, closes, and sets the exit code (EXIT: 0 done,
 * 1 failed, 2 usage, 4 a dependency away). Ctrl-C while catching up abandons the rebuild, the
 * active generation untouched.
 */
export async function runRebuildCli(args: readonly string[], open: () => Promise<{ target: RebuildTarget; close(): Promise<void> }>): Promise<void> {
  const say = (line: string) => console.log(`[rebuild] ${line}`);
  let command: RebuildCommand;
  try {
    command = parseRebuildArgs(args);
  } catch (error) {
    console.error(`[rebuild] ${(error as Error).message}\n${REBUILD_USAGE}`);
    process.exitCode = EXIT.USAGE;
    return;
  }
  const { target, close } = await open();
  const abort = new AbortController();
  const onSignal = () => {
    say('interrupted: abandoning the rebuild');
    abort.abort();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    if (command.kind === 'status') {
      const status = await generationStatus(target);
      say(`${target.store.projection}: generation ${status.active} is active (${status.where}); group ${status.groupId} has ${status.members} member(s)`);
    } else if (command.kind === 'drop') {
      await dropGeneration(target, command.generation, say);
    } else {
      await rebuildProjection(target, { report: say, switchTimeoutMs: command.switchTimeoutMs, signal: abort.signal });
    }
  } catch (error) {
    console.error(`[rebuild] FAILED: ${(error as Error).message}`);
    process.exitCode = exitCodeOf(error);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await close();
  }
}
