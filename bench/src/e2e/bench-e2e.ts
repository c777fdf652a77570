import { cpus, totalmem } from 'node:os';
import { logLevel } from 'kafkajs';
import { aggregateTopic, createKafka, createPool } from '@evergreen/platform';
import { registrationMigrations } from '@evergreen/registration-api';
import { measureCatchUp } from './catch-up.ts';
import { measureCeiling } from './ceiling.ts';
import { sleep } from './clock.ts';
import { cpuDuring, cpuMsPerThousand, watchOtherLoad } from './cpu.ts';
import { findSaturation, measureStep, type Saturation, type StepContext, type StepResult } from './measure.ts';
import { readMemory, sampleMemory, stackProcesses } from './memory-sampler.ts';
import { enterBenchNamespace } from './namespace.ts';
import { CacheApplyObserver } from './observers.ts';
import { startPollingPublisher } from './polling-publisher.ts';
import { configureRelay, PUBLISH_ALL_CHANGES, relaySettings, setPublication, SETTINGS_BEFORE_TUNING, stopRelay } from './relay.ts';
import { writeReport } from './report.ts';
import type { BenchResults } from './results.ts';
import { startBenchServices } from './services.ts';
import { apiWriter, libraryWriter } from './writers.ts';

// `npm run bench:e2e [-- --quick] [-- --no-docs]`: the product's own speed on the real stack, in one
// run: the database's ceiling for the write, the highest rate the pipeline sustains (through the
// outbox library and through POST /users), commit → cache latency split by stage at 25/50/75 % of
// that rate, an outage's backlog drained, and a polling publisher on the same loads as the baseline.
// Writes docs/performance.md (the generated part) and docs/performance-latency.svg.
const args = new Set(process.argv.slice(2));
const quick = args.has('--quick');
// `-- --before`: the relay and consumers as they were before the tuning of issue #12, for a comparison on the same machine (writes no docs).
const before = args.has('--before');
const SETTINGS = quick
  ? { stepSeconds: 5, saturationSteps: 5, latencySeconds: 8, ceilingSeconds: 8, catchUpEvents: 20_000 }
  : { stepSeconds: 10, saturationSteps: 7, latencySeconds: 15, ceilingSeconds: 15, catchUpEvents: 200_000 };
// Connections of the writers and of pgbench: enough that commits queue in PostgreSQL, not in the pool.
const POOL_SIZE = 32;
const POLLING = { pollIntervalMs: 100, batchSize: 500 };
const RELAY_SETTINGS = ['poll.interval.ms', 'max.batch.size', 'max.queue.size', 'producer.override.linger.ms', 'producer.override.batch.size', 'producer.override.compression.type'];
const say = (line: string) => console.error(`[bench:e2e] ${line}`);

const namespace = await enterBenchNamespace(say);
const { config, env, stack } = namespace;
const topic = aggregateTopic(config, 'user');
const run = `bench-e2e-${Date.now()}`;

