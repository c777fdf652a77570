export { outboxConnector, outboxConnectors, relayTopics } from './connector.ts';
export type { ConnectorDefinition, TopicDefinition } from './connector.ts';
export { applyConnector, ensureTopics, connectorStatus, removeConnector, restartConnector, ConnectorFailedError, DEFAULT_CONNECT_REQUEST_TIMEOUT_MS } from './apply.ts';
export type { ConnectorStatus, ConnectRequestOptions } from './apply.ts';
export { applyRelay } from './apply-relay.ts';
export type { RelayApplied } from './apply-relay.ts';
