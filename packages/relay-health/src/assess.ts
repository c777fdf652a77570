import type { ConnectorReading, RelayHealth, SlotReading } from './read.ts';

/** What to run when the relay lost events: docs/operations.md#keeping-the-promise-verify-repair-backfill. */
export const LOST_EVENTS_RECOVERY = '`npm run verify` measures the damage, `npm run repair` re-emits every drifted user, `npm run backfill -- user` re-emits every user';

/** The connector and every one of its tasks RUNNING: the relay reads the WAL. */
export function connectorIsUp(connector: ConnectorReading): boolean {
  return connector.kind === 'found' && connector.state === 'RUNNING' && connector.tasks.length > 0 && connector.tasks.every((task) => task.state === 'RUNNING');
}

/**
 * The slot is missing or no connector reads it. Briefly true while a connector restarts, so the
 * monitor only counts it as a problem once it lasted (the grace); a reading alone cannot tell.
 */
export function slotIsDown(slot: SlotReading): boolean {
  return slot.kind === 'missing' || (slot.kind === 'found' && !slot.active);
}

export function formatBytes(value: number | null): string {
  if (value === null) return 'n/a';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let scaled = value;
  let unit = 0;
  while (Math.abs(scaled) >= 1024 && unit < units.length - 1) {
    scaled /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${scaled.toFixed(1)} ${units[unit]}`;
}

const firstLine = (text: string | undefined): string => (text ?? '').split('\n')[0]?.slice(0, 200) ?? '';

function tasksOf(connector: Extract<ConnectorReading, { kind: 'found' }>): string {
  if (connector.tasks.length === 0) return 'no tasks';
  return connector.tasks.map((task) => `task ${task.id} ${task.state}`).join(', ');
}

export interface AssessOptions {
  /** How long the slot has been missing or inactive without a break (the monitor keeps count). */
  slotDownForMs: number;
  /** How long it may be before that is a problem; 0 for a one-off check. */
  slotGraceMs: number;
  /**
   * `full` for a log or the command line: what a reading failed with, the first line of a failed
   * task's trace. `public` for an HTTP body: which dependency and its state instead of the error
   * (its text names hosts and holds Java's exceptions), and no trace.
   */
  detail: 'full' | 'public';
}

/**
 * Why the relay is not relaying, one reason per thing wrong; empty when it relays. A heartbeat
 * that aged is not one of them: the connector's state and the slot say it first and better; it is
 * a metric and an alert of its own.
 */
export function relayProblems(health: RelayHealth, options: AssessOptions): string[] {
  const problems: string[] = [];
  const { connector, slot } = health;
  const full = options.detail === 'full';

  switch (connector.kind) {
    case 'unreadable':
      problems.push(`cannot read connector ${connector.name} from Kafka Connect: ${full ? connector.error : connector.reason}`);
      break;
    case 'missing':
      problems.push(`connector ${connector.name} is not registered in Kafka Connect (npm run connect:apply): nothing reads the WAL`);
      break;
    case 'found':
      if (!connectorIsUp(connector)) {
        const traces = [connector.state === 'FAILED' ? firstLine(connector.trace) : '', ...connector.tasks.filter((task) => task.state === 'FAILED').map((task) => `task ${task.id}: ${firstLine(task.trace)}`)];
        const failed = full ? traces.filter(Boolean) : [];
        problems.push(`connector ${connector.name} is ${connector.state} (${tasksOf(connector)}): the relay is not reading the WAL${failed.length > 0 ? `; ${failed.join('; ')}` : ''}`);
      }
      break;
  }

  const downFor = options.slotDownForMs > 0 ? ` (for ${Math.round(options.slotDownForMs / 1000)} s)` : '';
  const pastGrace = options.slotDownForMs >= options.slotGraceMs;
  switch (slot.kind) {
    case 'unreadable':
      problems.push(`cannot read replication slot ${slot.name} from PostgreSQL: ${full ? slot.error : slot.reason}`);
      break;
    case 'missing':
      if (pastGrace) problems.push(`replication slot ${slot.name} does not exist${downFor}: a connector that creates it anew starts at the current WAL, and every event written before that is not relayed`);
      break;
    case 'found':
      if (!slot.active && pastGrace) problems.push(`replication slot ${slot.name} is inactive${downFor}: no connector reads it, PostgreSQL keeps its WAL (lag ${formatBytes(slot.lagBytes)})`);
      if (slot.walStatus === 'unreserved') {
        problems.push(
          `replication slot ${slot.name} is unreserved: it needs ${formatBytes(slot.retainedWalBytes)} of WAL, past max_slot_wal_keep_size; PostgreSQL invalidates it at a coming checkpoint, losing the events not relayed, unless the connector catches up now`,
        );
      }
      if (slot.walStatus === 'lost') {
        problems.push(`replication slot ${slot.name} is lost: PostgreSQL removed WAL the connector had not read, and the events in it never reached Kafka; recover: ${LOST_EVENTS_RECOVERY}`);
      }
      break;
  }
  return problems;
}

function describeConnector(connector: ConnectorReading): string {
  switch (connector.kind) {
    case 'unreadable':
      return `connector ${connector.name} unreadable`;
    case 'missing':
      return `connector ${connector.name} MISSING`;
    case 'found':
      return `connector ${connector.name} ${connector.state} (${tasksOf(connector)})`;
  }
}

function describeSlot(slot: SlotReading): string {
  switch (slot.kind) {
    case 'unreadable':
      return `slot ${slot.name} unreadable`;
    case 'missing':
      return `slot ${slot.name} MISSING`;
    case 'found': {
      const spare = slot.safeWalSizeBytes === null ? '' : `, ${formatBytes(slot.safeWalSizeBytes)} before invalidation`;
      return `slot ${slot.name} ${slot.active ? 'active' : 'INACTIVE'}, lag ${formatBytes(slot.lagBytes)}, retains ${formatBytes(slot.retainedWalBytes)}, wal_status ${slot.walStatus ?? 'n/a'}${spare}`;
    }
  }
}

function describeHeartbeat(health: RelayHealth): string {
  const { heartbeat } = health;
  switch (heartbeat.kind) {
    case 'unreadable':
      return 'heartbeat unreadable';
    case 'missing':
      return `heartbeat none (${heartbeat.why})`;
    case 'found':
      return `heartbeat ${Math.round(heartbeat.ageSeconds)} s ago`;
  }
}

/** One line for a person: the connector's state, the slot's lag and wal_status, the heartbeat's age. */
export function describeRelay(health: RelayHealth): string {
  return [describeConnector(health.connector), describeSlot(health.slot), describeHeartbeat(health)].join('; ');
}
