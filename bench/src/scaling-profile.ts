import { mkdirSync } from 'node:fs';
import { logLevel } from 'kafkajs';
import { aggregateTopic, createKafka } from '@evergreen/platform';
import { sleep } from './e2e/clock.ts';
import { watchOtherLoad } from './e2e/cpu.ts';
import { findSaturation, measureStep, type StepContext } from './e2e/measure.ts';
import { stackProcesses } from './e2e/memory-sampler.ts';
import { enterBenchNamespace } from './e2e/namespace.ts';
import { CacheApplyObserver } from './e2e/observers.ts';
import { startBenchServices } from './e2e/services.ts';
import { libraryWriter } from './e2e/writers.ts';

// One profile's figures for `npm run bench:scaling` (which runs this once per profile, the profile
// in EVERGREEN_STACK_PROFILE): the highest rate the relay and the cache sustain through the outbox
// library, and commit → cache latency at a fixed rate, in the benchmark's namespace of that stack.
// Prints one JSON line (ScalingFigures) on stdout; progress goes to stderr.

export interface ScalingFigures {
  profile: string;
  brokers: number;
  replicationFactor: number;
  minInsyncReplicas: number;
  redisNodes: number;
  sustainedPerSecond: number;
  fixedRatePerSecond: number;
  achievedPerSecond: number;
  commitToCacheMs: { p50: number; p95: number; p99: number; max: number };
  commitToKafkaP50Ms: number;
  kafkaToCacheP50Ms: number;
  /** Cores used meanwhile by processes outside this stack and benchmark (the other stack, other engineers). */
  otherLoadCores: number;
}

const FIXED_RATE = Number(process.env.EVERGREEN_SCALING_RATE ?? 200);
const STEP_MS = Number(process.env.EVERGREEN_SCALING_STEP_SECONDS ?? 8) * 1000;
const SATURATION_STEPS = Number(process.env.EVERGREEN_SCALING_STEPS ?? 5);
const say = (line: string) => console.error(`[bench:scaling ${process.env.EVERGREEN_STACK_PROFILE ?? 'single'}] ${line}`);

const namespace = await enterBenchNamespace(say);
const { config, env, stack } = namespace;
const kafka = createKafka({ clientId: 'bench-scaling', brokers: config.kafka.brokers, logLevel: logLevel.ERROR });
const library = libraryWriter({ config, run: `bench-scaling-${Date.now()}`, poolSize: 32 });
let observer: CacheApplyObserver | undefined;
let services: Awaited<ReturnType<typeof startBenchServices>> | undefined;
try {
  observer = await CacheApplyObserver.start(config);
  // The services' logs go beside the stack's, which a worktree using another's stack may not have yet.
  mkdirSync(stack.layout.logs, { recursive: true });
  services = await startBenchServices(config, env, stack.layout.logs);
  const context: StepContext = { kafka, topic: aggregateTopic(config, 'user'), observer, say };
  const otherLoad = watchOtherLoad(stackProcesses(stack, services.all));
  say('warming up …');
  await measureStep(context, { writer: library, ratePerSecond: 100, durationMs: 5_000 });
  await sleep(1_000);
  say(`commit → cache at a fixed ${FIXED_RATE}/s for ${STEP_MS / 1000} s …`);
  const fixed = await measureStep(context, { writer: library, ratePerSecond: FIXED_RATE, durationMs: STEP_MS });
  say('the highest sustained rate …');
  const saturation = await findSaturation(context, { writer: library, durationMs: STEP_MS, startPerSecond: 300, maxSteps: SATURATION_STEPS });
  const figures: ScalingFigures = {
    profile: config.profile,
    brokers: config.kafka.nodes.length,
    replicationFactor: config.kafka.replicationFactor,
    minInsyncReplicas: config.kafka.minInsyncReplicas,
    redisNodes: Math.max(1, config.redis.nodes.length),
    sustainedPerSecond: saturation.sustainedPerSecond,
    fixedRatePerSecond: FIXED_RATE,
    achievedPerSecond: fixed.achievedPerSecond,
    commitToCacheMs: { p50: fixed.commitToCache.p50, p95: fixed.commitToCache.p95, p99: fixed.commitToCache.p99, max: fixed.commitToCache.max },
    commitToKafkaP50Ms: fixed.commitToKafka.p50,
    kafkaToCacheP50Ms: fixed.kafkaToCache.p50,
    otherLoadCores: otherLoad.stop().averageCores,
  };
  console.log(JSON.stringify(figures));
} finally {
  await library.close();
  await services?.stop();
  await observer?.close();
  await namespace.close();
}
