import type { Registry } from 'prom-client';
import { createPool, processMetricsRegistry, startOpsServer, type Logger, type StackConfig } from '@evergreen/platform';
import { readRelayHealth, relayTarget } from '@evergreen/relay-health';
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
  monitor: RelayMonitor;
  registry: Registry;
  close(): Promise<void>;
}

/** How long one reading may wait on Kafka Connect or PostgreSQL. */
const READ_TIMEOUT_MS = 5_000;

/**
 * The relay monitor: polls the connector of `config` (config.connect.connectorName), its slot and
 * heartbeat, and serves /health, /ready (503 with the reasons while the relay does not relay) and
 * /metrics. What `npm start` runs as a process (main.ts) and a test can run in its own.
 */
export async function startRelayMonitorService(options: RelayMonitorServiceOptions): Promise<RelayMonitorService> {
  const { config, logger } = options;
  const registry = options.registry ?? processMetricsRegistry();
  const pool = createPool(config.postgres, { max: 2, connectionTimeoutMillis: READ_TIMEOUT_MS, statement_timeout: READ_TIMEOUT_MS, query_timeout: READ_TIMEOUT_MS });
  pool.on('error', (error: Error) => logger.warn({ err: error }, 'idle postgres connection failed; the pool replaces it'));
  const target = relayTarget(config);
  const pollIntervalMs = options.pollIntervalMs ?? config.relayMonitor.pollIntervalMs;
  const slotGraceMs = options.slotGraceMs ?? config.relayMonitor.slotGraceMs;

  let monitor: RelayMonitor | undefined;
  const ops = await startOpsServer({
    host: options.host ?? config.api.host,
    port: options.port ?? config.relayMonitor.port,
    logger,
    registry,
    notReadyBecause: async () => (monitor ? monitor.notReadyBecause() : 'starting'),
    details: () => {
      const latest = monitor?.latest();
      return { connector: target.connectorName, slot: target.slotName, checkedAt: latest ? new Date(latest.checkedAtMs).toISOString() : null, problems: latest?.problems ?? null };
    },
  });
  monitor = startRelayMonitor({ read: () => readRelayHealth({ target, db: pool, timeoutMs: READ_TIMEOUT_MS }), intervalMs: pollIntervalMs, slotGraceMs, registry, logger });
  logger.info({ connector: target.connectorName, slot: target.slotName, connect: target.connectUrl, database: config.postgres.database, pollIntervalMs, slotGraceMs }, 'watching the relay');

  const started = monitor;
  return {
    port: ops.port,
    monitor: started,
    registry,
    async close() {
      await started.stop();
      await ops.close();
      await pool.end();
    },
  };
}
