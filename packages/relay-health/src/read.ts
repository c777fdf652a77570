import type pg from 'pg';
import { connectorStatus } from '@evergreen/connect-config';
import { messageOf, publicReason } from '@evergreen/errors';
import { createClient, type StackConfig } from '@evergreen/platform';

/** pg_replication_slots.wal_status: how safe the WAL the slot still needs is (PostgreSQL 13+). */
export const WAL_STATUSES = ['reserved', 'extended', 'unreserved', 'lost'] as const;
export type WalStatus = (typeof WAL_STATUSES)[number];

/** What is watched: the outbox connector of one namespace and its replication slot. */
export interface RelayTarget {
  connectUrl: string;
  connectorName: string;
  slotName: string;
}

export function relayTarget(config: Pick<StackConfig, 'connect'>): RelayTarget {
  return { connectUrl: config.connect.url, connectorName: config.connect.connectorName, slotName: config.connect.slotName };
}

export interface TaskReading {
  id: number;
  state: string;
  trace?: string;
}

/** The connector as Kafka Connect reports it (GET /connectors/<name>/status). */
export type ConnectorReading =
  | { kind: 'found'; name: string; state: string; trace?: string; tasks: TaskReading[] }
  | { kind: 'missing'; name: string }
  | Unreadable<{ name: string }>;

/**
 * A reading that failed: `error`, the whole message, for logs and the command line; `reason`, which
 * dependency and its state ("connect: timeout"), for an HTTP body (publicReason).
 */
export type Unreadable<T extends object = object> = T & { kind: 'unreadable'; error: string; reason: string };

/** The connector's row of pg_replication_slots. Byte counts are null where PostgreSQL has none (a lost slot). */
export type SlotReading =
  | {
      kind: 'found';
      name: string;
      /** The database the slot decodes. */
      database: string | null;
      /** A walsender (the connector's task) is connected to it. */
      active: boolean;
      activePid: number | null;
      walStatus: WalStatus | null;
      /** WAL written since the position the connector last confirmed (confirmed_flush_lsn): what it has yet to relay. */
      lagBytes: number | null;
      /** WAL PostgreSQL keeps for the slot (since restart_lsn). */
      retainedWalBytes: number | null;
      /** WAL that may still be written before the slot is invalidated (max_slot_wal_keep_size); null when unlimited. */
      safeWalSizeBytes: number | null;
    }
  | { kind: 'missing'; name: string }
  | Unreadable<{ name: string }>;

/** The connector's heartbeat row (debezium_heartbeat, written every heartbeat.interval.ms by the task). */
export type HeartbeatReading =
  | { kind: 'found'; beatAt: Date; ageSeconds: number }
  | { kind: 'missing'; why: string }
  | Unreadable;

/** One reading of the whole relay. */
export interface RelayHealth {
  checkedAt: Date;
  connector: ConnectorReading;
  slot: SlotReading;
  heartbeat: HeartbeatReading;
}

/** The part of a pg Pool or Client the readings need. */
export interface Queryable {
  query<R extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
}

export interface RelaySources {
  target: RelayTarget;
  /**
   * A connection to the connector's database: pg_replication_slots is the same in every database of
   * the cluster, but debezium_heartbeat is the connector's own.
   */
  db: Queryable;
  /** How long Kafka Connect may take to answer; the database's limits are the pool's (statement_timeout). */
  timeoutMs?: number;
}

export async function readConnector(target: RelayTarget, timeoutMs = 5_000): Promise<ConnectorReading> {
  const name = target.connectorName;
  try {
    // The request itself is bounded (and abandoned at the bound), not only our wait for it.
    const status = await connectorStatus(target.connectUrl, name, { timeoutMs });
    if (!status) return { kind: 'missing', name };
    return {
      kind: 'found',
      name,
      state: status.connector.state,
      ...(status.connector.trace === undefined ? {} : { trace: status.connector.trace }),
      tasks: status.tasks.map((task) => ({ id: task.id, state: task.state, ...(task.trace === undefined ? {} : { trace: task.trace }) })),
    };
  } catch (error) {
    return { kind: 'unreadable', name, error: `${target.connectUrl}: ${messageOf(error)}`, reason: publicReason('connect', error) };
  }
}

