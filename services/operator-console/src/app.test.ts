import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { RefusedError } from '@evergreen/consumer/dlq';
import { createLogger } from '@evergreen/platform';
import { buildApp } from './app.ts';
import { allowedHosts } from './host-guard.ts';
import type { ConsoleSources, DeadLetterQuery, ReplayRequest } from './sources.ts';
import type { DriftView } from './views.ts';

const TOKEN = 'a-long-random-test-token';
const JSON_TYPE = { 'content-type': 'application/json' };
const BEARER = { authorization: `Bearer ${TOKEN}` };

/** A fake of the sources that records the actions it was asked for. */
function fakeSources(overrides: Partial<ConsoleSources> = {}) {
  const calls: string[] = [];
  const idle: DriftView = { last: null, running: null };
  const sources: ConsoleSources = {
    components: async () => [{ kind: 'stack', name: 'Kafka', healthy: true, state: 'up', detail: '127.0.0.1:19092' }],
    relay: async () => [],
    consumers: () => ({ sampledAt: null, unreachable: [], stuck: [], partitions: [], rates: [], latency: [] }),
    deadLetters: async (query: DeadLetterQuery) => {
      calls.push(`list ${JSON.stringify(query)}`);
      return { topics: [] };
    },
    schemas: async () => [{ subject: 'evergreen.user-UserRegistered', versions: [1, 2], compatibility: 'BACKWARD' }],
    drift: () => idle,
    restartConnector: async (name: string, task?: number) => {
      calls.push(`restart ${name} ${task ?? '-'}`);
      return name === 'evergreen-outbox';
    },
    replay: async (request: ReplayRequest) => {
      calls.push(`replay ${request.topic} ${request.positions.map((position) => `${position.partition}:${position.offset}`).join(',')}`);
      return { topic: request.topic, replayed: [] };
    },
    park: async (request) => {
      calls.push(`park ${request.group} ${request.topic}:${request.partition}:${request.offset}`);
      return { ...request, committed: String(BigInt(request.offset) + 1n) };
    },
    verify: async () => {
      calls.push('verify');
      return idle;
    },
    repair: async () => {
      calls.push('repair');
      return idle;
    },
    ...overrides,
  };
  return { sources, calls };
}

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

function start(options: { token?: string | undefined; sources?: ConsoleSources; bindHost?: string; listedHosts?: string[] } = {}) {
  const fake = fakeSources();
  const hosts = allowedHosts(options.bindHost ?? '127.0.0.1', options.listedHosts);
  app = buildApp({ sources: options.sources ?? fake.sources, token: 'token' in options ? options.token : TOKEN, logger: createLogger('console-test', 'silent'), allowedHosts: hosts });
  return { app, calls: fake.calls };
}

