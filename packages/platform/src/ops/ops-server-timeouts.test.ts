import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { createLogger } from '../logger/logger.ts';
import { expectSlowClientsCutOff, TEST_SERVER_TIMEOUTS } from '../testing/index.ts';
import { startOpsServer, type OpsServer } from './ops-server.ts';

let ops: OpsServer;
beforeAll(async () => {
  ops = await startOpsServer({ host: '127.0.0.1', port: 0, logger: createLogger('ops-test', 'silent'), registry: new Registry(), notReadyBecause: async () => undefined, timeouts: TEST_SERVER_TIMEOUTS });
});
afterAll(() => ops?.close());

describe("a worker's ops server (/health, /ready, /metrics)", () => {
  it('cuts off a client that says nothing, one that trickles its body, and a kept-alive one gone quiet, each at its bound', async () => {
    await expectSlowClientsCutOff(ops.port, { tricklePath: '/ready', keepAlivePath: '/health' });
  });
});
