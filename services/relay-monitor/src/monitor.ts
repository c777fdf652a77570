import type { Registry } from 'prom-client';
import type { Logger } from '@evergreen/platform';
import { connectorIsUp, describeRelay, formatBytes, LOST_EVENTS_RECOVERY, relayProblems, slotIsDown, type RelayHealth } from '@evergreen/relay-health';
import { RelayMetrics } from './metrics.ts';

export interface RelayMonitorOptions {
  /** One reading of the relay; never throws (what cannot be read says why). */
  read(): Promise<RelayHealth>;
  intervalMs: number;
  /** How long the slot may be missing or inactive (a connector restarting) before it is a problem. */
  slotGraceMs: number;
  registry: Registry;
  /** Shared by the monitors of one process (one per outbox database); by default new ones on `registry`. */
  metrics?: RelayMetrics;
  logger: Logger;
  /** While problems last, they are logged again this often (unreserved and lost slots: every poll). */
  repeatMs?: number;
  now?(): number;
}

export interface RelayCheck {
  health: RelayHealth;
  /** Why the relay does not relay, with what each reading failed with, for the log; empty when it relays. */
  problems: string[];
  /** The same, for /ready and /health: each dependency's state instead of its error, no trace. */
  reasons: string[];
  slotDownForMs: number;
  /** When the reading completed, on the monitor's clock. */
  checkedAtMs: number;
}

export interface RelayMonitor {
  /** Reads the relay now, records the metrics, logs (also what the interval does). */
  pollOnce(): Promise<RelayCheck>;
  /** The last check's public reasons as one, undefined when the relay relays; for /ready. */
  notReadyBecause(): string | undefined;
  latest(): RelayCheck | undefined;
  stop(): Promise<void>;
}

/**
 * Polls the relay every `intervalMs`: exports what it reads (RelayMetrics), keeps the reasons it is
 * not relaying for /ready, and logs. A slot that is unreserved or lost is logged every poll, at
 * error and fatal: the first is about to lose events, the second has lost them.
 */
export function startRelayMonitor(options: RelayMonitorOptions): RelayMonitor {
  const { logger } = options;
  const now = options.now ?? Date.now;
  const repeatMs = options.repeatMs ?? 60_000;
  const metrics = options.metrics ?? new RelayMetrics(options.registry);

  let latest: RelayCheck | undefined;
  let slotDownSince: number | undefined;
  let loggedSignature: string | undefined;
  let loggedAt = 0;
  let running: Promise<RelayCheck> | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  function log(check: RelayCheck): void {
    const { health, problems } = check;
    const { slot, connector } = health;
    const context = { connector: connector.name, slot: slot.name, relay: describeRelay(health) };

    if (slot.kind === 'found' && slot.walStatus === 'lost') {
      logger.fatal(
        { ...context, walStatus: slot.walStatus },
        `REPLICATION SLOT ${slot.name} IS LOST: PostgreSQL removed WAL the connector had not read. The events written in it never reached Kafka and are gone from the relay for good. ` +
          `Recreate the slot (docs/operations.md#health-of-the-relay), then bring the read models back: ${LOST_EVENTS_RECOVERY}.`,
      );
    } else if (slot.kind === 'found' && slot.walStatus === 'unreserved') {
      logger.error(
        { ...context, walStatus: slot.walStatus, retainedWalBytes: slot.retainedWalBytes, lagBytes: slot.lagBytes },
        `replication slot ${slot.name} is UNRESERVED: it needs ${formatBytes(slot.retainedWalBytes)} of WAL, past max_slot_wal_keep_size. PostgreSQL invalidates it at a coming checkpoint and the events not relayed are lost, unless connector ${connector.name} catches up now.`,
      );
    }

    // The rest when it changes, and again every repeatMs while something is wrong.
    const signature = JSON.stringify({
      up: connectorIsUp(connector),
      connector: connector.kind === 'found' ? [connector.state, ...connector.tasks.map((task) => task.state)] : connector.kind,
      slot: slot.kind === 'found' ? [slot.active, slot.walStatus] : slot.kind,
      problems: problems.length > 0,
    });
    const changed = signature !== loggedSignature;
    if (!changed && (problems.length === 0 || now() - loggedAt < repeatMs)) return;
    if (problems.length > 0) logger.error({ ...context, problems }, `the relay is not relaying: ${problems.join('; ')}`);
    else logger.info(context, loggedSignature === undefined ? 'the relay is relaying' : 'the relay is relaying again');
    loggedSignature = signature;
    loggedAt = now();
  }

  async function check(): Promise<RelayCheck> {
    const health = await options.read();
    const at = now();
    if (slotIsDown(health.slot)) slotDownSince ??= at;
    // Unreadable says nothing either way: the count goes on.
    else if (health.slot.kind === 'found') slotDownSince = undefined;
    const slotDownForMs = slotDownSince === undefined ? 0 : at - slotDownSince;
    const assess = { slotDownForMs, slotGraceMs: options.slotGraceMs };
    const result: RelayCheck = {
      health,
      problems: relayProblems(health, { ...assess, detail: 'full' }),
      reasons: relayProblems(health, { ...assess, detail: 'public' }),
      slotDownForMs,
      checkedAtMs: at,
    };
    metrics.record(health);
    latest = result;
    log(result);
    return result;
  }

  function pollOnce(): Promise<RelayCheck> {
    running ??= check().finally(() => {
      running = undefined;
    });
    return running;
  }

  const schedule = (delayMs: number) => {
    if (stopped) return;
    timer = setTimeout(() => {
      pollOnce()
        .catch((error: unknown) => logger.error({ err: error }, 'reading the relay failed; trying again at the next interval'))
        .finally(() => schedule(options.intervalMs));
    }, delayMs);
  };
  schedule(0);

  return {
    pollOnce,
    notReadyBecause() {
      if (!latest) return 'the relay has not been checked yet';
      // A poll that hangs must not leave an old answer standing.
      const age = now() - latest.checkedAtMs;
      const limit = Math.max(3 * options.intervalMs, 30_000);
      if (age > limit) return `the relay was last checked ${Math.round(age / 1000)} s ago (checks are every ${options.intervalMs} ms)`;
      return latest.reasons.length > 0 ? latest.reasons.join('; ') : undefined;
    },
    latest: () => latest,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running?.catch(() => undefined);
    },
  };
}