describe('the page and the read-only endpoints', () => {
  it('serves the page with headers that keep it from being framed or loading foreign scripts', async () => {
    const { app } = start();
    const page = await app.inject({ method: 'GET', url: '/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.body).toContain('<script type="module" src="/console.js">');
    expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect((await app.inject({ method: 'GET', url: '/console.js' })).headers['content-type']).toContain('text/javascript');
  });

  it('answers the GET endpoints without a token, from the sources', async () => {
    const { app } = start();
    expect((await app.inject({ method: 'GET', url: '/api/components' })).json()).toEqual([{ kind: 'stack', name: 'Kafka', healthy: true, state: 'up', detail: '127.0.0.1:19092' }]);
    expect((await app.inject({ method: 'GET', url: '/api/schemas' })).json()).toEqual([{ subject: 'evergreen.user-UserRegistered', versions: [1, 2], compatibility: 'BACKWARD' }]);
    expect((await app.inject({ method: 'GET', url: '/api/drift' })).json()).toEqual({ last: null, running: null });
  });

  it('passes the dead-letter filters on, with the default limit, and refuses a bad one naming the field', async () => {
    const { app, calls } = start();
    expect((await app.inject({ method: 'GET', url: '/api/dead-letters?aggregate=user&group=g1' })).statusCode).toBe(200);
    expect(calls).toEqual([`list ${JSON.stringify({ aggregate: 'user', group: 'g1', limit: 100 })}`]);
    const bad = await app.inject({ method: 'GET', url: '/api/dead-letters?aggregate=User!' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors).toEqual([expect.objectContaining({ field: 'aggregate' })]);
  });

  it('answers only to loopback host names while it listens on loopback (no DNS rebinding)', async () => {
    const { app } = start();
    for (const host of ['127.0.0.1:3006', 'localhost:3006', '[::1]:3006', 'LOCALHOST']) expect((await app.inject({ method: 'GET', url: '/api/components', headers: { host } })).statusCode, host).toBe(200);
    const rebound = await app.inject({ method: 'GET', url: '/api/dead-letters', headers: { host: 'attacker.example:3006' } });
    expect(rebound.statusCode).toBe(421);
    expect(rebound.headers['content-type']).toContain('application/problem+json');
    expect(rebound.json().detail).toContain('Host attacker.example:3006');
    // Where the console may be reached is the operator's to know, not a stranger's.
    expect(rebound.body).not.toContain('localhost');
  });

  it('keeps the allow-list on when it listens on every interface: loopback only until told its names', async () => {
    const { app } = start({ bindHost: '0.0.0.0' });
    for (const url of ['/', '/api/components', '/api/dead-letters', '/health']) {
      expect((await app.inject({ method: 'GET', url, headers: { host: 'console.internal:3006' } })).statusCode, url).toBe(421);
      expect((await app.inject({ method: 'GET', url, headers: { host: 'attacker.example' } })).statusCode, url).toBe(421);
      expect((await app.inject({ method: 'GET', url, headers: { host: '127.0.0.1:3006' } })).statusCode, url).toBe(200);
    }
    const action = await app.inject({ method: 'POST', url: '/api/drift/verify', payload: {}, headers: { ...BEARER, host: 'attacker.example' } });
    expect(action.statusCode).toBe(421);
  });

  it('reads nothing for a request it refuses: the route behind a refused Host never runs', async () => {
    const { app, calls } = start();
    const logged: string[] = [];
    app.addHook('onResponse', async (_request, reply) => void logged.push(String(reply.statusCode)));

    const response = await app.inject({ method: 'GET', url: '/api/dead-letters', headers: { host: 'rebound.attacker.example' } });

    expect(response.statusCode).toBe(421);
    expect(calls).toEqual([]);
    expect(logged).toEqual(['421']);
  });

  it('answers exactly the names EVERGREEN_CONSOLE_ALLOWED_HOSTS lists, whatever it is bound to', async () => {
    const { app } = start({ bindHost: '0.0.0.0', listedHosts: ['console.internal', 'operator-console'] });
    expect((await app.inject({ method: 'GET', url: '/api/components', headers: { host: 'console.internal:3006' } })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/api/components', headers: { host: 'operator-console:3006' } })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/api/components', headers: { host: 'localhost:3006' } })).statusCode).toBe(421);
    expect((await app.inject({ method: 'GET', url: '/api/components', headers: { host: 'console.internal.attacker.example' } })).statusCode).toBe(421);
  });

  it('says which source could not be read and its state, as a problem, never the error text', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 10.1.2.3:19092 (sasl user evergreen, password s3cret)'), { code: 'ECONNREFUSED' });
    const { sources } = fakeSources({ deadLetters: () => Promise.reject(refused), schemas: () => Promise.reject(new DOMException('The operation was aborted due to timeout', 'TimeoutError')) });
    const { app } = start({ sources });
    const response = await app.inject({ method: 'GET', url: '/api/dead-letters' });
    expect(response.statusCode).toBe(502);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.json().detail).toBe('could not read the dead letters: kafka: unavailable');
    expect(response.body).not.toMatch(/10\.1\.2\.3|s3cret|ECONNREFUSED/);
    expect((await app.inject({ method: 'GET', url: '/api/schemas' })).json().detail).toBe('could not read the schemas: registry: timeout');
  });
});

