import { randomUUID } from 'node:crypto';
import { logLevel } from 'kafkajs';
import { Redis } from 'ioredis';
import { AvroSerde } from '@evergreen/avro-serde';
import { createKafka, loadStackConfig, pollUntil } from '@evergreen/platform';
import { isVariantName, VARIANTS } from './variants.ts';

// One variant in a process of its own, so its peak RSS is its own and no variant warms the next
// one's heap. Prints one JSON line: what it processed, from joining the group to the last record.
const [variant = '', topic = '', expectedText = ''] = process.argv.slice(2);
if (!isVariantName(variant) || topic === '' || !/^\d+$/.test(expectedText)) {
  console.error(`usage: run-variant.ts <${Object.keys(VARIANTS).join('|')}> <topic> <records>`);
  process.exit(2);
}
const expected = Number(expectedText);
const config = loadStackConfig();
const redis = new Redis({ host: config.redis.host, port: config.redis.port, db: config.redis.db });
const groupId = `evergreen-bench-${variant}-${randomUUID()}`;
const running = VARIANTS[variant]({ config, serde: AvroSerde.forRegistry(config.registry), redis, topic, groupId });

let joinedAt: number | undefined;
running.consumer.on(running.consumer.events.GROUP_JOIN, () => {
  joinedAt ??= performance.now();
});
await running.start();
await pollUntil(async () => (await running.processed()) >= expected || undefined, {
  description: `${variant} to process ${expected} records of ${topic}`,
  timeoutMs: 30 * 60_000,
  intervalMs: 20,
});
const doneAt = performance.now();
const processed = await running.processed();
await running.stop();

const admin = createKafka({ clientId: 'bench-admin', brokers: config.kafka.brokers, logLevel: logLevel.ERROR }).admin();
await admin.connect();
await admin.deleteGroups([groupId]).catch(() => undefined);
await admin.disconnect();
redis.disconnect();

const seconds = (doneAt - (joinedAt ?? doneAt)) / 1000;
console.log(JSON.stringify({ variant, processed, seconds, peakRssMiB: process.resourceUsage().maxRSS / 1024 }));
