import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { CompressionTypes, logLevel, Partitioners } from 'kafkajs';
import { Redis } from 'ioredis';
import { AvroSerde } from '@evergreen/avro-serde';
import { deadLetterTopic, retryTopic } from '@evergreen/consumer';
import { aggregateTopic, createKafka, loadStackConfig } from '@evergreen/platform';
import { allTopicSchemas } from '@evergreen/schemas';
import { lifecycleOf, syntheticUserRecord } from '@evergreen/schemas/testing';
import { userKey } from '@evergreen/user-read-model';
import { naiveKey, type VariantName } from './consumer/variants.ts';

// `npm run bench:consumer [-- <records> [<versions per user>]]`: records/second from Kafka to Redis
// for the consumer framework (the cache populator) and for naive eachMessage + SET baselines, in
// the same run, on the same pre-loaded topic, each variant in a process of its own.
const records = Number(process.argv[2] ?? 200_000);
const versionsPerUser = Number(process.argv[3] ?? 4);
if (!Number.isInteger(records) || !Number.isInteger(versionsPerUser) || records < versionsPerUser || versionsPerUser < 1) {
  console.error('usage: npm run bench:consumer -- [<records, default 200000> [<versions per user, default 4>]]');
  process.exit(2);
}
const users = Array.from({ length: Math.floor(records / versionsPerUser) }, () => randomUUID());
const total = users.length * versionsPerUser;
// Baselines first; the framework last, on a topic the broker has served twice already.
const ORDER: VariantName[] = ['naive', 'naive-concurrent', 'framework'];

const config = loadStackConfig();
const serde = AvroSerde.forRegistry(config.registry);
const topics = { topics: { prefix: `evergreen-bench-${Date.now()}`, partitions: config.topics.partitions } };
const topic = aggregateTopic(topics, 'user');
const kafka = createKafka({ clientId: 'bench-consumer', brokers: config.kafka.brokers, logLevel: logLevel.ERROR });
const admin = kafka.admin();
const redis = new Redis({ host: config.redis.host, port: config.redis.port, db: config.redis.db });
const say = (line: string) => console.error(`[bench] ${line}`);

/** Every user's versions on the topic, as the relay writes them: LZ4 batches, keyed, Java partitioner. */
async function preload(): Promise<void> {
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic: topic, numPartitions: config.topics.partitions }, { topic: retryTopic(topic), numPartitions: config.topics.partitions }, { topic: deadLetterTopic(topic), numPartitions: config.topics.partitions }] });
  for (const schema of allTopicSchemas(topics)) await serde.register(schema, 'BACKWARD');
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const started = performance.now();
  // Version by version, so each user's versions land in order and every batch mixes many users.
  for (let version = 1; version <= versionsPerUser; version += 1) {
    for (let start = 0; start < users.length; start += 2_000) {
      const events = users.slice(start, start + 2_000).map((userId) => lifecycleOf(userId, version)[version - 1]!);
      const messages = await Promise.all(events.map((event) => syntheticUserRecord(serde, topics, event)));
      await producer.send({ topic: topic, acks: -1, compression: CompressionTypes.LZ4, messages });
    }
  }
  await producer.disconnect();
  say(`pre-loaded ${total} records (${users.length} users x ${versionsPerUser} versions) on ${topic} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

interface VariantResult {
  variant: VariantName;
  processed: number;
  seconds: number;
  peakRssMiB: number;
}

async function runVariant(variant: VariantName): Promise<VariantResult> {
  const script = join(dirname(fileURLToPath(import.meta.url)), 'consumer', 'run-variant.ts');
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', script, variant, topic, String(total)], { maxBuffer: 1 << 20 });
  return JSON.parse(stdout.trim().split('\n').pop() ?? '') as VariantResult;
}

/** Whether every user ended at its last version: a fast variant that wrote the wrong thing does not count. */
async function finalVersions(variant: VariantName): Promise<number> {
  const sample = users.filter((_, index) => index % Math.max(1, Math.floor(users.length / 500)) === 0);
  const versions = await Promise.all(
    sample.map(async (userId) => (variant === 'framework' ? Number(await redis.hget(userKey(userId), 'version')) : (JSON.parse((await redis.get(naiveKey(userId))) ?? '{}') as { version?: number }).version)),
  );
  return versions.filter((version) => version === versionsPerUser).length / sample.length;
}

async function cleanUp(): Promise<void> {
  await admin.deleteTopics({ topics: [topic, retryTopic(topic), deadLetterTopic(topic)] }).catch(() => undefined);
  for (let start = 0; start < users.length; start += 5_000) {
    const chunk = users.slice(start, start + 5_000);
    await redis.del(...chunk.map(userKey), ...chunk.map(naiveKey));
  }
}

await admin.connect();
const results: Array<VariantResult & { correct: number }> = [];
try {
  await preload();
  for (const variant of ORDER) {
    say(`running ${variant} …`);
    const result = await runVariant(variant);
    results.push({ ...result, correct: await finalVersions(variant) });
    say(`${variant}: ${(result.processed / result.seconds).toFixed(0)} records/s`);
  }
} finally {
  await cleanUp();
  await admin.disconnect();
  redis.disconnect();
}

const rate = (result: VariantResult) => result.processed / result.seconds;
const baseline = results.find((result) => result.variant === 'naive');
console.log(`\nKafka → Redis, ${total} records (${users.length} users × ${versionsPerUser} versions), ${config.topics.partitions} partitions, one process per variant\n`);
console.log('| variant | records | seconds | records/s | × naive | peak RSS | final state correct |');
console.log('|---|---:|---:|---:|---:|---:|---:|');
for (const result of results) {
  const ratio = baseline ? (rate(result) / rate(baseline)).toFixed(2) : '-';
  console.log(`| ${result.variant} | ${result.processed} | ${result.seconds.toFixed(1)} | ${rate(result).toFixed(0)} | ${ratio} | ${result.peakRssMiB.toFixed(0)} MiB | ${(result.correct * 100).toFixed(0)}% |`);
}
