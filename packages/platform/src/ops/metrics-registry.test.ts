import { describe, expect, it } from 'vitest';
import { processMetricsRegistry } from './metrics-registry.ts';

describe('processMetricsRegistry', () => {
  it("holds Node's default process metrics, in a registry of its own each time", async () => {
    const first = processMetricsRegistry();
    const second = processMetricsRegistry();

    const text = await first.metrics();

    expect(text).toContain('process_cpu_user_seconds_total');
    expect(text).toContain('nodejs_eventloop_lag_seconds');
    expect(first).not.toBe(second);
  });
});
