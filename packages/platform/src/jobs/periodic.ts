export interface PeriodicJobOptions<T> {
  run(): Promise<T>;
  intervalMs: number;
  /** Told why a scheduled run failed; the next one comes an interval later all the same. */
  onError(error: unknown): void;
}

export interface PeriodicJob<T> {
  /** Runs now (also what the interval does); a call while a run is under way joins that run. */
  runOnce(): Promise<T>;
  /** No more runs; resolves once the one under way, if any, ended. */
  stop(): Promise<void>;
}

/**
 * Runs `run` every `intervalMs`, counted from the end of the previous run (the first one interval
 * after the start), until stopped. Runs never overlap, and the timer never keeps the process alive.
 */
export function startPeriodicJob<T>(options: PeriodicJobOptions<T>): PeriodicJob<T> {
  let running: Promise<T> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  const runOnce = (): Promise<T> => {
    running ??= options.run().finally(() => {
      running = undefined;
    });
    return running;
  };

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      runOnce()
        .catch((error: unknown) => options.onError(error))
        .finally(schedule);
    }, options.intervalMs);
    timer.unref();
  };
  schedule();

  return {
    runOnce,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running?.catch(() => undefined);
    },
  };
}
