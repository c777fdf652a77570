/** How the supervisor waits before restarting a service that exited. */
export interface RestartPolicy {
  /** The first restart's delay. */
  initialMs: number;
  /** No delay grows past this. */
  maxMs: number;
  /** A service that ran this long before exiting starts its count of failures again. */
  healthyAfterMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = { initialMs: 500, maxMs: 30_000, healthyAfterMs: 60_000 };

/**
 * The delay before restart number `failures` (1 for the first) in a row: doubling from initialMs,
 * capped at maxMs, so a crash loop (a dependency down for minutes) costs little and a single crash
 * is mended at once.
 */
export function restartDelayMs(policy: RestartPolicy, failures: number): number {
  return Math.min(policy.maxMs, policy.initialMs * 2 ** Math.max(0, failures - 1));
}

/** Failures in a row after an exit: reset by a run that lasted healthyAfterMs. */
export function failuresAfterExit(policy: RestartPolicy, failuresBefore: number, ranForMs: number): number {
  return ranForMs >= policy.healthyAfterMs ? 1 : failuresBefore + 1;
}
