import type { Registry } from 'prom-client';
import type pg from 'pg';
import { createPool, outboxRelays, processMetricsRegistry, startOpsServer, type Logger, type StackConfig } from '@evergreen/platform';
import { readRelayHealth, type RelayTarget } from '@evergreen/relay-health';
import { RelayMetrics } from './metrics.ts';
import { startRelayMonitor, type RelayMonitor } from './monitor.ts';

export interface RelayMonitorServiceOptions {
  config: StackConfig;
  logger: Logger;
  /** Node's default metrics by default; the relay's join them. */
  registry?: Registry;
  /** Where /health, /ready and /metrics listen; config.api.host and config.relayMonitor.port by default (0: any free port). */
  host?: string;
  port?: number;
  /** Overrides of config.relayMonitor. */
  pollIntervalMs?: number;
  slotGraceMs?: number;
}

export interface RelayMonitorService {
  /** The ops server's port. */
  port: number;
  /** The users' relay's monitor (the registration API's database). */
  monitor: RelayMonitor;
  /** One per outbox database, the users' first. */
  monitors: RelayMonitor[];
  registry: Registry;
  close(): Promise<void>;
}

/** How long one reading may wait on Kafka Connect or PostgreSQL. */
const READ_TIMEOUT_MS = 5_000;

/**
 * The relay monitor: polls each outbox connector of `config` (one per database: outboxRelays), its
 * slot and heartbeat, and serves /health, /ready (503 with the reasons while a relay does not relay)
 * and /metrics, the series labelled by connector and slot. What `npm start` runs as a process
 * (main.ts) and a test can run in its own.
 */
export async function startRelayMonitorService(options: RelayMonitorServiceOptions): Promise<RelayMonitorService> {
  const { config, logger } = options;
  const registry = options.registry ?? processMetricsRegistry();
  const pollIntervalMs = options.pollIntervalMs ?? config.relayMonitor.pollIntervalMs;
  const slotGraceMs = options.slotGraceMs ?? config.relayMonitor.slotGraceMs;
  // Each slot and heartbeat is read in its own database.
  const watched = outboxRelays(config).map((relay) => {
    const pool: pg.Pool = createPool(
      { ...config.postgres, database: relay.database },
      { max: 2, connectionTimeoutMillis: READ_TIMEOUT_MS, statement_timeout: READ_TIMEOUT_MS, query_timeout: READ_TIMEOUT_MS },
    );
    pool.on('error', (error: Error) => logger.warn({ err: error, database: relay.database }, 'idle postgres connection failed; the pool replaces it'));
    const target: RelayTarget = { connectUrl: config.connect.url, connectorName: relay.connectorName, slotName: relay.slotName };
    return { relay, pool, target };
  });

  let monitors: RelayMonitor[] = [];
  const ops = await startOpsServer({
    host: options.host ?? config.api.host,
    port: options.port ?? config.relayMonitor.port,
    logger,
    registry,
    notReadyBecause: async () => {
      if (monitors.length === 0) return 'starting';
      const reasons = monitors.map((monitor) => monitor.notReadyBecause()).filter((reason) => reason !== undefined);
      return reasons.length > 0 ? reasons.join('; ') : undefined;
    },
    details: () => ({
      relays: watched.map(({ target }, index) => {
        const latest = monitors[index]?.latest();
        return { connector: target.connectorName, slot: target.slotName, checkedAt: latest ? new Date(latest.checkedAtMs).toISOString() : null, problems: latest?.reasons ?? null };
      }),
    }),
  });
  const metrics = new RelayMetrics(registry);
  monitors = watched.map(({ relay, pool, target }) => {
    logger.info({ connector: target.connectorName, slot: target.slotName, connect: target.connectUrl, database: relay.database, pollIntervalMs, slotGraceMs }, 'watching the relay');
    return startRelayMonitor({ read: () => readRelayHealth({ target, db: pool, timeoutMs: READ_TIMEOUT_MS }), intervalMs: pollIntervalMs, slotGraceMs, registry, metrics, logger });
  });

  const started = monitors;
  return {
    port: ops.port,
    monitor: started[0] as RelayMonitor,
    monitors: started,
    registry,
    async close() {
      await Promise.all(started.map((monitor) => monitor.stop()));
      await ops.close();
      await Promise.all(watched.map(({ pool }) => pool.end()));
    },
  };
}
