import { Counter, Gauge, type Registry } from 'prom-client';
import { connectorIsUp, WAL_STATUSES, type RelayHealth } from '@evergreen/relay-health';

/** Kafka Connect's connector states, plus MISSING (not registered) and UNREADABLE (Connect did not answer). */
export const CONNECTOR_STATES = ['RUNNING', 'PAUSED', 'STOPPED', 'FAILED', 'UNASSIGNED', 'RESTARTING', 'MISSING', 'UNREADABLE'] as const;
/** Kafka Connect's task states. */
export const TASK_STATES = ['RUNNING', 'PAUSED', 'FAILED', 'UNASSIGNED', 'RESTARTING'] as const;

/** Every metric the monitor exports; the alert rules (infra/prometheus/alerts.yml) are written against these names. */
export const RELAY_METRIC_NAMES = [
  'evergreen_relay_connector_up',
  'evergreen_relay_connector_state',
  'evergreen_relay_task_state',
  'evergreen_relay_slot_exists',
  'evergreen_relay_slot_active',
  'evergreen_relay_slot_lag_bytes',
  'evergreen_relay_slot_retained_wal_bytes',
  'evergreen_relay_slot_wal_status',
  'evergreen_relay_slot_safe_wal_size_bytes',
  'evergreen_relay_heartbeat_age_seconds',
  'evergreen_relay_last_check_timestamp_seconds',
  'evergreen_relay_check_errors_total',
] as const;

/**
 * The relay's state as Prometheus gauges, from one reading at a time. What could not be read is
 * left out (its series disappear) rather than reported with old values, and counted in
 * evergreen_relay_check_errors_total.
 */
export class RelayMetrics {
  private readonly connectorUp: Gauge<'connector'>;
  private readonly connectorState: Gauge<'connector' | 'state'>;
  private readonly taskState: Gauge<'connector' | 'task' | 'state'>;
  private readonly slotExists: Gauge<'slot'>;
  private readonly slotActive: Gauge<'slot'>;
  private readonly slotLag: Gauge<'slot'>;
  private readonly slotRetained: Gauge<'slot'>;
  private readonly slotWalStatus: Gauge<'slot' | 'status'>;
  private readonly slotSafeWalSize: Gauge<'slot'>;
  private readonly heartbeatAge: Gauge<'connector'>;
  private readonly lastCheck: Gauge;
  private readonly checkErrors: Counter<'source'>;
  /**
   * The series each relay's last reading wrote, by connector and slot: the next reading of that
   * relay removes them first, so what it cannot read disappears, and other relays' series stay.
   */
  private readonly written = new Map<string, Array<{ gauge: Gauge<string>; labels: Record<string, string> }>>();

  constructor(registry: Registry) {
    const registers = [registry];
    this.connectorUp = new Gauge({ name: 'evergreen_relay_connector_up', help: 'Whether the outbox connector and all its tasks are RUNNING (1) or not (0; also when Kafka Connect does not answer).', labelNames: ['connector'], registers });
    this.connectorState = new Gauge({ name: 'evergreen_relay_connector_state', help: "The connector's state in Kafka Connect, one-hot (MISSING: not registered; UNREADABLE: Connect did not answer).", labelNames: ['connector', 'state'], registers });
    this.taskState = new Gauge({ name: 'evergreen_relay_task_state', help: "Each task's state in Kafka Connect, one-hot.", labelNames: ['connector', 'task', 'state'], registers });
    this.slotExists = new Gauge({ name: 'evergreen_relay_slot_exists', help: "Whether the connector's replication slot exists in PostgreSQL.", labelNames: ['slot'], registers });
    this.slotActive = new Gauge({ name: 'evergreen_relay_slot_active', help: 'Whether a connector (walsender) is reading the replication slot.', labelNames: ['slot'], registers });
    this.slotLag = new Gauge({ name: 'evergreen_relay_slot_lag_bytes', help: 'WAL written since the position the connector last confirmed: pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn).', labelNames: ['slot'], registers });
    this.slotRetained = new Gauge({ name: 'evergreen_relay_slot_retained_wal_bytes', help: 'WAL PostgreSQL keeps for the slot: pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn).', labelNames: ['slot'], registers });
    this.slotWalStatus = new Gauge({ name: 'evergreen_relay_slot_wal_status', help: "The slot's wal_status, one-hot: reserved, extended, unreserved (past max_slot_wal_keep_size, about to be lost), lost (events gone).", labelNames: ['slot', 'status'], registers });
    this.slotSafeWalSize = new Gauge({ name: 'evergreen_relay_slot_safe_wal_size_bytes', help: 'WAL that can still be written before the slot is invalidated (safe_wal_size); absent when unlimited.', labelNames: ['slot'], registers });
    this.heartbeatAge = new Gauge({ name: 'evergreen_relay_heartbeat_age_seconds', help: "Age of the connector's last heartbeat (debezium_heartbeat.beat_at) on the database's clock; +Inf when there is none.", labelNames: ['connector'], registers });
    this.lastCheck = new Gauge({ name: 'evergreen_relay_last_check_timestamp_seconds', help: 'When the monitor last completed a reading of the relay (unix seconds).', registers });
    this.checkErrors = new Counter({ name: 'evergreen_relay_check_errors_total', help: 'Readings in which a source could not be read, by source (connect, postgres).', labelNames: ['source'], registers });
    for (const source of ['connect', 'postgres']) this.checkErrors.inc({ source }, 0);
  }

