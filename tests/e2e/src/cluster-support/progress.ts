import { consumerRecords } from '../support/chaos/scenario.ts';

/**
 * Watches the cache populators' applied-record counters (every instance's /metrics) and keeps the
 * longest time between two moments at which the cache moved on: the time without progress a fault
 * caused, under a load that never pauses. The stretch after the load ends never closes (nothing
 * more to apply), so it is not counted.
 */
export class ProgressMeter {
  private readonly last = new Map<number, number>();
  private total = 0;
  private lastProgressAt: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  longestStallMs = 0;

  constructor(
    private readonly opsPorts: readonly number[],
    private readonly intervalMs = 100,
  ) {}

  start(): void {
    this.longestStallMs = 0;
    this.lastProgressAt = undefined;
    this.timer = setInterval(() => void this.sample(), this.intervalMs);
  }

  stop(): number {
    clearInterval(this.timer);
    return this.longestStallMs;
  }

  private async sample(): Promise<void> {
    const now = performance.now();
    let grew = false;
    await Promise.all(
      this.opsPorts.map(async (port) => {
        const value = await consumerRecords(port, 'applied').catch(() => undefined);
        // An instance down is no reading; one that restarted counts again from zero.
        if (value === undefined) return;
        const before = this.last.get(port);
        this.last.set(port, value);
        if (before === undefined) return;
        const added = value >= before ? value - before : value;
        if (added > 0) {
          this.total += added;
          grew = true;
        }
      }),
    );
    if (!grew) return;
    if (this.lastProgressAt !== undefined) this.longestStallMs = Math.max(this.longestStallMs, now - this.lastProgressAt);
    this.lastProgressAt = now;
  }
}
