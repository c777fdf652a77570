import { findRepoRoot, loadStackEnv, type StackProfile } from './env-file.ts';

export interface PostgresSettings {
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
}

/** How Redis fsyncs its append-only file: once a second, or before answering every write. */
export type AppendFsync = 'everysec' | 'always';

export const APPEND_FSYNC_POLICIES: readonly AppendFsync[] = ['everysec', 'always'];

export interface HostPort {
  host: string;
  port: number;
}

/** One Kafka node: broker and KRaft controller in one process. */
export interface KafkaNode extends HostPort {
  id: number;
  controllerPort: number;
}

export interface RedisSettings {
  host: string;
  port: number;
  /**
   * The nodes of a Redis Cluster (EVERGREEN_REDIS_NODES); empty for one standalone Redis at
   * host:port. Clients connect to the cluster through any of them.
   */
  nodes: HostPort[];
  /** Replicas per primary the local stack gives its Redis Cluster. */
  clusterReplicas: number;
  /**
   * Prepended to every key of this namespace. A Redis Cluster has only db 0, so a namespace that
   * is not the demo's (the end-to-end tests', the benchmarks') keeps apart by prefix there.
   */
  keyPrefix: string;
  /** The logical database (SELECT) every client of this namespace uses: the demo 0, the end-to-end tests their own. */
  db: number;
  appendfsync: AppendFsync;
  /**
   * How long a command may go unanswered before it fails (EVERGREEN_REDIS_COMMAND_TIMEOUT_MS);
   * undefined: createRedis's default. A client's own options (the API's 500 ms) win.
   */
  commandTimeoutMs?: number;
}

/** Where every component of the stack listens, read from infra/stack.env and the environment. */
export interface StackConfig {
  repoRoot: string;
  /** EVERGREEN_STACK_PROFILE: single nodes (default) or the replicated cluster (infra/stack.cluster.env). */
  profile: StackProfile;
  postgres: PostgresSettings;
  registryDatabase: string;
  redis: RedisSettings;
  kafka: {
    brokers: string[];
    host: string;
    port: number;
    controllerPort: number;
    heap: string;
    /** Every node of the KRaft quorum; the first is host:port/controllerPort. */
    nodes: KafkaNode[];
    /** Of every topic the stack creates: the aggregates', Connect's, the consumer offsets'. */
    replicationFactor: number;
    /** With acks=all, a write needs this many in-sync replicas or it is refused (never silently under-replicated). */
    minInsyncReplicas: number;
  };
  connect: {
    url: string;
    host: string;
    port: number;
    heap: string;
    dbHost: string;
    dbPort: number;
    /** The outbox connector's name in Kafka Connect (its offsets are kept under it). */
    connectorName: string;
    /** The PostgreSQL replication slot the connector reads from. */
    slotName: string;
    /** Every worker of the distributed group; `url` is the first's (any worker answers for the group). */
    workers: Array<HostPort & { url: string }>;
  };
  registry: {
    url: string;
    ccompatUrl: string;
    host: string;
    port: number;
    heap: string;
    /** How long one registry call of a serde may take (EVERGREEN_REGISTRY_TIMEOUT_MS); undefined: the serde's default. */
    timeoutMs?: number;
  };
  /** The JVMs' (Kafka, Connect, registry) starting heap; each grows to its own maximum under load and gives back what it no longer uses when idle. */
  jvm: { initialHeap: string };
  topics: { prefix: string; partitions: number };
  api: {
    host: string;
    port: number;
    url: string;
    readYourWritesTimeoutMs: number;
    /** How long an Idempotency-Key's answer is kept and replayed, in hours (EVERGREEN_IDEMPOTENCY_TTL_HOURS). */
    idempotencyTtlHours: number;
    /**
     * How long user_deletions remembers a deleted user, in days (EVERGREEN_USER_DELETIONS_RETENTION_DAYS):
     * at least as long as the dead-letter and retry topics keep what could bring the user back.
     */
    userDeletionRetentionDays: number;
  };
  populator: { port: number };
  /** The periodic verification of read models against PostgreSQL (packages/consistency). */
  consistency: { verifyIntervalMs: number; verifyGraceMs: number };
  activityLog: { port: number };
  /**
   * Every consumer (packages/consumer): how long a partition may retry one record before /ready
   * fails; how many instances of each consumer service the supervisor runs (one group).
   */
  consumers: { stuckAfterMs: number; retryBudgetMs: number; instances: number };
  /**
   * services/order-service: its HTTP port, its own database with the outbox connector and slot that
   * relay it, and the consumer group of its replica of the users.
   */
  orders: { port: number; database: string; connectorName: string; slotName: string; usersGroupId: string };
  /** services/order-cache: its ops port. */
  orderCache: { port: number };
  /** services/relay-monitor: its ops port, how often it polls, how long the slot may be missing or inactive before /ready fails. */
  relayMonitor: { port: number; pollIntervalMs: number; slotGraceMs: number };
  /**
   * services/operator-console: where its page listens (loopback unless told otherwise), and the
   * host names it answers to (EVERGREEN_CONSOLE_ALLOWED_HOSTS; undefined: the console's default,
   * the loopback names and the bound host).
   */
  console: { host: string; port: number; url: string; sampleIntervalMs: number; allowedHosts: string[] | undefined };
  logLevel: string;
  versions: PinnedVersions;
}

