import type { Attributes } from '@opentelemetry/api';
import {
  ATTR_CLIENT_ADDRESS,
  ATTR_DB_NAMESPACE,
  ATTR_DB_OPERATION_NAME,
  ATTR_DB_SYSTEM_NAME,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_ROUTE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_PATH,
  ATTR_URL_SCHEME,
  ATTR_USER_AGENT_ORIGINAL,
  DB_SYSTEM_NAME_VALUE_POSTGRESQL,
} from '@opentelemetry/semantic-conventions';
// The messaging conventions are still incubating. As the package advises for those, the names are
// written here rather than imported from its `incubating` entry point, which may change them in
// any minor release (and costs a service's start tens of milliseconds to load).
const ATTR_MESSAGING_SYSTEM = 'messaging.system';
const ATTR_MESSAGING_OPERATION_TYPE = 'messaging.operation.type';
const ATTR_MESSAGING_OPERATION_NAME = 'messaging.operation.name';
const ATTR_MESSAGING_DESTINATION_NAME = 'messaging.destination.name';
const ATTR_MESSAGING_DESTINATION_PARTITION_ID = 'messaging.destination.partition.id';
const ATTR_MESSAGING_MESSAGE_ID = 'messaging.message.id';
const ATTR_MESSAGING_KAFKA_MESSAGE_KEY = 'messaging.kafka.message.key';
const ATTR_MESSAGING_KAFKA_OFFSET = 'messaging.kafka.offset';
const ATTR_MESSAGING_CONSUMER_GROUP_NAME = 'messaging.consumer.group.name';
const MESSAGING_SYSTEM_VALUE_KAFKA = 'kafka';
const DB_SYSTEM_NAME_VALUE_REDIS = 'redis';

// The attribute sets of Evergreen's spans, after OpenTelemetry's semantic conventions (HTTP and
// database: stable; messaging: incubating).

export interface HttpServerFacts {
  method: string;
  path: string;
  /** The route pattern (/users/:id), not the URL: one span name per route. */
  route?: string;
  serverAddress?: string;
  serverPort?: number;
  clientAddress?: string;
  userAgent?: string;
}

export function httpServerAttributes(facts: HttpServerFacts): Attributes {
  return {
    [ATTR_HTTP_REQUEST_METHOD]: facts.method,
    [ATTR_URL_PATH]: facts.path,
    [ATTR_URL_SCHEME]: 'http',
    ...(facts.route !== undefined && { [ATTR_HTTP_ROUTE]: facts.route }),
    ...(facts.serverAddress !== undefined && { [ATTR_SERVER_ADDRESS]: facts.serverAddress }),
    ...(facts.serverPort !== undefined && { [ATTR_SERVER_PORT]: facts.serverPort }),
    ...(facts.clientAddress !== undefined && { [ATTR_CLIENT_ADDRESS]: facts.clientAddress }),
    ...(facts.userAgent !== undefined && { [ATTR_USER_AGENT_ORIGINAL]: facts.userAgent }),
  };
}

export interface DatabaseFacts {
  system: 'postgresql' | 'redis';
  /** The database name (PostgreSQL) or number (Redis). */
  namespace?: string;
  operation: string;
  serverAddress?: string;
  serverPort?: number;
}

/** A store as the spans of its writes name it. */
export type StoreFacts = Omit<DatabaseFacts, 'operation'>;

export function databaseAttributes(facts: DatabaseFacts): Attributes {
  return {
    [ATTR_DB_SYSTEM_NAME]: facts.system === 'postgresql' ? DB_SYSTEM_NAME_VALUE_POSTGRESQL : DB_SYSTEM_NAME_VALUE_REDIS,
    [ATTR_DB_OPERATION_NAME]: facts.operation,
    ...(facts.namespace !== undefined && { [ATTR_DB_NAMESPACE]: facts.namespace }),
    ...(facts.serverAddress !== undefined && { [ATTR_SERVER_ADDRESS]: facts.serverAddress }),
    ...(facts.serverPort !== undefined && { [ATTR_SERVER_PORT]: facts.serverPort }),
  };
}

export interface MessageFacts {
  topic: string;
  /** The event id: the record's `id` header. */
  messageId?: string;
  /** The record's key: the aggregate id. */
  key?: string;
}

/**
 * A Kafka message's attributes; `operation` is the semantic conventions' operation type (send,
 * process), or none for a span that is no messaging operation of ours (the relay's hop).
 */
export function messagingAttributes(operation: 'send' | 'process' | undefined, facts: MessageFacts): Attributes {
  return {
    [ATTR_MESSAGING_SYSTEM]: MESSAGING_SYSTEM_VALUE_KAFKA,
    ...(operation !== undefined && { [ATTR_MESSAGING_OPERATION_TYPE]: operation, [ATTR_MESSAGING_OPERATION_NAME]: operation }),
    [ATTR_MESSAGING_DESTINATION_NAME]: facts.topic,
    ...(facts.messageId !== undefined && { [ATTR_MESSAGING_MESSAGE_ID]: facts.messageId }),
    ...(facts.key !== undefined && { [ATTR_MESSAGING_KAFKA_MESSAGE_KEY]: facts.key }),
  };
}

export interface ConsumedRecordFacts extends MessageFacts {
  partition: number;
  offset: string;
  groupId: string;
}

export function consumedRecordAttributes(operation: 'process' | undefined, facts: ConsumedRecordFacts): Attributes {
  return {
    ...messagingAttributes(operation, facts),
    [ATTR_MESSAGING_DESTINATION_PARTITION_ID]: String(facts.partition),
    [ATTR_MESSAGING_KAFKA_OFFSET]: Number(facts.offset),
    [ATTR_MESSAGING_CONSUMER_GROUP_NAME]: facts.groupId,
  };
}