/** pg returns int8 and numeric as text: numbers of bytes fit a double exactly up to 8 PiB. */
const bytes = (value: string | null): number | null => (value === null ? null : Number(value));

const isWalStatus = (value: string | null): value is WalStatus => WAL_STATUSES.some((status) => status === value);

export async function readSlot(db: Queryable, slotName: string): Promise<SlotReading> {
  try {
    const { rows } = await db.query<{
      database: string | null;
      active: boolean;
      active_pid: number | null;
      wal_status: string | null;
      lag_bytes: string | null;
      retained_bytes: string | null;
      safe_wal_size: string | null;
    }>(
      `SELECT database, active, active_pid, wal_status,
              pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::text AS lag_bytes,
              pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::text AS retained_bytes,
              safe_wal_size::text AS safe_wal_size
         FROM pg_replication_slots
        WHERE slot_name = $1`,
      [slotName],
    );
    const [row] = rows;
    if (!row) return { kind: 'missing', name: slotName };
    return {
      kind: 'found',
      name: slotName,
      database: row.database,
      active: row.active,
      activePid: row.active_pid,
      walStatus: isWalStatus(row.wal_status) ? row.wal_status : null,
      // Never negative: confirmed_flush_lsn can be a little ahead of what a concurrent flush made current.
      lagBytes: row.lag_bytes === null ? null : Math.max(0, Number(row.lag_bytes)),
      retainedWalBytes: bytes(row.retained_bytes),
      safeWalSizeBytes: bytes(row.safe_wal_size),
    };
  } catch (error) {
    return { kind: 'unreadable', name: slotName, error: messageOf(error), reason: publicReason('postgres', error) };
  }
}

const UNDEFINED_TABLE = '42P01';

export async function readHeartbeat(db: Queryable): Promise<HeartbeatReading> {
  try {
    // The age on the database's clock, the one beat_at was written with.
    const { rows } = await db.query<{ beat_at: Date; age_seconds: number }>(
      'SELECT beat_at, EXTRACT(EPOCH FROM (now() - beat_at))::float8 AS age_seconds FROM debezium_heartbeat ORDER BY beat_at DESC LIMIT 1',
    );
    const [row] = rows;
    if (!row) return { kind: 'missing', why: 'no heartbeat written yet' };
    return { kind: 'found', beatAt: row.beat_at, ageSeconds: Math.max(0, row.age_seconds) };
  } catch (error) {
    if ((error as { code?: unknown }).code === UNDEFINED_TABLE) return { kind: 'missing', why: 'no debezium_heartbeat table (npm run db:migrate)' };
    return { kind: 'unreadable', error: messageOf(error), reason: publicReason('postgres', error) };
  }
}

/** Reads the connector, its slot and its heartbeat side by side. Never throws: what cannot be read says why. */
export async function readRelayHealth(sources: RelaySources): Promise<RelayHealth> {
  const [connector, slot, heartbeat] = await Promise.all([
    readConnector(sources.target, sources.timeoutMs),
    readSlot(sources.db, sources.target.slotName),
    readHeartbeat(sources.db),
  ]);
  return { checkedAt: new Date(), connector, slot, heartbeat };
}

/**
 * One reading on a connection of its own, closed afterwards: for a command (`npm run stack:status`)
 * rather than a process that polls. A stack that is down answers quickly, with what could not be read.
 */
export async function checkRelay(config: Pick<StackConfig, 'connect' | 'postgres'>, timeoutMs = 3_000): Promise<RelayHealth> {
  const client = createClient(config.postgres, { connectionTimeoutMillis: timeoutMs, statement_timeout: timeoutMs, query_timeout: timeoutMs });
  // A connection lost after the reading must not crash the command.
  client.on('error', () => undefined);
  const connected = await client.connect().then(
    () => undefined,
    (error: unknown) => new Error(`PostgreSQL at ${config.postgres.host}:${config.postgres.port}: ${messageOf(error)}`),
  );
  const db: Queryable = connected ? { query: () => Promise.reject(connected) } : client;
  try {
    return await readRelayHealth({ target: relayTarget(config), db, timeoutMs });
  } finally {
    // A client that never connected has nothing to end (and its end() may never settle).
    if (!connected) await client.end().catch(() => undefined);
  }
}