const kafka = createKafka({ clientId: 'bench-e2e', brokers: config.kafka.brokers, logLevel: logLevel.ERROR });
const observer = await CacheApplyObserver.start(config);
const library = libraryWriter({ config, run, poolSize: POOL_SIZE });
if (before) {
  say('relay settings and publication as before the tuning of issue #12');
  await setPublication(library.pool, PUBLISH_ALL_CHANGES);
  await configureRelay(config, env, SETTINGS_BEFORE_TUNING);
}
// Before the tuning, consumers committed after every batch (kafkajs' autoCommit).
const services = await startBenchServices(config, env, stack.layout.logs, before ? { EVERGREEN_CONSUMER_COMMIT_INTERVAL_MS: '0' } : {});
const context: StepContext = { kafka, topic, observer, say };
const api = apiWriter(services.api.url, run);
const processes = stackProcesses(stack, services.all);
let results: BenchResults | undefined;
try {
  say('at rest for 5 s …');
  await sleep(5_000);
  const atRest = readMemory(processes);
  const sampler = sampleMemory(processes);

  say(`ceiling: pgbench, ${POOL_SIZE} clients, ${SETTINGS.ceilingSeconds} s …`);
  const ceiling = await measureCeiling(stack, config, registrationMigrations(), POOL_SIZE, SETTINGS.ceilingSeconds);
  say(`  ${ceiling.transactionsPerSecond.toFixed(0)} transactions/s`);

  // From here on, every process taking part is tracked; pgbench's and its connections' CPU is not.
  const otherLoad = watchOtherLoad(processes);
  say('warming up …');
  await measureStep(context, { writer: library, ratePerSecond: 200, durationMs: 5_000 });
  await measureStep(context, { writer: api, ratePerSecond: 200, durationMs: 5_000 });

  const durationMs = SETTINGS.stepSeconds * 1000;
  say('saturation through the outbox library …');
  const librarySaturation = await findSaturation(context, { writer: library, durationMs, startPerSecond: 500, maxSteps: SETTINGS.saturationSteps });
  say('saturation through POST /users …');
  const apiSaturation = await findSaturation(context, { writer: api, durationMs, startPerSecond: 300, maxSteps: SETTINGS.saturationSteps });

  const fractions = [0.25, 0.5, 0.75];
  const loads = fractions.map((fraction) => Math.max(10, Math.round((librarySaturation.sustainedPerSecond * fraction) / 10) * 10));
  say(`latency at ${loads.join(', ')}/s (25/50/75 % of ${librarySaturation.sustainedPerSecond}/s) …`);
  const relayLatency: StepResult[] = [];
  let cpuAtHighestLoad = new Map<string, number>();
  for (const rate of loads) {
    // Where the CPU goes, per component, at the highest of the three loads.
    const benchCpuBefore = process.cpuUsage();
    const measured = await cpuDuring(processes, () => measureStep(context, { writer: library, ratePerSecond: rate, durationMs: SETTINGS.latencySeconds * 1000 }));
    const benchCpu = process.cpuUsage(benchCpuBefore);
    relayLatency.push(measured.result);
    const cpuSeconds = new Map(measured.cpuSeconds).set('benchmark (writers, observer)', (benchCpu.user + benchCpu.system) / 1e6);
    cpuAtHighestLoad = cpuMsPerThousand(cpuSeconds, measured.result.achievedPerSecond * SETTINGS.latencySeconds);
  }

  say('POST /users at 50, 200 and 500/s, as the issue measured before …');
  const apiFixedRates: StepResult[] = [];
  for (const rate of [50, 200, 500]) apiFixedRates.push(await measureStep(context, { writer: api, ratePerSecond: rate, durationMs: SETTINGS.stepSeconds * 1000 }));

  say(`catch-up: ${SETTINGS.catchUpEvents} events written with the connector stopped …`);
  const catchUp = await measureCatchUp(context, config, library, { events: SETTINGS.catchUpEvents, batchSize: 500, concurrency: 4 });

  say(`the baseline: a polling publisher (every ${POLLING.pollIntervalMs} ms when idle, ${POLLING.batchSize} rows a poll), with the connector stopped …`);
  await stopRelay(config);
  const keptRows = libraryWriter({ config, run, poolSize: POOL_SIZE, keepRows: true });
  const publisherPool = createPool(config.postgres, { max: 2 });
  const publisher = await startPollingPublisher({ pool: publisherPool, kafka, topicPrefix: config.topics.prefix, ...POLLING });
  const polled = { name: 'polling publisher', write: keptRows.write, close: keptRows.close };
  const pollingLatency: StepResult[] = [];
  let pollingSaturation: Saturation;
  try {
    for (const rate of loads) pollingLatency.push(await measureStep(context, { writer: polled, ratePerSecond: rate, durationMs: SETTINGS.latencySeconds * 1000 }));
    pollingSaturation = await findSaturation(context, { writer: polled, durationMs, startPerSecond: 500, maxSteps: SETTINGS.saturationSteps });
  } finally {
    const { polls, published } = await publisher.stop();
    say(`  the polling publisher polled ${polls} times and published ${published} events`);
    await publisherPool.end();
    await keptRows.close();
  }

  results = {
    startedAt: new Date().toISOString(),
    machine: { cpus: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), cpuModel: cpus()[0]?.model ?? 'unknown' },
    versions: { Kafka: config.versions.kafka, Debezium: config.versions.debezium, PostgreSQL: config.versions.postgresMajor, Redis: config.versions.redisMajor, Node: process.version },
    relaySettings: before ? { ...SETTINGS_BEFORE_TUNING, publication: PUBLISH_ALL_CHANGES } : { ...relaySettings(env, RELAY_SETTINGS), publication: 'insert, update (packages/outbox/migrations/003_publish_inserts.sql)' },
    partitions: config.topics.partitions,
    stepSeconds: SETTINGS.stepSeconds,
    ceiling,
    saturation: { library: librarySaturation, api: apiSaturation, pollingPublisher: pollingSaturation },
    latency: fractions.map((fraction, index) => ({ fraction, relay: relayLatency[index]!, pollingPublisher: pollingLatency[index]! })),
    apiFixedRates,
    catchUp,
    pollingPublisher: POLLING,
    memory: { atRest, peak: sampler.stop() },
    otherLoadCores: otherLoad.stop().averageCores,
    cpuMsPerThousand: { rate: loads[2] as number, byComponent: cpuAtHighestLoad },
  };
} finally {
  await library.close();
  await services.stop();
  await observer.close();
  await namespace.close();
}
if (!results) throw new Error('the benchmark ended without results');
writeReport(results, { docs: !args.has('--no-docs') && !quick && !before, say });
