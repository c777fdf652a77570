import { afterEach, describe, expect, it } from 'vitest';
import { pollUntil } from '@evergreen/platform';
import { Supervisor, type ServiceSpec } from './supervisor.ts';

const node = (name: string, script: string): ServiceSpec => ({ name, cwd: process.cwd(), command: process.execPath, args: ['-e', script] });
// Stays up until SIGTERM, saying so; exits 0 then, like a service draining.
// The SIGTERM handler is in place before 'up' is printed: the test signals as soon as it reads 'up',
// and on a busy machine that could come before a handler installed after the line.
const steady = node('steady', "process.on('SIGTERM', () => { console.log('draining'); process.exit(0); }); console.log('up'); setInterval(() => {}, 1000);");
const crashing = node('crashing', "console.error('boom'); process.exit(3);");

describe('Supervisor', () => {
  let supervisor: Supervisor | undefined;
  afterEach(async () => {
    await supervisor?.stop();
    supervisor = undefined;
  });

  it('restarts a service that exits, with growing delays, and leaves the others running', async () => {
    const lines: string[] = [];
    supervisor = new Supervisor({ services: [steady, crashing], policy: { initialMs: 20, maxMs: 80, healthyAfterMs: 60_000 }, write: (line) => lines.push(line) });
    supervisor.start();
    const steadyPid = await pollUntil(() => supervisor?.pids().steady, { description: 'steady to start', timeoutMs: 20_000, intervalMs: 10 });

    await pollUntil(() => (supervisor?.restarts().crashing ?? 0) >= 4, { description: 'four restarts of the crashing service', timeoutMs: 30_000, intervalMs: 10 });

    expect(supervisor.pids().steady).toBe(steadyPid);
    expect(supervisor.restarts().steady).toBe(0);
    const delays = lines.filter((line) => line.includes('crashing exited')).map((line) => Number(/restarting in (\d+) ms/.exec(line)?.[1]));
    expect(delays.slice(0, 4)).toEqual([20, 40, 80, 80]);
    expect(lines.some((line) => line.startsWith('crashing   | boom'))).toBe(true);
  });

  it('restarts a service killed with SIGKILL', async () => {
    supervisor = new Supervisor({ services: [steady], policy: { initialMs: 10, maxMs: 10, healthyAfterMs: 60_000 }, write: () => undefined });
    supervisor.start();
    const first = await pollUntil(() => supervisor?.pids().steady, { description: 'steady to start', timeoutMs: 20_000, intervalMs: 10 });

    process.kill(first, 'SIGKILL');

    const second = await pollUntil(() => (supervisor?.restarts().steady === 1 ? supervisor.pids().steady : undefined), { description: 'a restart', timeoutMs: 20_000, intervalMs: 10 });
    expect(second).not.toBe(first);
  });

  it('stops every service with SIGTERM, letting each drain, and restarts none of them', async () => {
    const lines: string[] = [];
    supervisor = new Supervisor({ services: [steady, { ...steady, name: 'other' }], policy: { initialMs: 10, maxMs: 10, healthyAfterMs: 60_000 }, write: (line) => lines.push(line) });
    supervisor.start();
    await pollUntil(() => lines.filter((line) => line.endsWith('| up')).length === 2, { description: 'both to start', timeoutMs: 20_000, intervalMs: 10 });

    await supervisor.stop();

    expect(lines.filter((line) => line.endsWith('| draining'))).toHaveLength(2);
    expect(supervisor.restarts()).toEqual({ steady: 0, other: 0 });
  });
});
