import { classify, reasonOf } from '@evergreen/errors';

/** A partition retrying the same records: since when, from which offset, at which step, and why. */
export interface StuckPartition {
  topic: string;
  partition: number;
  /** When its first failed attempt at these records happened (ms since the epoch). */
  sinceMs: number;
  /** The first offset of the records being retried. */
  offset: string;
  step: string;
  /**
   * The last failure as a client may read it: its code, and the dependency it names (e.g.
   * `dependency-unavailable (redis)`), never its text, which may quote a host or a connection
   * string; the text is in the log line of each retry.
   */
  error: string;
}

/** The default of EVERGREEN_CONSUMER_STUCK_AFTER_MS: retrying one record longer than this is not a blip. */
export const DEFAULT_STUCK_AFTER_MS = 60_000;

const keyOf = (topic: string, partition: number) => `${topic}\u0000${partition}`;

/**
 * Which partitions are retrying and for how long. A transient failure is retried for as long as it
 * lasts, and nothing past it is committed: right for a store that restarts, but a record that fails
 * every time (Redis WRONGTYPE on its key, a dead-letter topic that does not exist, a sink bug)
 * stops its partition for good while everything else looks fine. Past a limit, readiness says so.
 */
export class StuckTracker {
  private readonly retrying = new Map<string, StuckPartition>();

  /** An attempt at the records from `offset` failed; the clock starts at the first failure and runs until they pass. */
  failed(topic: string, partition: number, offset: string, step: string, error: unknown, nowMs = Date.now()): void {
    const key = keyOf(topic, partition);
    const { code, dependency } = classify(error);
    const message = dependency === undefined ? reasonOf(code) : `${reasonOf(code)} (${dependency})`;
    const current = this.retrying.get(key);
    if (current && current.offset === offset) {
      this.retrying.set(key, { ...current, step, error: message });
      return;
    }
    this.retrying.set(key, { topic, partition, sinceMs: nowMs, offset, step, error: message });
  }

  /** The partition's records passed (or it is no longer worked on here: stopping, handed over). */
  recovered(topic: string, partition: number): void {
    this.retrying.delete(keyOf(topic, partition));
  }

  clear(): void {
    this.retrying.clear();
  }

  snapshot(): StuckPartition[] {
    return [...this.retrying.values()];
  }

  /** Each partition retrying for longer than `limitMs`, in words. */
  problems(limitMs: number, nowMs = Date.now()): string[] {
    return this.snapshot()
      .filter((stuck) => nowMs - stuck.sinceMs > limitMs)
      .map((stuck) => `${stuck.topic}/${stuck.partition} has been retrying from offset ${stuck.offset} for ${Math.round((nowMs - stuck.sinceMs) / 1000)} s (${stuck.step}: ${stuck.error})`);
  }
}
