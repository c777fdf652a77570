import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SERVER = join(dirname(fileURLToPath(import.meta.url)), 'server.ts');

describe('server start-up', () => {
  it.each([
    ['EVERGREEN_READ_YOUR_WRITES_TIMEOUT_MS', 'soon'],
    ['EVERGREEN_API_PORT', '99999'],
    // Set but empty counts as missing, not as a host to listen on.
    ['EVERGREEN_API_HOST', ''],
  ])('stops at once with exit code 78 and a message naming %s=%j', async (variable, value) => {
    const outcome = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      execFile(process.execPath, ['--import', 'tsx', SERVER], { env: { ...process.env, [variable]: value }, timeout: 30_000 }, (error, _stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stderr });
      });
    });

    expect(outcome.code).toBe(78);
    expect(outcome.stderr).toContain(`configuration: ${variable}:`);
    // Starting tsx and loading the server's modules takes seconds on a busy machine; the child's own bound is 30 s.
  }, 35_000);
});