/** infra/versions.env: every version the stack downloads. */
export interface PinnedVersions {
  kafka: string;
  log4j: string;
  debezium: string;
  apicurio: string;
  mavenDependencyPlugin: string;
  mavenDependencyPluginGet: string;
  /**
   * The SHA-256 of the Debezium plugin archive (DEBEZIUM_PLUGIN_SHA256): Maven Central publishes no
   * checksum for it, so provisioning verifies it against this pin; unset, it refuses to install it.
   */
  debeziumPluginSha256: string | undefined;
  postgresMajor: string;
  redisMajor: string;
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}

const HOST_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;
// Two colons at least: one alone is a host and a port.
const IPV6_ADDRESS = /^[0-9a-f.]*:[0-9a-f.]*:[0-9a-f:.]*$/;

/**
 * A comma-separated list of host names or addresses as a Host header carries them, lower-cased and
 * an IPv6 address without brackets; a port, a pattern or a wildcard is refused, naming `variable`,
 * since an allow-list that matches any name guards nothing.
 */
export function hostList(variable: string, raw: string): string[] {
  return raw.split(',').map((item) => {
    const host = item.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
    if (!HOST_NAME.test(host) && !IPV6_ADDRESS.test(host)) {
      throw new ConfigError(variable, `must be a comma-separated list of host names or addresses, without ports or wildcards, got "${item.trim()}"`);
    }
    return host;
  });
}

function reader(env: Record<string, string>) {
  const text = (name: string): string => {
    const value = env[name];
    if (value === undefined || value.trim() === '') throw new ConfigError(name, 'is not set');
    return value.trim();
  };
  const port = (name: string): number => {
    const raw = text(name);
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 1 || value > 65_535) {
      throw new ConfigError(name, `must be a TCP port (1-65535), got "${raw}"`);
    }
    return value;
  };
  const positiveInt = (name: string): number => {
    const raw = text(name);
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 1) throw new ConfigError(name, `must be a positive integer, got "${raw}"`);
    return value;
  };
  const hours = (name: string, max: number): number => {
    const value = positiveInt(name);
    if (value > max) throw new ConfigError(name, `must be at most ${max} hours, got "${value}"`);
    return value;
  };
  const heap = (name: string): string => {
    const raw = text(name);
    if (!/^\d+[mgMG]$/.test(raw)) throw new ConfigError(name, `must be a JVM heap size like 512m or 1g, got "${raw}"`);
    return raw;
  };
  const redisDb = (name: string): number => {
    const raw = text(name);
    const value = Number(raw);
    // redis-server's default `databases 16`, which the local stack and docker-compose keep.
    if (!/^\d+$/.test(raw) || value > 15) throw new ConfigError(name, `must be a Redis database number (0-15), got "${raw}"`);
    return value;
  };
  const appendFsync = (name: string): AppendFsync => {
    const raw = text(name);
    const policy = APPEND_FSYNC_POLICIES.find((known) => known === raw);
    if (!policy) throw new ConfigError(name, `must be one of ${APPEND_FSYNC_POLICIES.join(', ')}, got "${raw}"`);
    return policy;
  };
  const slotName = (name: string): string => {
    const raw = text(name);
    // PostgreSQL's rule for replication slot names.
    if (!/^[a-z0-9_]{1,63}$/.test(raw)) throw new ConfigError(name, `must be a replication slot name (lower-case letters, digits and _, at most 63), got "${raw}"`);
    return raw;
  };
  const optional = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const optionalPositiveInt = (name: string): number | undefined => (optional(name) === undefined ? undefined : positiveInt(name));
  const portList = (name: string, fallback: number): number[] => {
    const raw = optional(name);
    if (raw === undefined) return [fallback];
    return raw.split(',').map((item) => {
      const value = Number(item.trim());
      if (!Number.isInteger(value) || value < 1 || value > 65_535) throw new ConfigError(name, `must be a comma-separated list of TCP ports, got "${raw}"`);
      return value;
    });
  };
  const hostPorts = (name: string): HostPort[] => {
    const raw = optional(name);
    if (raw === undefined) return [];
    return raw.split(',').map((item) => {
      const match = /^([^:\s]+):(\d{1,5})$/.exec(item.trim());
      const value = Number(match?.[2]);
      if (!match?.[1] || !Number.isInteger(value) || value < 1 || value > 65_535) throw new ConfigError(name, `must be a comma-separated list of host:port, got "${raw}"`);
      return { host: match[1], port: value };
    });
  };
  const hostNames = (name: string): string[] | undefined => {
    const raw = optional(name);
    return raw === undefined ? undefined : hostList(name, raw);
  };
  return { text, port, positiveInt, hours, heap, redisDb, appendFsync, slotName, optional, optionalPositiveInt, portList, hostPorts, hostNames };
}

