import { classify, EvergreenError } from '@evergreen/errors';
import { startScratchHttpServer, timed, type ScratchHttpServer } from '@evergreen/platform/testing';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { connectorStatus, restartConnector } from './apply.ts';

/**
 * Connect's REST API as a stand-in in a process of its own, frozen with SIGSTOP: the worker
 * accepts the connection and never answers. Every call fails with TIMEOUT naming connect within
 * the bound it was given, not only the caller's wait for it.
 */
const NAME = 'evergreen-outbox';
const RUNNING = { name: NAME, connector: { state: 'RUNNING' }, tasks: [{ id: 0, state: 'RUNNING' }] };

let connect: ScratchHttpServer;
beforeAll(async () => {
  connect = await startScratchHttpServer({
    [`GET /connectors/${NAME}/status`]: { status: 200, body: RUNNING },
    [`POST /connectors/${NAME}/restart?includeTasks=true`]: { status: 204, body: null },
  });
});
afterAll(() => connect?.stop());

const TIMEOUT_MS = 500;
// Generous: these run beside every other test on two cores; a wait without a bound would take for ever.
const SLACK_MS = 1_000;

function expectTimeout(error: unknown): void {
  expect(error).toBeInstanceOf(EvergreenError);
  expect(classify(error)).toMatchObject({ code: 'TIMEOUT', disposition: 'transient', dependency: 'connect' });
}

describe("Kafka Connect's REST API, frozen", () => {
  it('answers while it runs', async () => {
    await expect(connectorStatus(connect.url, NAME)).resolves.toEqual(RUNNING);
    await expect(restartConnector(connect.url, NAME)).resolves.toBe(true);
  });

  it('fails a status read within its bound', async () => {
    const { ms, error } = await connect.process.whilePaused(() => timed(() => connectorStatus(connect.url, NAME, { timeoutMs: TIMEOUT_MS })));

    expectTimeout(error);
    expect((error as Error).message).toContain(`did not answer GET /connectors/${NAME}/status within ${TIMEOUT_MS} ms`);
    expect(ms).toBeLessThan(TIMEOUT_MS + SLACK_MS);
  });

  it("fails an operator's restart within its bound", async () => {
    const { ms, error } = await connect.process.whilePaused(() => timed(() => restartConnector(connect.url, NAME, undefined, { timeoutMs: TIMEOUT_MS })));

    expectTimeout(error);
    expect(ms).toBeLessThan(TIMEOUT_MS + SLACK_MS);
  });

  it('bounds a group that keeps answering 409 (rebalancing) by the same deadline', async () => {
    const rebalancing = await startScratchHttpServer({ [`GET /connectors/${NAME}/status`]: { status: 409, body: { error_code: 409, message: 'Cannot complete request momentarily due to stale configuration (typically caused by a concurrent config change)' } } });
    onTestFinished(() => rebalancing.stop());

    const { ms, error } = await timed(() => connectorStatus(rebalancing.url, NAME, { timeoutMs: 1_200 }));

    expectTimeout(error);
    expect(ms).toBeLessThan(1_200 + SLACK_MS);
  });

  it('says DEPENDENCY_UNAVAILABLE, naming connect, when nothing listens', async () => {
    const gone = await startScratchHttpServer({});
    await gone.stop();

    const error = await connectorStatus(gone.url, NAME, { timeoutMs: TIMEOUT_MS }).catch((failure: unknown) => failure);

    expect(classify(error)).toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE', dependency: 'connect' });
  });
});
