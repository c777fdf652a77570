export { checkRelay, readConnector, readHeartbeat, readRelayHealth, readSlot, relayTarget, WAL_STATUSES } from './read.ts';
export type { ConnectorReading, HeartbeatReading, Queryable, RelayHealth, RelaySources, RelayTarget, SlotReading, TaskReading, WalStatus } from './read.ts';
export { connectorIsUp, describeRelay, formatBytes, LOST_EVENTS_RECOVERY, relayProblems, slotIsDown } from './assess.ts';
export type { AssessOptions } from './assess.ts';