  record(health: RelayHealth): void {
    const { connector, slot, heartbeat } = health;
    const relay = `${connector.name}\u0000${slot.name}`;
    for (const { gauge, labels } of this.written.get(relay) ?? []) gauge.remove(labels);
    const written: Array<{ gauge: Gauge<string>; labels: Record<string, string> }> = [];
    const set = <L extends string>(gauge: Gauge<L>, labels: Record<L, string>, value: number) => {
      gauge.set(labels as Partial<Record<L, string>>, value);
      written.push({ gauge: gauge as Gauge<string>, labels });
    };
    /** 1 for `actual` and 0 for every other of `known` (and for `actual` if it is not one of them). */
    const oneHot = <L extends string>(gauge: Gauge<L>, labels: Record<string, string>, label: L, known: readonly string[], actual: string | null) => {
      for (const value of new Set([...known, ...(actual === null ? [] : [actual])])) set(gauge, { ...labels, [label]: value } as Record<L, string>, value === actual ? 1 : 0);
    };
    const labels = { connector: connector.name };

    set(this.connectorUp, labels, connectorIsUp(connector) ? 1 : 0);
    const state = connector.kind === 'found' ? connector.state : connector.kind === 'missing' ? 'MISSING' : 'UNREADABLE';
    oneHot(this.connectorState, labels, 'state', CONNECTOR_STATES, state);
    if (connector.kind === 'found') {
      for (const task of connector.tasks) oneHot(this.taskState, { ...labels, task: String(task.id) }, 'state', TASK_STATES, task.state);
    }
    if (connector.kind === 'unreadable') this.checkErrors.inc({ source: 'connect' });

    const slotLabels = { slot: slot.name };
    if (slot.kind !== 'unreadable') {
      set(this.slotExists, slotLabels, slot.kind === 'found' ? 1 : 0);
      set(this.slotActive, slotLabels, slot.kind === 'found' && slot.active ? 1 : 0);
      oneHot(this.slotWalStatus, slotLabels, 'status', WAL_STATUSES, slot.kind === 'found' ? slot.walStatus : null);
    }
    if (slot.kind === 'found') {
      if (slot.lagBytes !== null) set(this.slotLag, slotLabels, slot.lagBytes);
      if (slot.retainedWalBytes !== null) set(this.slotRetained, slotLabels, slot.retainedWalBytes);
      if (slot.safeWalSizeBytes !== null) set(this.slotSafeWalSize, slotLabels, slot.safeWalSizeBytes);
    }

    if (heartbeat.kind === 'found') set(this.heartbeatAge, labels, heartbeat.ageSeconds);
    // No heartbeat at all is as stale as it gets.
    if (heartbeat.kind === 'missing') set(this.heartbeatAge, labels, Number.POSITIVE_INFINITY);
    if (slot.kind === 'unreadable' || heartbeat.kind === 'unreadable') this.checkErrors.inc({ source: 'postgres' });

    this.written.set(relay, written);
    this.lastCheck.set(health.checkedAt.getTime() / 1000);
  }
}
