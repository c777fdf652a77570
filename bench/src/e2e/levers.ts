import { logLevel } from 'kafkajs';
import { aggregateTopic, createKafka } from '@evergreen/platform';
import { measureCatchUp, type CatchUpResult } from './catch-up.ts';
import { sleep } from './clock.ts';
import { cpuDuring, cpuMsPerThousand } from './cpu.ts';
import { measureStep, type StepContext, type StepResult } from './measure.ts';
import { stackProcesses } from './memory-sampler.ts';
import { enterBenchNamespace } from './namespace.ts';
import { CacheApplyObserver } from './observers.ts';
import { configureRelay, PUBLISH_ALL_CHANGES, PUBLISH_NO_DELETES, setPublication, SETTINGS_BEFORE_TUNING } from './relay.ts';
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

const BEFORE = SETTINGS_BEFORE_TUNING;
const LARGER_BATCHES = { 'max.batch.size': '8192', 'max.queue.size': '32768', 'producer.override.batch.size': '524288' };
const RELAY_VARIANTS: Array<{ name: string; overrides: Record<string, string>; publish?: string }> = [
  { name: 'before: Debezium and Kafka defaults, gzip', overrides: BEFORE },
  { name: 'poll.interval.ms 100', overrides: { ...BEFORE, 'poll.interval.ms': '100' } },
  { name: 'poll.interval.ms 10', overrides: { ...BEFORE, 'poll.interval.ms': '10' } },
  { name: 'poll.interval.ms 10, no compression', overrides: { ...BEFORE, 'poll.interval.ms': '10', 'producer.override.compression.type': 'none' } },
  { name: 'poll.interval.ms 10, lz4', overrides: { ...BEFORE, 'poll.interval.ms': '10', 'producer.override.compression.type': 'lz4' } },
  { name: 'poll.interval.ms 10, lz4, linger.ms 0', overrides: { ...BEFORE, 'poll.interval.ms': '10', 'producer.override.compression.type': 'lz4', 'producer.override.linger.ms': '0' } },
  { name: 'poll.interval.ms 10, lz4, larger batches', overrides: { ...BEFORE, 'poll.interval.ms': '10', 'producer.override.compression.type': 'lz4', ...LARGER_BATCHES } },
  { name: 'poll.interval.ms 1, lz4, larger batches', overrides: { ...BEFORE, 'poll.interval.ms': '1', 'producer.override.compression.type': 'lz4', ...LARGER_BATCHES } },
  { name: 'poll.interval.ms 10, lz4, larger batches, deletes not published', overrides: { ...BEFORE, 'poll.interval.ms': '10', 'producer.override.compression.type': 'lz4', ...LARGER_BATCHES }, publish: PUBLISH_NO_DELETES },
  {
    name: 'poll.interval.ms 1, lz4, larger batches, linger.ms 0, deletes not published',
    overrides: { ...BEFORE, 'poll.interval.ms': '1', 'producer.override.compression.type': 'lz4', ...LARGER_BATCHES, 'producer.override.linger.ms': '0' },
    publish: PUBLISH_NO_DELETES,
  },
];
const SERVICE_VARIANTS: Array<{ name: string; env: Record<string, string> }> = [
  { name: 'as committed: log level info (each request logged), consumers commit once a second', env: {} },
  { name: 'log level warn (requests not logged)', env: { EVERGREEN_LOG_LEVEL: 'warn' } },
  { name: 'consumers commit after every slice (kafkajs autoCommit, before)', env: { EVERGREEN_CONSUMER_COMMIT_INTERVAL_MS: '0' } },
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
interface ServiceRow {
  name: string;
  step: StepResult;
  /** CPU ms per 1,000 registrations, per process. */
  cpuPerThousand: Map<string, number>;
}
const serviceRows: ServiceRow[] = [];
let services: BenchServices | undefined;
try {
  services = await startBenchServices(config, env, stack.layout.logs);
  const connect = stackProcesses(stack, []).filter((process) => process.name === 'connect');
  for (const variant of RELAY_VARIANTS) {
    say(`relay: ${variant.name} …`);
    await setPublication(library.pool, variant.publish ?? PUBLISH_ALL_CHANGES);
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
      connectCpuMsPerThousand: cpuMsPerThousand(drained.cpuSeconds, BACKLOG).get('connect') ?? 0,
    });
  }
  await setPublication(library.pool, PUBLISH_NO_DELETES);
  await configureRelay(config, env, {});
  await services.stop();
  services = undefined;
  for (const variant of SERVICE_VARIANTS) {
    say(`services: ${variant.name} …`);
    const started = await startBenchServices(config, env, stack.layout.logs, variant.env);
    services = started;
    const measuredProcesses = stackProcesses(stack, started.all).filter((process) => ['registration-api', 'kafka', 'cache-populator', 'activity-log'].includes(process.name));
    const writer = apiWriter(started.api.url, run);
    await measureStep(context, { writer, ratePerSecond: 200, durationMs: 2_000 });
    const measured = await cpuDuring(measuredProcesses, () => measureStep(context, { writer, ratePerSecond: API_RATE, durationMs: STEP_MS }));
    serviceRows.push({ name: variant.name, step: measured.result, cpuPerThousand: cpuMsPerThousand(measured.cpuSeconds, measured.result.achievedPerSecond * (STEP_MS / 1000)) });
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
  `Services: POST /users at ${API_RATE}/s for ${STEP_MS / 1000} s; CPU per 1,000 registrations.`,
  '',
  '| services variant | achieved | commit → cache p50 / p99 (ms) | registration API CPU | Kafka CPU | cache populator + activity log CPU |',
  '|---|---:|---:|---:|---:|---:|',
  ...serviceRows.map((row) => {
    const cpu = (name: string) => row.cpuPerThousand.get(name) ?? 0;
    return `| ${row.name} | ${row.step.achievedPerSecond.toFixed(0)}/s | ${ms(row.step.commitToCache.p50)} / ${ms(row.step.commitToCache.p99)} | ${cpu('registration-api').toFixed(0)} ms | ${cpu('kafka').toFixed(0)} ms | ${(cpu('cache-populator') + cpu('activity-log')).toFixed(0)} ms |`;
  }),
];
const markdown = lines.join('\n');
console.log(`\n${markdown}\n`);
if (!quick) {
  replaceGeneratedSection('bench:levers', markdown);
  say('wrote the levers into docs/performance.md');
}
