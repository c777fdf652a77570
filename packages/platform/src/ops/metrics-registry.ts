import { collectDefaultMetrics, Registry } from 'prom-client';

/**
 * A Prometheus registry for one process, with Node's default metrics (CPU, memory, event-loop lag,
 * GC) in it: every service starts from the same ones, then adds its own.
 */
export function processMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}
