export { outboxConnector, relayTopics } from './connector.ts';
export type { ConnectorDefinition, TopicDefinition } from './connector.ts';
export { applyConnector, ensureTopics, connectorStatus, ConnectorFailedError } from './apply.ts';
export type { ConnectorStatus } from './apply.ts';
