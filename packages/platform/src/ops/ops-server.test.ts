import { Registry, Counter } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../logger/logger.ts';
import { startOpsServer, type OpsServer } from './ops-server.ts';

let server: OpsServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(notReadyBecause: () => Promise<string | undefined>, notLiveBecause?: () => string | undefined) {
  const registry = new Registry();
  new Counter({ name: 'evergreen_test_total', help: 'a test counter', registers: [registry] }).inc(3);
  server = await startOpsServer({ host: '127.0.0.1', port: 0, logger: createLogger('test', 'silent'), registry, notReadyBecause, notLiveBecause, details: () => ({ applied: 7 }) });
  return (path: string) => fetch(`http://127.0.0.1:${server?.port}${path}`);
}

describe('the ops server', () => {
  it('answers /health with its details and /metrics in the Prometheus format', async () => {
    const get = await start(async () => undefined);
    expect(await (await get('/health')).json()).toEqual({ status: 'ok', applied: 7 });
    const metrics = await get('/metrics');
    expect(metrics.headers.get('content-type')).toContain('text/plain');
    expect(await metrics.text()).toContain('evergreen_test_total 3');
  });

  it('answers /ready with 503 and the reason while a dependency is down, 200 once it is back', async () => {
    let reason: string | undefined = 'redis: connection refused';
    const get = await start(async () => reason);
    const down = await get('/ready');
    expect(down.status).toBe(503);
    expect(await down.json()).toEqual({ status: 'not ready', reason: 'redis: connection refused' });
    reason = undefined;
    expect((await get('/ready')).status).toBe(200);
  });

  it('answers /health with 503 and the reason once the process can no longer work (it is about to be restarted)', async () => {
    let dead: string | undefined;
    const get = await start(async () => undefined, () => dead);
    expect((await get('/health')).status).toBe(200);
    dead = 'the kafkajs consumer crashed and will not restart';
    const response = await get('/health');
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ status: 'not live', reason: 'the kafkajs consumer crashed and will not restart', applied: 7 });
  });

  it('turns a readiness check that throws into 503 with a fixed reason, and logs the error instead of answering it', async () => {
    const logged: unknown[] = [];
    const logger = createLogger('test', 'silent');
    logger.warn = ((fields: unknown) => void logged.push(fields)) as typeof logger.warn;
    server = await startOpsServer({
      host: '127.0.0.1',
      port: 0,
      logger,
      registry: new Registry(),
      notReadyBecause: async () => {
        throw new Error('connect ECONNREFUSED db.internal:5432 (postgres://evergreen:s3cret@db.internal/evergreen)');
      },
    });
    const response = await fetch(`http://127.0.0.1:${server.port}/ready`);
    expect(response.status).toBe(503);
    const body = await response.text();
    expect(JSON.parse(body)).toEqual({ status: 'not ready', reason: 'readiness check failed' });
    expect(body).not.toMatch(/s3cret|db\.internal|ECONNREFUSED/);
    expect(logged).toEqual([expect.objectContaining({ err: expect.objectContaining({ message: expect.stringContaining('s3cret') }) })]);
  });
});
