import { logLevel } from 'kafkajs';
import { AvroSerde } from '@evergreen/avro-serde';
import { applyRelay, removeConnector } from '@evergreen/connect-config';
import {
  advisoryLockKey,
  createClient,
  createKafka,
  createPool,
  createRedis,
  legacyNamespaceLock,
  lockSession,
  LONG_RUNNING_TIMEOUTS,
  migrate,
  scanKeys,
  sendBatched,
  tryLockSession,
  unlockSession,
  type Migration,
  outboxRelays,
  pollUntil,
  type StackConfig,
} from '@evergreen/platform';
import { registerAllSchemas } from '@evergreen/schemas';
import { ensureDatabase, type LocalStack } from './stack.ts';

// A namespace is a database, a topic prefix, a connector with its replication slot and a Redis
// database of their own on the shared local stack: the end-to-end tests (tests/e2e) and the
// end-to-end benchmark (bench/) each keep to one, so neither leaves data where `npm start` runs.

/** Held by every run using a namespace for its whole length (shared), and by a reset (exclusive): one per database name. */
const namespaceLock = (config: StackConfig) => advisoryLockKey('stackNamespace', config.postgres.database);

const maintenance = (config: StackConfig, options: Parameters<typeof createClient>[1] = {}) => createClient({ ...config.postgres, database: 'postgres' }, options);

export interface NamespaceHold {
  /** No other run was using the namespace: this one may reset it. */
  exclusive: boolean;
  /** From exclusive to shared, without a moment in which another run could take it exclusively. */
  share(): Promise<void>;
  release(): Promise<void>;
}

/**
 * Takes the namespace of `config` for this run: exclusively when no other run (another shell, another
 * engineer on the same stack) is using it, shared otherwise. The lock lives in PostgreSQL's
 * maintenance database, on a connection held until release, so a run that dies lets go of it.
 */
export async function holdNamespace(config: StackConfig): Promise<NamespaceHold> {
  const lock = namespaceLock(config);
  const legacy = legacyNamespaceLock(config.postgres.database);
  // share() waits for another run's reset on purpose, however long it takes.
  const client = maintenance(config, LONG_RUNNING_TIMEOUTS);
  // A lost connection only lets go of the lock; it must not end the run.
  client.on('error', () => undefined);
  await client.connect();
  // Exclusive only when no run holds either form: one of an older checkout holds only the legacy one.
  const taken = await tryLockSession(client, lock);
  const legacyTaken = taken && (await legacy.tryExclusive(client));
  if (taken && !legacyTaken) await unlockSession(client, lock);
  const exclusive = taken && legacyTaken;
  return {
    exclusive,
    async share() {
      // Waits while another run resets the namespace; ours, if any, is kept until the shared one is held.
      await lockSession(client, lock, 'shared');
      await legacy.share(client);
      if (exclusive) {
        await unlockSession(client, lock);
        await legacy.unlockExclusive(client);
      }
    },
    async release() {
      await client.end().catch(() => undefined);
    },
  };
}

/**
 * Empties a namespace, so every run starts as the first one did, and consumers that read
 * the topic from offset 0 do not replay every earlier run's events: removes the connector with its
 * offsets, drops its replication slot and the database, deletes the namespace's topics, and
 * flushes its Redis database. prepareNamespace creates them again. Never called with the demo's
 * namespace (see assertApartFromDemo).
 */
export async function resetNamespace(config: StackConfig, say: (line: string) => void): Promise<void> {
  // Every outbox database of the namespace with its connector and slot (the users', the orders').
  for (const { connectorName, slotName, database } of outboxRelays(config)) {
    if (await removeConnector(config.connect.url, connectorName)) say(`removed connector ${connectorName} and its offsets`);

    const client = maintenance(config);
    await client.connect();
    try {
      // The connector's walsender may take a moment to let go of the slot after the stop.
      const dropped = await pollUntil(
        async () => {
          const { rows } = await client.query<{ active_pid: number | null }>('SELECT active_pid FROM pg_replication_slots WHERE slot_name = $1', [slotName]);
          const [slot] = rows;
          if (!slot) return 'absent';
          if (slot.active_pid !== null) {
            await client.query('SELECT pg_terminate_backend($1)', [slot.active_pid]);
            return undefined;
          }
          await client.query('SELECT pg_drop_replication_slot($1)', [slotName]);
          return 'dropped';
        },
        { description: `replication slot ${slotName} to be released and dropped`, timeoutMs: 30_000, intervalMs: 250 },
      );
      if (dropped === 'dropped') say(`dropped replication slot ${slotName}`);
      // FORCE ends the connections still open on it (an earlier run's, killed halfway).
      await client.query(`DROP DATABASE IF EXISTS "${database.replace(/"/g, '""')}" WITH (FORCE)`);
      say(`dropped database ${database}`);
    } finally {
      await client.end();
    }
  }

  const admin = createKafka({ clientId: 'evergreen-namespace-reset', brokers: config.kafka.brokers, logLevel: logLevel.ERROR }).admin();
  await admin.connect();
  try {
    const ours = (await admin.listTopics()).filter((topic) => topic.startsWith(`${config.topics.prefix}.`));
    if (ours.length > 0) {
      await admin.deleteTopics({ topics: ours });
      await pollUntil(async () => !(await admin.listTopics()).some((topic) => ours.includes(topic)) || undefined, {
        description: `topics ${ours.join(', ')} to be deleted`,
        timeoutMs: 60_000,
        intervalMs: 250,
      });
      say(`deleted topics ${ours.join(', ')}`);
    }
  } finally {
    await admin.disconnect();
  }

  const redis = createRedis(config.redis);
  try {
    if (config.redis.keyPrefix === '') {
      await redis.flushdb();
      say(`flushed Redis db ${config.redis.db}`);
    } else {
      // A Redis Cluster has only db 0, shared with the demo: only the namespace's prefix goes.
      let removed = 0;
      for await (const keys of scanKeys(redis, '*')) {
        const answers = await sendBatched(redis, keys.map((key) => (target) => target.unlink(key)));
        removed += answers.reduce<number>((sum, answer) => sum + Number(answer), 0);
      }
      say(`unlinked ${removed} Redis key(s) under ${config.redis.keyPrefix}`);
    }
  } finally {
    redis.disconnect();
  }
}

