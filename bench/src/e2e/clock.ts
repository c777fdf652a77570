/**
 * Milliseconds since the epoch, with sub-millisecond resolution, from this host's clock: the same
 * clock the broker stamps LogAppendTime with, since every component runs on this machine.
 */
export const epochMs = (): number => performance.timeOrigin + performance.now();

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
