import { logLevel } from 'kafkajs';
import { aggregateTopic, createKafka } from '@evergreen/platform';
import { measureCatchUp, type CatchUpResult } from './catch-up.ts';
import { sleep } from './clock.ts';
import { cpuDuring } from './cpu.ts';
import { measureStep, type StepContext, type StepResult } from './measure.ts';
import { stackProcesses } from './memory-sampler.ts';
import { enterBenchNamespace } from './namespace.ts';
import { CacheApplyObserver } from './observers.ts';
import { configureRelay } from './relay.ts';
import { replaceGeneratedSection } from './report.ts';
import { startBenchServices, type BenchServices } from './services.ts';
import { apiWriter, libraryWriter } from './writers.ts';

// `npm run bench:levers [-- --quick]`: each tuning lever of the relay and the services measured on
// its own, in one run: latency at a fixed load, an outage's backlog drained, and the CPU each
// component spends, per variant. The chosen settings are committed in connect-config/ and the
// services; bench:e2e measures the result. Writes its table into docs/performance.md.
const quick = process.argv.includes('--quick');
const RATE = 500;
const STEP_MS = quick ? 5_000 : 10_000;
const BACKLOG = quick ? 10_000 : 50_000;
const API_RATE = 1_000;
const say = (line: string) => console.error(`[bench:levers] ${line}`);

const BEFORE = {
  'poll.interval.ms': '500',
  'max.batch.size': '2048',
  'max.queue.size': '8192',
  'producer.override.compression.type': 'gzip',
  'producer.override.linger.ms': '5',
  'producer.override.batch.size': '16384',
};
const LARGER_BATCHES = { 'max.batch.size': '8192', 'max.queue.size': '32768', 'producer.override.batch.size': '524288' };
/** What the outbox publication sends to the relay: deletes too (before), or only inserts and the heartbeat's updates. */
const ALL_CHANGES = 'insert, update, delete';
const NO_DELETES = 'insert, update';
const RELAY_VARIANTS: Array<{ name: string; overrides: Record<string, string>; publish?: string }> = [
  { name: 'before: Debezium and Kafka defaults, gzip', overrides: BEFORE },
  { name: 'poll.interval.ms 100', overrides: { ...BEFORE, 'poll.interval.ms': '100' } },
  { name: 'poll.interval.ms 10', overrides: { ...BEFORE, 'poll.interval.ms': '10' } },
  { name: 'poll.interval.ms 10, no compression', overrides: { ...BEFORE, 'poll.interval.ms': '10', 'producer.override.compression.type': 'none' } },
  { name: 'poll.interval.ms 10, lz4', overrides: { ...BEFORE, 'poll.interval.ms': '10', 'producer.override.compression.type': 'lz4' } },
  { name: 'poll.interval.ms 10, lz4, linger.ms 0', overrides: { ...BEFORE, 'poll.interval.ms': '10', 'producer.override.compression.type': 'lz4', 'producer.override.linger.ms': '0' } },
  { name: 'poll.interval.ms 10, lz4, larger batches', overrides: { ...BEFORE, 'poll.interval.ms': '10', 'producer.override.compression.type': 'lz4', ...LARGER_BATCHES } },
  { name: 'poll.interval.ms 1, lz4, larger batches', overrides: { ...BEFORE, 'poll.interval.ms': '1', 'producer.override.compression.type': 'lz4', ...LARGER_BATCHES } },
  { name: 'poll.interval.ms 10, lz4, larger batches, deletes not published', overrides: { ...BEFORE, 'poll.interval.ms': '10', 'producer.override.compression.type': 'lz4', ...LARGER_BATCHES }, publish: NO_DELETES },
  {
    name: 'poll.interval.ms 1, lz4, larger batches, linger.ms 0, deletes not published',
    overrides: { ...BEFORE, 'poll.interval.ms': '1', 'producer.override.compression.type': 'lz4', ...LARGER_BATCHES, 'producer.override.linger.ms': '0' },
    publish: NO_DELETES,
  },
];
const SERVICE_VARIANTS: Array<{ name: string; env: Record<string, string> }> = [
  { name: 'log level info (each request logged)', env: { EVERGREEN_LOG_LEVEL: 'info' } },
  { name: 'log level warn (requests not logged)', env: { EVERGREEN_LOG_LEVEL: 'warn' } },
];

interface RelayRow {
  name: string;
  latency: StepResult;
  catchUp: CatchUpResult;
  connectIdleCpuPercent: number;
  connectCpuMsPerThousand: number;
}