/** The variables that name where data lives; each must differ from the demo's. */
export const NAMESPACE_KEYS = [
  'EVERGREEN_PG_DATABASE',
  'EVERGREEN_TOPIC_PREFIX',
  'EVERGREEN_REDIS_DB',
  'EVERGREEN_CONNECTOR_NAME',
  'EVERGREEN_SLOT_NAME',
  'EVERGREEN_ORDERS_PG_DATABASE',
  'EVERGREEN_ORDERS_CONNECTOR_NAME',
  'EVERGREEN_ORDERS_SLOT_NAME',
] as const;

/**
 * Throws when a namespace would share a database, topics, a connector or its Redis keys with the
 * demo. Redis keeps apart by database, or by key prefix on a Redis Cluster (only db 0).
 */
export function assertApartFromDemo(demoEnv: Record<string, string>, namespaceEnv: Record<string, string>, what: string): void {
  const prefixed = (namespaceEnv.EVERGREEN_REDIS_KEY_PREFIX ?? '') !== (demoEnv.EVERGREEN_REDIS_KEY_PREFIX ?? '');
  const shared = NAMESPACE_KEYS.filter((key) => demoEnv[key] === namespaceEnv[key] && !(key === 'EVERGREEN_REDIS_DB' && prefixed));
  if (shared.length > 0) throw new Error(`the ${what} namespace must differ from the demo's, but both use ${shared.map((key) => `${key}=${namespaceEnv[key]}`).join(', ')}`);
}

/** The migrations of each database of a namespace: the main one's, and those of services with a database of their own. */
export interface NamespaceMigrations {
  main: Migration[];
  /** The order service's database (EVERGREEN_ORDERS_PG_DATABASE). */
  orders: Migration[];
}

/**
 * Creates what a namespace needs, as `npm run system:prepare` does for the demo: its databases with
 * every service's migrations, the schemas under its topics' subjects, its topics and its connectors
 * (`values` fills the connectors' and topics' placeholders). Safe to repeat.
 */
export async function prepareNamespace(stack: LocalStack, config: StackConfig, values: Record<string, string>, migrations: NamespaceMigrations, say: (line: string) => void): Promise<void> {
  for (const [database, wanted] of [
    [config.postgres.database, migrations.main],
    [config.orders.database, migrations.orders],
  ] as const) {
    if (await ensureDatabase(stack, database)) say(`created database ${database}`);
    const pool = createPool({ ...config.postgres, database }, { max: 1, ...LONG_RUNNING_TIMEOUTS });
    try {
      const applied = await migrate(pool, wanted);
      say(applied.length > 0 ? `applied ${applied.join(', ')} to ${database}` : `database ${database} is up to date`);
    } finally {
      await pool.end();
    }
  }
  const schemas = await registerAllSchemas(config, AvroSerde.forRegistry(config.registry), 'BACKWARD');
  say(`registered ${schemas.map(({ schema, id }) => `${schema.subject}=${id}`).join(', ')}`);
  const { createdTopics, statuses } = await applyRelay(config, values);
  if (createdTopics.length > 0) say(`created topics ${createdTopics.join(', ')}`);
  const keys = config.redis.keyPrefix === '' ? `Redis db ${config.redis.db}` : `Redis keys ${config.redis.keyPrefix}*`;
  say(`connectors ${statuses.map((status) => `${status.name} ${status.connector.state}`).join(', ')}; ${keys}; topics ${config.topics.prefix}.*`);
}
