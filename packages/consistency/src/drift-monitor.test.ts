import { Registry } from 'prom-client';
import { createLogger } from '@evergreen/platform';
import { describe, expect, it } from 'vitest';
import { startDriftMonitor } from './drift-monitor.ts';
import type { VerifyReport } from './verify.ts';

const report: VerifyReport = {
  projection: 'user-cache',
  checked: 120,
  counts: { missing: 2, stale: 1, mismatch: 0, orphan: 0, resurrected: 0 },
  drifted: [],
  seconds: 0.5,
};

describe('startDriftMonitor', () => {
  it('exports the last run: drift per kind, entries checked, and when it completed', async () => {
    const registry = new Registry();
    const monitor = startDriftMonitor({ verify: async () => [report], intervalMs: 3_600_000, registry, logger: createLogger('test', 'silent') });

    await monitor.runOnce();
    await monitor.stop();

    const text = await registry.metrics();
    expect(text).toContain('evergreen_drift_entries{projection="user-cache",kind="missing"} 2');
    expect(text).toContain('evergreen_drift_entries{projection="user-cache",kind="stale"} 1');
    expect(text).toContain('evergreen_drift_entries{projection="user-cache",kind="orphan"} 0');
    expect(text).toContain('evergreen_drift_checked_entries{projection="user-cache"} 120');
    const last = Number(/evergreen_drift_last_run_timestamp_seconds\{projection="user-cache"\} (\S+)/.exec(text)?.[1]);
    expect(Math.abs(last - Date.now() / 1000)).toBeLessThan(5);
  });

  it('keeps the last figures when a run fails', async () => {
    const registry = new Registry();
    let fail = false;
    const monitor = startDriftMonitor({
      verify: async () => {
        if (fail) throw new Error('postgres is away');
        return [report];
      },
      intervalMs: 3_600_000,
      registry,
      logger: createLogger('test', 'silent'),
    });
    await monitor.runOnce();
    fail = true;

    await expect(monitor.runOnce()).rejects.toThrow('postgres is away');
    await monitor.stop();

    expect(await registry.metrics()).toContain('evergreen_drift_entries{projection="user-cache",kind="missing"} 2');
  });
});
