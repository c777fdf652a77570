export { startRelayMonitorService } from './service.ts';
export type { RelayMonitorService, RelayMonitorServiceOptions } from './service.ts';
export { startRelayMonitor } from './monitor.ts';
export type { RelayCheck, RelayMonitor, RelayMonitorOptions } from './monitor.ts';
export { RelayMetrics, RELAY_METRIC_NAMES, CONNECTOR_STATES, TASK_STATES } from './metrics.ts';
