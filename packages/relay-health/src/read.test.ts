import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { readConnector, readHeartbeat, readSlot, type Queryable } from './read.ts';

/** A database that answers every query with these rows, or throws this error. */
function fakeDb(answer: Array<Record<string, unknown>> | Error): Queryable {
  return {
    async query<R extends pg.QueryResultRow>(): Promise<pg.QueryResult<R>> {
      if (answer instanceof Error) throw answer;
      return { rows: answer as R[], command: 'SELECT', rowCount: answer.length, oid: 0, fields: [] };
    },
  };
}

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    // Including the request left hanging and fetch's kept-alive connections.
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

/** A Kafka Connect stand-in answering GET /connectors/<name>/status. */
async function connect(handler: (name: string) => { status: number; body?: unknown } | 'hang'): Promise<string> {
  const server = createServer((request, response) => {
    const name = decodeURIComponent(/^\/connectors\/([^/]+)\/status$/.exec(request.url ?? '')?.[1] ?? '');
    const answer = handler(name);
    if (answer === 'hang') return;
    response.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body ?? {}));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const target = (connectUrl: string) => ({ connectUrl, connectorName: 'evergreen-outbox', slotName: 'evergreen_outbox' });

describe('readConnector', () => {
  it("reads the connector's and its tasks' states from Kafka Connect", async () => {
    const url = await connect((name) => ({
      status: 200,
      body: { name, connector: { state: 'RUNNING', worker_id: 'w' }, tasks: [{ id: 0, state: 'FAILED', worker_id: 'w', trace: 'boom' }], type: 'source' },
    }));
    expect(await readConnector(target(url))).toEqual({ kind: 'found', name: 'evergreen-outbox', state: 'RUNNING', tasks: [{ id: 0, state: 'FAILED', trace: 'boom' }] });
  });

  it('tells a connector Connect does not know from a Connect that does not answer', async () => {
    const url = await connect(() => ({ status: 404 }));
    expect(await readConnector(target(url))).toEqual({ kind: 'missing', name: 'evergreen-outbox' });

    const hanging = await connect(() => 'hang');
    const reading = await readConnector(target(hanging), 200);
    expect(reading).toMatchObject({ kind: 'unreadable', name: 'evergreen-outbox' });
    expect(reading.kind === 'unreadable' && reading.error).toContain('did not answer GET /connectors/evergreen-outbox/status within 200 ms');
    expect(reading).toMatchObject({ reason: 'connect: timeout' });
  });
});

describe('readSlot', () => {
  it('turns the byte counts PostgreSQL gives as text into numbers', async () => {
    const db = fakeDb([{ database: 'evergreen', active: true, active_pid: 10, wal_status: 'extended', lag_bytes: '824', retained_bytes: '4520', safe_wal_size: '4303303632' }]);
    expect(await readSlot(db, 'evergreen_outbox')).toEqual({
      kind: 'found',
      name: 'evergreen_outbox',
      database: 'evergreen',
      active: true,
      activePid: 10,
      walStatus: 'extended',
      lagBytes: 824,
      retainedWalBytes: 4520,
      safeWalSizeBytes: 4_303_303_632,
    });
  });

  it('keeps what a lost slot no longer has as null, and says when there is no slot or no answer', async () => {
    const lost = await readSlot(fakeDb([{ database: 'evergreen', active: false, active_pid: null, wal_status: 'lost', lag_bytes: '120', retained_bytes: null, safe_wal_size: null }]), 'evergreen_outbox');
    expect(lost).toMatchObject({ kind: 'found', walStatus: 'lost', retainedWalBytes: null, safeWalSizeBytes: null });
    expect(await readSlot(fakeDb([]), 'evergreen_outbox')).toEqual({ kind: 'missing', name: 'evergreen_outbox' });
    expect(await readSlot(fakeDb(new Error('Connection terminated')), 'evergreen_outbox')).toEqual({ kind: 'unreadable', name: 'evergreen_outbox', error: 'Connection terminated', reason: 'postgres: unavailable' });
  });
});

describe('readHeartbeat', () => {
  it('reads the age of the last beat, and says when there is none', async () => {
    const beatAt = new Date('2026-01-01T00:00:00Z');
    expect(await readHeartbeat(fakeDb([{ beat_at: beatAt, age_seconds: 4.5 }]))).toEqual({ kind: 'found', beatAt, ageSeconds: 4.5 });
    expect(await readHeartbeat(fakeDb([]))).toMatchObject({ kind: 'missing' });
    const noTable = Object.assign(new Error('relation "debezium_heartbeat" does not exist'), { code: '42P01' });
    expect(await readHeartbeat(fakeDb(noTable))).toMatchObject({ kind: 'missing', why: expect.stringContaining('db:migrate') });
    expect(await readHeartbeat(fakeDb(new Error('timeout')))).toEqual({ kind: 'unreadable', error: 'timeout', reason: 'postgres: failed' });
  });
});
