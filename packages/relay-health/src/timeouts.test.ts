import { startScratchHttpServer, timed, type ScratchHttpServer } from '@evergreen/platform/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readConnector } from './read.ts';

/** The relay monitor's and the console's reading of the connector, against a Kafka Connect frozen with SIGSTOP. */
let connect: ScratchHttpServer;
beforeAll(async () => {
  connect = await startScratchHttpServer({ 'GET /connectors/evergreen-outbox/status': { status: 200, body: { name: 'evergreen-outbox', connector: { state: 'RUNNING' }, tasks: [] } } });
});
afterAll(() => connect?.stop());

describe('readConnector against a Kafka Connect that accepts the connection and never answers', () => {
  it('says unreadable within its default bound (5 s), naming the timeout', async () => {
    const target = { connectUrl: connect.url, connectorName: 'evergreen-outbox', slotName: 'evergreen_outbox' };
    expect(await readConnector(target)).toMatchObject({ kind: 'found', state: 'RUNNING' });

    const { ms, result } = await connect.process.whilePaused(() => timed(() => readConnector(target), 'relay monitor reading the connector, Connect frozen'));

    expect(result).toMatchObject({ kind: 'unreadable', name: 'evergreen-outbox' });
    expect(result?.kind === 'unreadable' && result.error).toContain('within 5000 ms');
    expect(ms).toBeGreaterThanOrEqual(4_980);
    expect(ms).toBeLessThan(6_000);
  }, 15_000);
});
