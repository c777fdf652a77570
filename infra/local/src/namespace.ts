import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { removeConnector } from '@evergreen/connect-config';
import { pollUntil, type StackConfig } from '@evergreen/platform';

/** Held by every test run for its whole length (shared), and by a reset (exclusive). */
const NAMESPACE_LOCK = 7_401_123;

const maintenance = (config: StackConfig) => new pg.Client({ ...config.postgres, database: 'postgres', connectionTimeoutMillis: 5_000 });

export interface NamespaceHold {
  /** No other run was using the namespace: this one may reset it. */
  exclusive: boolean;
  /** From exclusive to shared, without a moment in which another run could take it exclusively. */
  share(): Promise<void>;
  release(): Promise<void>;
}

/**
 * Takes the tests' namespace for this run: exclusively when no other run (another shell, another
 * engineer on the same stack) is using it, shared otherwise. The lock lives in PostgreSQL's
 * maintenance database, on a connection held until release, so a run that dies lets go of it.
 */
export async function holdNamespace(config: StackConfig): Promise<NamespaceHold> {
  const client = maintenance(config);
  // A lost connection only lets go of the lock; it must not end the test run.
  client.on('error', () => undefined);
  await client.connect();
  const { rows } = await client.query<{ taken: boolean }>('SELECT pg_try_advisory_lock($1) AS taken', [NAMESPACE_LOCK]);
  const exclusive = rows[0]?.taken === true;
  return {
    exclusive,
    async share() {
      // Waits while another run resets the namespace; ours, if any, is kept until the shared one is held.
      await client.query('SELECT pg_advisory_lock_shared($1)', [NAMESPACE_LOCK]);
      if (exclusive) await client.query('SELECT pg_advisory_unlock($1)', [NAMESPACE_LOCK]);
    },
    async release() {
      await client.end().catch(() => undefined);
    },
  };
}

/**
 * Empties the tests' namespace, so every run starts as the first one did, and consumers that read
 * the topic from offset 0 do not replay every earlier run's events: removes the connector with its
 * offsets, drops its replication slot and the database, deletes the namespace's topics, and
 * flushes its Redis database. The caller creates them again. Never called with the demo's
 * namespace (the global setup checks that the two differ).
 */
export async function resetNamespace(config: StackConfig, say: (line: string) => void): Promise<void> {
  const { connectorName, slotName } = config.connect;
  const { database } = config.postgres;
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

  const admin = new Kafka({ clientId: 'evergreen-e2e-reset', brokers: config.kafka.brokers, logLevel: logLevel.ERROR }).admin();
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

  const redis = new Redis({ host: config.redis.host, port: config.redis.port, db: config.redis.db });
  try {
    await redis.flushdb();
    say(`flushed Redis db ${config.redis.db}`);
  } finally {
    redis.disconnect();
  }
}
