import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../logger/logger.ts';
import { expectSlowClientsCutOff, TEST_SERVER_TIMEOUTS, timed } from '../testing/index.ts';
import { startOpsServer, type OpsServer } from './ops-server.ts';

let ops: OpsServer;
// A readiness check that never settles: what a route stuck on a dependency without a bound was.
let hang = false;
beforeAll(async () => {
  ops = await startOpsServer({
    host: '127.0.0.1',
    port: 0,
    logger: createLogger('ops-test', 'silent'),
    registry: new Registry(),
    notReadyBecause: () => (hang ? new Promise<never>(() => undefined) : Promise.resolve(undefined)),
    timeouts: TEST_SERVER_TIMEOUTS,
  });
});
afterAll(() => ops?.close());

describe("a worker's ops server (/health, /ready, /metrics)", () => {
  it('cuts off a client that says nothing, one that trickles its body, and a kept-alive one gone quiet, each at its bound', async () => {
    await expectSlowClientsCutOff(ops.port, { tricklePath: '/ready', keepAlivePath: '/health' });
  });

  it('closes a connection whose request has had no answer for the idle timeout', async () => {
    hang = true;
    const { ms, error } = await timed(() => fetch(`http://127.0.0.1:${ops.port}/ready`).then((response) => response.text()), 'ops server, a request without an answer, idle timeout 2 s');
    hang = false;

    expect(error).toBeInstanceOf(Error);
    expect(ms).toBeGreaterThanOrEqual(TEST_SERVER_TIMEOUTS.idleTimeoutMs - 20);
    expect(ms).toBeLessThan(TEST_SERVER_TIMEOUTS.idleTimeoutMs + 500);
  });
});
