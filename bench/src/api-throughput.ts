import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import autocannon from 'autocannon';
import { AvroSerde } from '@evergreen/avro-serde';
import { createOutbox } from '@evergreen/outbox';
import { eventCatalog } from '@evergreen/schemas';
import { createPool, findRepoRoot, loadStackConfig, pollUntil } from '@evergreen/platform';
import { registerUser } from '@evergreen/registration-api';

// `npm run bench:api [-- <seconds per run> [<concurrency>] [--keyed]]`: registrations per second and
// latency of POST /users on the real service (its own process, as `npm start` runs it), next to
// the same transaction (users row + outbox row, Avro-encoded, through the same registerUser and
// the same pool size) issued directly through pg, in the same run, at the same concurrency.
// --keyed sends each request with a fresh Idempotency-Key: the API's sustained rate of keyed
// writes, each of which leaves a key for the sweeper (docs/operations.md#bounded-storage).
const positional = process.argv.slice(2).filter((arg) => !arg.startsWith('--'));
const keyed = process.argv.includes('--keyed');
const seconds = Number(positional[0] ?? 15);
const concurrency = Number(positional[1] ?? 16);
if (!Number.isInteger(seconds) || seconds < 1 || !Number.isInteger(concurrency) || concurrency < 1) {
  console.error('usage: npm run bench:api -- [<seconds per run, default 15> [<concurrency, default 16>]] [--keyed]');
  process.exit(2);
}
const WARM_UP_SECONDS = 3;
const config = loadStackConfig();
const run = `bench-api-${Date.now()}`;
let sequence = 0;
const nextRegistration = () => ({ email: `${run}-${(sequence += 1)}@example.com`, name: 'Bench User', avatarUrl: 'https://example.com/bench.png' });
const say = (line: string) => console.error(`[bench] ${line}`);

interface Measured {
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
}

/** The same transaction the API runs, `concurrency` at a time, for `durationS` seconds. */
async function directThroughPg(durationS: number): Promise<Measured> {
  // The service's pool size (createPool's default), so neither side has more connections.
  const pool = createPool(config.postgres);
  const outbox = createOutbox({ serde: AvroSerde.forRegistry(config.registry), config, catalog: eventCatalog });
  const latencies: number[] = [];
  let errors = 0;
  try {
    const deadline = performance.now() + durationS * 1000;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() < deadline) {
          const started = performance.now();
          try {
            await registerUser(pool, outbox, nextRegistration());
            latencies.push(performance.now() - started);
          } catch {
            errors += 1;
          }
        }
      }),
    );
  } finally {
    await pool.end();
  }
  latencies.sort((a, b) => a - b);
  const at = (quantile: number) => latencies[Math.min(latencies.length - 1, Math.floor(quantile * latencies.length))] ?? Number.NaN;
  return { perSecond: latencies.length / durationS, p50Ms: at(0.5), p99Ms: at(0.99), errors };
}

/** POST /users on the running service, `concurrency` connections, for `durationS` seconds. */
async function throughTheApi(url: string, durationS: number): Promise<Measured> {
  const result = await autocannon({
    url: `${url}/users`,
    connections: concurrency,
    duration: durationS,
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        // A fresh email per request: a duplicate would be a cheap 409, not a registration.
        setupRequest: (request) => ({
          ...request,
          headers: keyed ? { ...request.headers, 'idempotency-key': randomUUID() } : request.headers,
          body: JSON.stringify(nextRegistration()),
        }),
      },
    ],
  });
  return { perSecond: result['2xx'] / durationS, p50Ms: result.latency.p50, p99Ms: result.latency.p99, errors: result.errors + result.non2xx };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** The registration API as `npm start` runs it, on a port of its own, logging only warnings. */
async function startService(): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: `${findRepoRoot()}/services/registration-api`,
    env: { ...process.env, EVERGREEN_API_PORT: String(port), EVERGREEN_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://${config.api.host}:${port}`;
  await pollUntil(async () => (await fetch(`${url}/ready`).then((response) => response.ok, () => false)) || undefined, {
    description: `the registration API at ${url} to be ready`,
    timeoutMs: 60_000,
    intervalMs: 200,
  });
  return { url, child };
}

const service = await startService();
let direct: Measured;
let api: Measured;
try {
  say(`warming up both for ${WARM_UP_SECONDS} s …`);
  await directThroughPg(WARM_UP_SECONDS);
  await throughTheApi(service.url, WARM_UP_SECONDS);
  say(`direct through pg, ${seconds} s at concurrency ${concurrency} …`);
  direct = await directThroughPg(seconds);
  say(`POST /users, ${seconds} s with ${concurrency} connections …`);
  api = await throughTheApi(service.url, seconds);
} finally {
  service.child.kill('SIGTERM');
}

const row = (name: string, measured: Measured) =>
  `| ${name} | ${measured.perSecond.toFixed(0)} | ${measured.p50Ms.toFixed(1)} ms | ${measured.p99Ms.toFixed(1)} ms | ${measured.errors} |`;
console.log(`\nRegistrations (users row + outbox row in one transaction), ${seconds} s each at concurrency ${concurrency}, after a ${WARM_UP_SECONDS} s warm-up\n`);
console.log('| path | registrations/s | p50 | p99 | errors |');
console.log('|---|---:|---:|---:|---:|');
console.log(row('direct through pg (registerUser)', direct));
console.log(row(keyed ? 'POST /users with an Idempotency-Key (Fastify service)' : 'POST /users (Fastify service)', api));
console.log(`\nAPI / direct: ${((api.perSecond / direct.perSecond) * 100).toFixed(0)}%`);
