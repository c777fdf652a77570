import { epochMs, sleep } from './clock.ts';

export interface OpenLoopResult {
  /** Writes started on schedule. */
  issued: number;
  /** Writes not started because `maxInFlight` were still open: the writer could not keep up. */
  skipped: number;
  failed: number;
  /** First error message seen, to say why writes failed. */
  firstError?: string;
  /** From the first scheduled write to the last one's completion. */
  elapsedMs: number;
}

export interface OpenLoopOptions {
  ratePerSecond: number;
  durationMs: number;
  /** Bounds the writes open at once; past it, scheduled writes are skipped (and counted). */
  maxInFlight: number;
  write: (sequence: number) => Promise<void>;
}

/**
 * Starts writes at a fixed rate whether or not earlier ones have finished (an open loop, as real
 * clients arrive), so a slow system is measured by its queueing, not by the load generator waiting
 * for it (coordinated omission). The schedule is absolute: a late timer issues what fell due.
 */
export async function runOpenLoop(options: OpenLoopOptions): Promise<OpenLoopResult> {
  const total = Math.round((options.ratePerSecond * options.durationMs) / 1000);
  const open = new Set<Promise<void>>();
  let issued = 0;
  let skipped = 0;
  let failed = 0;
  let firstError: string | undefined;
  const started = epochMs();
  for (let due = 0; due < total; ) {
    const shouldHaveIssued = Math.min(total, Math.floor(((epochMs() - started) * options.ratePerSecond) / 1000) + 1);
    for (; due < shouldHaveIssued; due += 1) {
      if (open.size >= options.maxInFlight) {
        skipped += 1;
        continue;
      }
      const sequence = due;
      const write = options
        .write(sequence)
        .catch((error: unknown) => {
          failed += 1;
          firstError ??= (error as Error).message;
        })
        .finally(() => open.delete(write));
      open.add(write);
      issued += 1;
    }
    if (due < total) await sleep(Math.max(0, started + ((due * 1000) / options.ratePerSecond) - epochMs()));
  }
  await Promise.all(open);
  return { issued, skipped, failed, firstError, elapsedMs: epochMs() - started };
}