describe('the actions', () => {
  const actions = [
    { url: '/api/connectors/evergreen-outbox/restart', payload: {}, call: 'restart evergreen-outbox -' },
    { url: '/api/dead-letters/replay', payload: { topic: 'evergreen.user.dlq', positions: ['2:17', '0:3'] }, call: 'replay evergreen.user.dlq 2:17,0:3' },
    { url: '/api/consumers/park', payload: { group: 'evergreen-activity-log', topic: 'evergreen.user', partition: 4, offset: '1702' }, call: 'park evergreen-activity-log evergreen.user:4:1702' },
    { url: '/api/drift/verify', payload: {}, call: 'verify' },
    { url: '/api/drift/repair', payload: {}, call: 'repair' },
  ];

  it.each(actions)('$url runs with the token, a JSON body and no foreign origin', async ({ url, payload, call }) => {
    const { app, calls } = start();
    const response = await app.inject({ method: 'POST', url, payload, headers: { ...BEARER, origin: 'http://localhost:80', 'sec-fetch-site': 'same-origin' } });
    expect(response.statusCode, response.body).toBe(200);
    expect(calls).toEqual([call]);
  });

  it.each(actions)('$url answers 401 without the token or with a wrong one, and does nothing', async ({ url, payload }) => {
    const { app, calls } = start();
    const without = await app.inject({ method: 'POST', url, payload });
    expect(without.statusCode).toBe(401);
    expect(without.headers['www-authenticate']).toContain('Bearer');
    expect(without.json().detail).toContain('Authorization: Bearer');
    const wrong = await app.inject({ method: 'POST', url, payload, headers: { authorization: `Bearer ${TOKEN}x` } });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().detail).toContain('not it');
    expect(calls).toEqual([]);
  });

  it.each(actions)('$url answers 403 to a cross-site request even with the token', async ({ url, payload }) => {
    const { app, calls } = start();
    for (const headers of [{ 'sec-fetch-site': 'cross-site' }, { 'sec-fetch-site': 'same-site' }, { origin: 'https://evil.example' }]) {
      const response = await app.inject({ method: 'POST', url, payload, headers: { ...BEARER, ...headers } });
      expect(response.statusCode).toBe(403);
      expect(response.json().type).toContain('cross-site-request');
    }
    expect(calls).toEqual([]);
  });

  it('refuses a body that is not JSON (what a cross-site form can send) with 415', async () => {
    const { app, calls } = start();
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const response = await app.inject({ method: 'POST', url: '/api/drift/verify', payload: '{}', headers: { ...BEARER, 'content-type': type } });
      expect(response.statusCode).toBe(415);
    }
    expect(calls).toEqual([]);
  });

  it('is disabled without a configured token, saying how to enable it', async () => {
    const { app, calls } = start({ token: undefined });
    const response = await app.inject({ method: 'POST', url: '/api/drift/verify', payload: {}, headers: BEARER });
    expect(response.statusCode).toBe(403);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.json().detail).toContain('EVERGREEN_CONSOLE_TOKEN=');
    expect(calls).toEqual([]);
  });

  it('refuses a replay naming bad fields with 400, and replays nothing', async () => {
    const { app, calls } = start();
    const cases: Array<[unknown, string]> = [
      [{ topic: 'evergreen.user', positions: ['1:2'] }, 'topic'],
      [{ topic: 'evergreen.user.dlq', positions: [] }, 'positions'],
      [{ topic: 'evergreen.user.dlq', positions: ['17'] }, 'positions.0'],
      [{ topic: 'evergreen.user.dlq' }, 'positions'],
      [{ topic: 'evergreen.user.dlq', positions: ['1:2'], force: true }, 'force'],
    ];
    for (const [payload, field] of cases) {
      const response = await app.inject({ method: 'POST', url: '/api/dead-letters/replay', payload: payload as object, headers: { ...BEARER, ...JSON_TYPE } });
      expect(response.statusCode, JSON.stringify(payload)).toBe(400);
      expect(response.json().errors.map((error: { field: string }) => error.field)).toContain(field);
    }
    expect(calls).toEqual([]);
  });

  it('refuses a park naming bad fields with 400, and parks nothing', async () => {
    const { app, calls } = start();
    const valid = { group: 'evergreen-activity-log', topic: 'evergreen.user', partition: 4, offset: '1702' };
    const cases: Array<[unknown, string]> = [
      [{ ...valid, offset: '-1' }, 'offset'],
      [{ ...valid, partition: -1 }, 'partition'],
      [{ ...valid, topic: 'ever green' }, 'topic'],
      [{ ...valid, group: '' }, 'group'],
      [{ topic: 'evergreen.user', partition: 4, offset: '1' }, 'group'],
    ];
    for (const [payload, field] of cases) {
      const response = await app.inject({ method: 'POST', url: '/api/consumers/park', payload: payload as object, headers: { ...BEARER, ...JSON_TYPE } });
      expect(response.statusCode, JSON.stringify(payload)).toBe(400);
      expect(response.json().errors.map((error: { field: string }) => error.field)).toContain(field);
    }
    expect(calls).toEqual([]);
  });

  it('answers 409 with the reason when a park is refused: the group is not retrying that record', async () => {
    const { sources } = fakeSources({ park: () => Promise.reject(new RefusedError('nothing parked: group g is already past evergreen.user:4:1702 (it has committed offset 1710)')) });
    const { app } = start({ sources });
    const response = await app.inject({ method: 'POST', url: '/api/consumers/park', payload: { group: 'g', topic: 'evergreen.user', partition: 4, offset: '1702' }, headers: BEARER });
    expect(response.statusCode).toBe(409);
    expect(response.json().detail).toContain('already past');
  });

  it('answers 409 with the reason when a source refuses, e.g. an unsafe replay', async () => {
    const { sources } = fakeSources({ replay: () => Promise.reject(new RefusedError('nothing replayed: evergreen.user.dlq 0:10: past the end of the partition')) });
    const { app } = start({ sources });
    const response = await app.inject({ method: 'POST', url: '/api/dead-letters/replay', payload: { topic: 'evergreen.user.dlq', positions: ['0:10'] }, headers: BEARER });
    expect(response.statusCode).toBe(409);
    expect(response.json().detail).toContain('past the end of the partition');
  });

  it('answers 502 naming the dependency and its state when an action fails, never the error text', async () => {
    const lost = Object.assign(new Error('terminating connection due to administrator command: SELECT id FROM users WHERE … (postgres://evergreen:s3cret@db:5432)'), { code: '57P01', severity: 'FATAL' });
    const { sources } = fakeSources({ verify: () => Promise.reject(lost), restartConnector: () => Promise.reject(new Error('Connect at http://connect.internal:8083 answered 500: java.lang.NullPointerException')) });
    const { app } = start({ sources });
    const verify = await app.inject({ method: 'POST', url: '/api/drift/verify', payload: {}, headers: BEARER });
    expect(verify.statusCode).toBe(502);
    expect(verify.json().detail).toBe('verify failed: postgres: unavailable');
    expect(verify.body).not.toMatch(/s3cret|SELECT|administrator/);
    const restart = await app.inject({ method: 'POST', url: '/api/connectors/evergreen-outbox/restart', payload: {}, headers: BEARER });
    expect(restart.json().detail).toBe('restart failed: connect: failed');
    expect(restart.body).not.toMatch(/connect\.internal|NullPointer/);
  });

  it('answers 409 for a connector Connect does not know', async () => {
    const { app } = start();
    const response = await app.inject({ method: 'POST', url: '/api/connectors/nope/restart', payload: { task: 0 }, headers: BEARER });
    expect(response.statusCode).toBe(409);
    expect(response.json().detail).toBe('Kafka Connect has no connector nope task 0');
  });
});

describe('requests no route takes', () => {
  it.each<[string, 'GET' | 'DELETE', string, number, string | undefined]>([
    ['an unknown path', 'GET', '/api/nothing', 404, undefined],
    ['another method on a known path', 'DELETE', '/api/relay', 405, 'GET, HEAD'],
    ['a path with broken percent-encoding', 'GET', '/api/%E0%A4%A', 400, undefined],
  ])('answers %s with a problem', async (_case, method, url, status, allow) => {
    const { app } = start();

    const answer = await app.inject({ method, url });

    expect(answer.statusCode).toBe(status);
    expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(answer.json()).toMatchObject({ status });
    expect(answer.headers.allow).toBe(allow);
  });
});
