import type { Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { DEFAULT_HTTP_SERVER_TIMEOUTS, type HttpServerTimeouts } from '../http/server-timeouts.ts';

/** What a slow client saw: when the server closed its connection, and the status line it answered, if any. */
export interface SlowClientOutcome {
  ms: number;
  /** "HTTP/1.1 408 Request Timeout", say; undefined when the server closed without a word. */
  statusLine?: string;
  /** False when the client gave up first (the server would have held the socket longer). */
  closedByServer: boolean;
}

/** Opens a raw connection, lets `behave` misbehave on it, and waits for the server to close it (at most giveUpMs). */
function misbehave(port: number, behave: (socket: Socket) => () => void, giveUpMs: number): Promise<SlowClientOutcome> {
  return new Promise((resolve) => {
    const started = performance.now();
    let answer = '';
    let stop: () => void = () => undefined;
    const socket = connect(port, '127.0.0.1', () => {
      stop = behave(socket);
    });
    const giveUp = setTimeout(() => {
      finish(false);
      socket.destroy();
    }, giveUpMs);
    let finished = false;
    const finish = (closedByServer: boolean) => {
      if (finished) return;
      finished = true;
      clearTimeout(giveUp);
      stop();
      const statusLine = answer.split('\r\n')[0] || undefined;
      resolve({ ms: performance.now() - started, closedByServer, ...(statusLine === undefined ? {} : { statusLine }) });
    };
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
    // A reset is a close too; what the server said, if anything, is in `answer`.
    socket.on('error', () => undefined);
    socket.on('close', () => finish(true));
  });
}

/** Connects and never sends a byte. */
export function silentClient(port: number, giveUpMs = 60_000): Promise<SlowClientOutcome> {
  return misbehave(port, () => () => undefined, giveUpMs);
}

/** Sends a request's headers promising a body of `length` bytes, then the body one byte every `everyMs`. */
export function tricklingClient(port: number, path: string, options: { method?: string; everyMs?: number; length?: number; giveUpMs?: number } = {}): Promise<SlowClientOutcome> {
  const { method = 'POST', everyMs = 200, length = 10_000, giveUpMs = 60_000 } = options;
  return misbehave(
    port,
    (socket) => {
      socket.write(`${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n{`);
      const trickle = setInterval(() => socket.write(' '), everyMs);
      return () => clearInterval(trickle);
    },
    giveUpMs,
  );
}

/** Sends one whole request on a kept-alive connection, then nothing more. */
export function idleKeptAliveClient(port: number, path: string, giveUpMs = 60_000): Promise<SlowClientOutcome> {
  return misbehave(
    port,
    (socket) => {
      socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n`);
      return () => undefined;
    },
    giveUpMs,
  );
}

// Node looks at open connections' header and request timeouts once a second, and waits a second
// past keepAliveTimeout before it closes an idle connection; half a second more for a loaded machine.
const NODE_CHECK_SLACK_MS = 1_500;

/** Short bounds for a server under test, so that the slow clients' run takes a couple of seconds. */
export const TEST_SERVER_TIMEOUTS: HttpServerTimeouts = { headersTimeoutMs: 500, requestTimeoutMs: 1_000, idleTimeoutMs: 2_000, keepAliveTimeoutMs: 300 };

/**
 * The three ways a client holds an HTTP server's socket, at once against a listening `server` (or its port):
 * connecting and saying nothing, trickling a body to `tricklePath`, and idling on a kept-alive
 * connection after a GET of `keepAlivePath`. Asserts that the server cut each off at its bound
 * (`timeouts`, as the server was given them), answering 408 where it had no request yet; resolves
 * to what each saw.
 */
export async function expectSlowClientsCutOff(
  server: Server | number,
  paths: { tricklePath: string; keepAlivePath: string },
  timeouts: HttpServerTimeouts = TEST_SERVER_TIMEOUTS,
): Promise<{ silent: SlowClientOutcome; trickling: SlowClientOutcome; idle: SlowClientOutcome }> {
  const { expect } = await import('vitest');
  const port = typeof server === 'number' ? server : (server.address() as AddressInfo).port;
  const giveUpMs = Math.max(timeouts.headersTimeoutMs, timeouts.requestTimeoutMs, timeouts.keepAliveTimeoutMs) + 10_000;
  const [silent, trickling, idle] = await Promise.all([
    silentClient(port, giveUpMs),
    tricklingClient(port, paths.tricklePath, { giveUpMs }),
    idleKeptAliveClient(port, paths.keepAlivePath, giveUpMs),
  ]);
  expect(silent, 'a client that says nothing').toMatchObject({ closedByServer: true, statusLine: 'HTTP/1.1 408 Request Timeout' });
  expect(silent.ms).toBeLessThan(timeouts.headersTimeoutMs + NODE_CHECK_SLACK_MS);
  // A route may answer before the body is in (a 404, a 415); the connection is cut all the same.
  expect(trickling, 'a client trickling its body').toMatchObject({ closedByServer: true });
  expect(trickling.ms).toBeLessThan(timeouts.requestTimeoutMs + NODE_CHECK_SLACK_MS);
  expect(idle, 'a kept-alive client gone quiet').toMatchObject({ closedByServer: true });
  expect(idle.statusLine).toMatch(/^HTTP\/1\.1 [2-5]\d\d /);
  expect(idle.ms).toBeLessThan(timeouts.keepAliveTimeoutMs + NODE_CHECK_SLACK_MS);
  return { silent, trickling, idle };
}

/** Asserts that a server has the bounds it should (by default DEFAULT_HTTP_SERVER_TIMEOUTS), as node:http holds them. */
export async function expectServerBounds(server: Server, expected: Partial<HttpServerTimeouts> = {}): Promise<void> {
  const { expect } = await import('vitest');
  const t = { ...DEFAULT_HTTP_SERVER_TIMEOUTS, ...expected };
  expect(server).toMatchObject({ headersTimeout: t.headersTimeoutMs, requestTimeout: t.requestTimeoutMs, keepAliveTimeout: t.keepAliveTimeoutMs, timeout: t.idleTimeoutMs });
}

/** What the suite needs of an HTTP app: Fastify's listen, server and close. */
export interface ListeningApp {
  listen(options: { host: string; port: number }): Promise<unknown>;
  readonly server: Server;
  close(): Promise<unknown> | unknown;
}

/**
 * The tests every HTTP server of ours gets: the slow clients cut off at the bounds it is given,
 * and its bounds when given none (`defaults`, DEFAULT_HTTP_SERVER_TIMEOUTS unless said otherwise).
 * `build` makes the app with the bounds given, or its own.
 */
export async function describeServerTimeouts(
  name: string,
  build: (serverTimeouts?: HttpServerTimeouts) => Promise<ListeningApp> | ListeningApp,
  paths: { tricklePath: string; keepAlivePath: string },
  defaults: Partial<HttpServerTimeouts> = {},
): Promise<void> {
  const { describe, it, onTestFinished } = await import('vitest');
  const listening = async (serverTimeouts?: HttpServerTimeouts) => {
    const app = await build(serverTimeouts);
    onTestFinished(async () => void (await app.close()));
    await app.listen({ host: '127.0.0.1', port: 0 });
    return app.server;
  };
  describe(name, () => {
    it(`cuts off a client that says nothing, one that trickles a body to ${paths.tricklePath}, and a kept-alive one gone quiet, each at its bound`, async () => {
      await expectSlowClientsCutOff(await listening(TEST_SERVER_TIMEOUTS), paths);
    });
    it('has its default bounds when given none', async () => {
      await expectServerBounds(await listening(), defaults);
    });
  });
}