/** Reads and validates the stack configuration; a bad value throws a ConfigError naming the variable. */
export function loadStackConfig(environment: NodeJS.ProcessEnv = process.env): StackConfig {
  const repoRoot = findRepoRoot();
  const env = loadStackEnv(environment, repoRoot);
  const { text, port, positiveInt, hours, heap, redisDb, appendFsync, slotName, optional, optionalPositiveInt, portList, hostPorts, hostNames } = reader(env);

  const kafkaHost = text('EVERGREEN_KAFKA_HOST');
  const kafkaPort = port('EVERGREEN_KAFKA_PORT');
  const kafkaNodes = kafkaNodesOf(kafkaHost, portList('EVERGREEN_KAFKA_PORTS', kafkaPort), portList('EVERGREEN_KAFKA_CONTROLLER_PORTS', port('EVERGREEN_KAFKA_CONTROLLER_PORT')));
  const replicationFactor = positiveInt('EVERGREEN_TOPIC_REPLICATION_FACTOR');
  const minInsyncReplicas = positiveInt('EVERGREEN_TOPIC_MIN_INSYNC_REPLICAS');
  if (replicationFactor > kafkaNodes.length) throw new ConfigError('EVERGREEN_TOPIC_REPLICATION_FACTOR', `must be at most the number of Kafka nodes (${kafkaNodes.length}), got ${replicationFactor}`);
  if (minInsyncReplicas > replicationFactor) throw new ConfigError('EVERGREEN_TOPIC_MIN_INSYNC_REPLICAS', `must be at most EVERGREEN_TOPIC_REPLICATION_FACTOR (${replicationFactor}), got ${minInsyncReplicas}`);
  const connectHost = text('EVERGREEN_CONNECT_HOST');
  const connectPorts = portList('EVERGREEN_CONNECT_PORTS', port('EVERGREEN_CONNECT_PORT'));
  const connectPort = connectPorts[0] as number;
  const redisNodes = hostPorts('EVERGREEN_REDIS_NODES');
  const redisDbNumber = redisDb('EVERGREEN_REDIS_DB');
  if (redisNodes.length > 0 && redisDbNumber !== 0) throw new ConfigError('EVERGREEN_REDIS_DB', `must be 0 on a Redis Cluster (EVERGREEN_REDIS_NODES), which has no other database; keep apart with EVERGREEN_REDIS_KEY_PREFIX`);
  const registryHost = text('EVERGREEN_REGISTRY_HOST');
  const registryPort = port('EVERGREEN_REGISTRY_PORT');
  const apiHost = text('EVERGREEN_API_HOST');
  const apiPort = port('EVERGREEN_API_PORT');
  // A replayed dead letter is the last way a deleted user can reach a read model again: the record
  // of the deletion must outlive everything the dead-letter and retry topics still hold.
  const replayHorizonDays = Math.ceil((positiveInt('EVERGREEN_DLQ_RETENTION_MS') + positiveInt('EVERGREEN_RETRY_RETENTION_MS')) / 86_400_000);
  const userDeletionRetentionDays = positiveInt('EVERGREEN_USER_DELETIONS_RETENTION_DAYS');
  if (userDeletionRetentionDays < replayHorizonDays) {
    throw new ConfigError('EVERGREEN_USER_DELETIONS_RETENTION_DAYS', `must be at least ${replayHorizonDays} days (EVERGREEN_DLQ_RETENTION_MS + EVERGREEN_RETRY_RETENTION_MS, how long a dead letter can still be replayed), got ${userDeletionRetentionDays}`);
  }

  return {
    repoRoot,
    profile: env.EVERGREEN_STACK_PROFILE === 'cluster' ? 'cluster' : 'single',
    postgres: {
      host: text('EVERGREEN_PG_HOST'),
      port: port('EVERGREEN_PG_PORT'),
      database: text('EVERGREEN_PG_DATABASE'),
      user: text('EVERGREEN_PG_USER'),
      password: text('EVERGREEN_PG_PASSWORD'),
    },
    registryDatabase: text('EVERGREEN_REGISTRY_DATABASE'),
    redis: {
      host: text('EVERGREEN_REDIS_HOST'),
      port: port('EVERGREEN_REDIS_PORT'),
      db: redisDbNumber,
      appendfsync: appendFsync('EVERGREEN_REDIS_APPENDFSYNC'),
      nodes: redisNodes,
      clusterReplicas: Number(optional('EVERGREEN_REDIS_CLUSTER_REPLICAS') ?? '0'),
      keyPrefix: optional('EVERGREEN_REDIS_KEY_PREFIX') ?? '',
      commandTimeoutMs: optionalPositiveInt('EVERGREEN_REDIS_COMMAND_TIMEOUT_MS'),
    },
    kafka: {
      brokers: kafkaNodes.map((node) => `${node.host}:${node.port}`),
      host: kafkaHost,
      port: kafkaNodes[0]?.port ?? kafkaPort,
      controllerPort: kafkaNodes[0]?.controllerPort ?? port('EVERGREEN_KAFKA_CONTROLLER_PORT'),
      heap: heap('EVERGREEN_KAFKA_HEAP'),
      nodes: kafkaNodes,
      replicationFactor,
      minInsyncReplicas,
    },
    connect: {
      url: `http://${connectHost}:${connectPort}`,
      host: connectHost,
      port: connectPort,
      heap: heap('EVERGREEN_CONNECT_HEAP'),
      dbHost: text('EVERGREEN_CONNECT_DB_HOST'),
      dbPort: port('EVERGREEN_CONNECT_DB_PORT'),
      connectorName: text('EVERGREEN_CONNECTOR_NAME'),
      slotName: slotName('EVERGREEN_SLOT_NAME'),
      workers: connectPorts.map((workerPort) => ({ host: connectHost, port: workerPort, url: `http://${connectHost}:${workerPort}` })),
    },
    registry: {
      url: `http://${registryHost}:${registryPort}`,
      ccompatUrl: `http://${registryHost}:${registryPort}/apis/ccompat/v7`,
      host: registryHost,
      port: registryPort,
      heap: heap('EVERGREEN_REGISTRY_HEAP'),
      timeoutMs: optionalPositiveInt('EVERGREEN_REGISTRY_TIMEOUT_MS'),
    },
    jvm: { initialHeap: heap('EVERGREEN_JVM_INITIAL_HEAP') },
    topics: { prefix: text('EVERGREEN_TOPIC_PREFIX'), partitions: positiveInt('EVERGREEN_TOPIC_PARTITIONS') },
    api: {
      host: apiHost,
      port: apiPort,
      url: `http://${apiHost}:${apiPort}`,
      readYourWritesTimeoutMs: positiveInt('EVERGREEN_READ_YOUR_WRITES_TIMEOUT_MS'),
      // At most a year: the keys are a retry window, not an archive.
      idempotencyTtlHours: hours('EVERGREEN_IDEMPOTENCY_TTL_HOURS', 8_760),
      userDeletionRetentionDays,
    },
    populator: { port: port('EVERGREEN_POPULATOR_PORT') },
    consistency: { verifyIntervalMs: positiveInt('EVERGREEN_VERIFY_INTERVAL_MS'), verifyGraceMs: positiveInt('EVERGREEN_VERIFY_GRACE_MS') },
    activityLog: { port: port('EVERGREEN_ACTIVITY_LOG_PORT') },
    consumers: {
      stuckAfterMs: positiveInt('EVERGREEN_CONSUMER_STUCK_AFTER_MS'),
      retryBudgetMs: positiveInt('EVERGREEN_CONSUMER_RETRY_BUDGET_MS'),
      instances: positiveInt('EVERGREEN_CONSUMER_INSTANCES'),
    },
    orders: {
      port: port('EVERGREEN_ORDER_SERVICE_PORT'),
      database: text('EVERGREEN_ORDERS_PG_DATABASE'),
      connectorName: text('EVERGREEN_ORDERS_CONNECTOR_NAME'),
      slotName: slotName('EVERGREEN_ORDERS_SLOT_NAME'),
      usersGroupId: text('EVERGREEN_ORDER_USERS_GROUP'),
    },
    orderCache: { port: port('EVERGREEN_ORDER_CACHE_PORT') },
    relayMonitor: {
      port: port('EVERGREEN_RELAY_MONITOR_PORT'),
      pollIntervalMs: positiveInt('EVERGREEN_RELAY_POLL_INTERVAL_MS'),
      slotGraceMs: positiveInt('EVERGREEN_RELAY_SLOT_GRACE_MS'),
    },
    console: {
      host: text('EVERGREEN_CONSOLE_HOST'),
      port: port('EVERGREEN_CONSOLE_PORT'),
      url: `http://${text('EVERGREEN_CONSOLE_HOST')}:${port('EVERGREEN_CONSOLE_PORT')}`,
      sampleIntervalMs: positiveInt('EVERGREEN_CONSOLE_SAMPLE_INTERVAL_MS'),
      allowedHosts: hostNames('EVERGREEN_CONSOLE_ALLOWED_HOSTS'),
    },
    logLevel: text('EVERGREEN_LOG_LEVEL'),
    versions: {
      kafka: text('KAFKA_VERSION'),
      log4j: text('LOG4J_VERSION'),
      debezium: text('DEBEZIUM_VERSION'),
      apicurio: text('APICURIO_VERSION'),
      mavenDependencyPlugin: text('MAVEN_DEPENDENCY_PLUGIN_VERSION'),
      mavenDependencyPluginGet: text('MAVEN_DEPENDENCY_PLUGIN_GET_VERSION'),
      debeziumPluginSha256: optional('DEBEZIUM_PLUGIN_SHA256')?.toLowerCase(),
      postgresMajor: text('POSTGRES_MAJOR'),
      redisMajor: text('REDIS_MAJOR'),
    },
  };
}

