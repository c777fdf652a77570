import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { pollUntil } from '@evergreen/platform';
import { memoryOf } from './memory.ts';

describe('memoryOf', () => {
  it('is undefined for a component that is not running', () => {
    expect(memoryOf(undefined)).toBeUndefined();
  });

  it('sums the resident memory of a process and its children', async () => {
    const parent = spawn('sh', ['-c', 'sleep 30 & sleep 30 & wait'], { stdio: 'ignore', detached: true });
    try {
      const pid = parent.pid as number;
      const tree = await pollUntil(() => {
        const memory = memoryOf(pid);
        return memory && memory.processes === 3 ? memory : undefined;
      }, { description: 'the shell and its two sleeps', timeoutMs: 5_000, intervalMs: 20 });
      const alone = memoryOf(process.pid);
      expect(tree.rssKiB).toBeGreaterThan(0);
      expect(tree.peakKiB).toBeGreaterThanOrEqual(tree.rssKiB);
      // Shared pages (the sh binary, libc) are divided among the three, never counted more than once.
      expect(tree.pssKiB).toBeGreaterThan(0);
      expect(tree.pssKiB).toBeLessThanOrEqual(tree.rssKiB);
      expect(alone?.processes).toBeGreaterThanOrEqual(1);
    } finally {
      // Detached, so the shell leads its own process group and the sleeps go with it.
      process.kill(-(parent.pid as number), 'SIGKILL');
    }
  });
});