const namespace = await enterBenchNamespace(say);
const { config, env, stack } = namespace;
const topic = aggregateTopic(config, 'user');
const kafka = createKafka({ clientId: 'bench-levers', brokers: config.kafka.brokers, logLevel: logLevel.ERROR });
const observer = await CacheApplyObserver.start(config);
const context: StepContext = { kafka, topic, observer, say };
const run = `bench-levers-${Date.now()}`;
const library = libraryWriter({ config, run, poolSize: 16 });
const relayRows: RelayRow[] = [];
const serviceRows: Array<{ name: string; achieved: number; apiCpuMsPerRequest: number }> = [];
let services: BenchServices | undefined;
try {
  services = await startBenchServices(config, env, stack.layout.logs);
  const connect = stackProcesses(stack, []).filter((process) => process.name === 'connect');
  for (const variant of RELAY_VARIANTS) {
    say(`relay: ${variant.name} …`);
    await library.pool.query(`ALTER PUBLICATION evergreen_outbox SET (publish = '${variant.publish ?? ALL_CHANGES}')`);
    await configureRelay(config, env, variant.overrides);
    await measureStep(context, { writer: library, ratePerSecond: 200, durationMs: 2_000 });
    const idle = await cpuDuring(connect, () => sleep(5_000));
    const latency = await measureStep(context, { writer: library, ratePerSecond: RATE, durationMs: STEP_MS });
    const drained = await cpuDuring(connect, () => measureCatchUp(context, config, library, { events: BACKLOG, batchSize: 500, concurrency: 4 }));
    relayRows.push({
      name: variant.name,
      latency,
      catchUp: drained.result,
      connectIdleCpuPercent: ((idle.cpuSeconds.get('connect') ?? 0) / 5) * 100,
      connectCpuMsPerThousand: ((drained.cpuSeconds.get('connect') ?? 0) * 1000 * 1000) / BACKLOG,
    });
  }
  await library.pool.query(`ALTER PUBLICATION evergreen_outbox SET (publish = '${NO_DELETES}')`);
  await configureRelay(config, env, {});
  await services.stop();
  services = undefined;
  for (const variant of SERVICE_VARIANTS) {
    say(`services: ${variant.name} …`);
    const started = await startBenchServices(config, env, stack.layout.logs, variant.env);
    services = started;
    const apiProcess = stackProcesses(stack, started.all).filter((process) => process.name === 'registration-api');
    const writer = apiWriter(started.api.url, run);
    await measureStep(context, { writer, ratePerSecond: 200, durationMs: 2_000 });
    const measured = await cpuDuring(apiProcess, () => measureStep(context, { writer, ratePerSecond: API_RATE, durationMs: STEP_MS }));
    const requests = measured.result.achievedPerSecond * (STEP_MS / 1000);
    serviceRows.push({ name: variant.name, achieved: measured.result.achievedPerSecond, apiCpuMsPerRequest: ((measured.cpuSeconds.get('registration-api') ?? 0) * 1000) / requests });
    await started.stop();
    services = undefined;
  }
} finally {
  await services?.stop();
  await library.close();
  await observer.close();
  await namespace.close();
}

const ms = (value: number) => (value < 10 ? value.toFixed(1) : value.toFixed(0));
const lines = [
  `Run of ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC (\`npm run bench:levers\`). Latency: open-loop writes through the outbox library at ${RATE}/s for ${STEP_MS / 1000} s. Catch-up: ${BACKLOG.toLocaleString('en')} registrations written with the connector stopped, then drained. Connect's CPU: idle over 5 s, and per 1,000 events of the catch-up.`,
  '',
  '| relay variant | commit → Kafka p50 / p99 (ms) | commit → cache p50 / p99 (ms) | catch-up relay events/s | catch-up end to end events/s | Connect idle CPU | Connect CPU per 1,000 events |',
  '|---|---:|---:|---:|---:|---:|---:|',
  ...relayRows.map(
    (row) =>
      `| ${row.name} | ${ms(row.latency.commitToKafka.p50)} / ${ms(row.latency.commitToKafka.p99)} | ${ms(row.latency.commitToCache.p50)} / ${ms(row.latency.commitToCache.p99)} | ${row.catchUp.relayPerSecond.toFixed(0)} | ${row.catchUp.endToEndPerSecond.toFixed(0)} | ${row.connectIdleCpuPercent.toFixed(1)} % | ${row.connectCpuMsPerThousand.toFixed(0)} ms |`,
  ),
  '',
  `| registration API variant | POST /users achieved at ${API_RATE}/s offered | API CPU per request |`,
  '|---|---:|---:|',
  ...serviceRows.map((row) => `| ${row.name} | ${row.achieved.toFixed(0)}/s | ${row.apiCpuMsPerRequest.toFixed(2)} ms |`),
];
const markdown = lines.join('\n');
console.log(`\n${markdown}\n`);
if (!quick) {
  replaceGeneratedSection('bench:levers', markdown);
  say('wrote the levers into docs/performance.md');
}