/** Node ids 1..n, each broker port paired with its controller port. */
function kafkaNodesOf(host: string, ports: number[], controllerPorts: number[]): KafkaNode[] {
  if (ports.length !== controllerPorts.length) {
    throw new ConfigError('EVERGREEN_KAFKA_CONTROLLER_PORTS', `must list one controller port per broker port (${ports.length}), got ${controllerPorts.length}`);
  }
  return ports.map((port, index) => ({ id: index + 1, host, port, controllerPort: controllerPorts[index] as number }));
}

/** The topic that carries every event of one aggregate type, in commit order per aggregate. */
export function aggregateTopic(config: { topics: Pick<StackConfig['topics'], 'prefix'> }, aggregateType: string): string {
  return `${config.topics.prefix}.${aggregateType}`;
}

/** A database with an outbox, and the Debezium connector and replication slot that relay it. */
export interface OutboxRelay {
  database: string;
  connectorName: string;
  slotName: string;
  /**
   * Debezium's logical server name (its topic.prefix): it names the connector's metrics and keys its
   * offsets, so it must differ between connectors of one Kafka Connect; a second one with the same
   * name waits for the first's metrics to go away and never streams.
   */
  serverName: string;
}

/**
 * Every outbox of the namespace, one connector and slot per database (a database per service): the
 * registration API's (users) and the order service's (orders).
 */
export function outboxRelays(config: Pick<StackConfig, 'postgres' | 'connect' | 'orders' | 'topics'>): OutboxRelay[] {
  return [
    // The users' connector keeps the server name it always had: its stored offsets are keyed by it.
    { database: config.postgres.database, connectorName: config.connect.connectorName, slotName: config.connect.slotName, serverName: config.topics.prefix },
    { database: config.orders.database, connectorName: config.orders.connectorName, slotName: config.orders.slotName, serverName: `${config.topics.prefix}-orders` },
  ];
}

/**
 * The ops port of a consumer service's instance when several run in one group (the cluster
 * profile's EVERGREEN_CONSUMER_INSTANCES): the configured one, then +100 for each further instance.
 */
export const instancePort = (basePort: number, instance: number): number => basePort + 100 * (instance - 1);
