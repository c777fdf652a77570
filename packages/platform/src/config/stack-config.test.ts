import { describe, expect, it } from 'vitest';
import { ConfigError, loadStackConfig } from './stack-config.ts';

/** The ConfigError loadStackConfig throws for this environment. */
function refusal(environment: NodeJS.ProcessEnv): ConfigError {
  try {
    loadStackConfig(environment);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected the configuration to be refused');
}

describe('loadStackConfig', () => {
  it('reads infra/stack.env, and an environment variable of the same name wins', () => {
    const config = loadStackConfig({ EVERGREEN_API_PORT: '4100', EVERGREEN_READ_YOUR_WRITES_TIMEOUT_MS: '250' });

    expect(config.api.port).toBe(4100);
    expect(config.api.url).toBe(`http://${config.api.host}:4100`);
    expect(config.api.readYourWritesTimeoutMs).toBe(250);
    expect(config.activityLog.port).toBe(3002);
  });

  it('keeps idempotency keys 24 hours by default, and takes another time from the environment', () => {
    expect(loadStackConfig({}).api.idempotencyTtlHours).toBe(24);
    expect(loadStackConfig({ EVERGREEN_IDEMPOTENCY_TTL_HOURS: '48' }).api.idempotencyTtlHours).toBe(48);
  });

  it('keeps deletion records 30 days, and refuses fewer days than a dead letter can still be replayed in', () => {
    expect(loadStackConfig({}).api.userDeletionRetentionDays).toBe(30);
    // 14 days of dead letters + 1 of replays.
    expect(loadStackConfig({ EVERGREEN_USER_DELETIONS_RETENTION_DAYS: '15' }).api.userDeletionRetentionDays).toBe(15);
    const error = refusal({ EVERGREEN_USER_DELETIONS_RETENTION_DAYS: '14' });
    expect(error.variable).toBe('EVERGREEN_USER_DELETIONS_RETENTION_DAYS');
    expect(error.message).toContain('must be at least 15 days');
    // Longer dead-letter retention, longer memory of deletions.
    expect(refusal({ EVERGREEN_DLQ_RETENTION_MS: String(40 * 86_400_000) }).message).toContain('must be at least 41 days');
  });

  it('keeps the demo namespace and a once-a-second fsync by default, and takes others from the environment', () => {
    const defaults = loadStackConfig({});
    expect(defaults.redis).toMatchObject({ db: 0, appendfsync: 'everysec' });
    expect(defaults.connect).toMatchObject({ connectorName: 'evergreen-outbox', slotName: 'evergreen_outbox' });

    const other = loadStackConfig({ EVERGREEN_REDIS_DB: '1', EVERGREEN_REDIS_APPENDFSYNC: 'always', EVERGREEN_CONNECTOR_NAME: 'other-outbox', EVERGREEN_SLOT_NAME: 'other_outbox' });
    expect(other.redis).toMatchObject({ db: 1, appendfsync: 'always' });
    expect(other.connect).toMatchObject({ connectorName: 'other-outbox', slotName: 'other_outbox' });
  });

  it('runs one node of everything by default: one broker, replication factor 1, a standalone Redis, one worker', () => {
    const single = loadStackConfig({});

    expect(single.profile).toBe('single');
    expect(single.kafka).toMatchObject({ brokers: ['127.0.0.1:19092'], replicationFactor: 1, minInsyncReplicas: 1 });
    expect(single.kafka.nodes).toEqual([{ id: 1, host: '127.0.0.1', port: 19092, controllerPort: 19093 }]);
    expect(single.connect.workers.map((worker) => worker.url)).toEqual(['http://127.0.0.1:18083']);
    expect(single.redis).toMatchObject({ nodes: [], keyPrefix: '', port: 16379 });
    expect(single.consumers.instances).toBe(1);
  });

  it('lays infra/stack.cluster.env over the defaults for the cluster profile, on ports of its own', () => {
    const cluster = loadStackConfig({ EVERGREEN_STACK_PROFILE: 'cluster' });

    expect(cluster.profile).toBe('cluster');
    expect(cluster.kafka.brokers).toEqual(['127.0.0.1:19192', '127.0.0.1:19292', '127.0.0.1:19392']);
    expect(cluster.kafka.nodes.map((node) => node.controllerPort)).toEqual([19193, 19293, 19393]);
    expect(cluster.kafka).toMatchObject({ replicationFactor: 3, minInsyncReplicas: 2 });
    expect(cluster.connect.workers.map((worker) => worker.port)).toEqual([18183, 18283]);
    expect(cluster.connect.url).toBe('http://127.0.0.1:18183');
    expect(cluster.redis.nodes).toHaveLength(6);
    expect(cluster.postgres.port).toBe(15532);
    expect(cluster.consumers.instances).toBe(2);
    // An environment variable still wins over the profile's file.
    expect(loadStackConfig({ EVERGREEN_STACK_PROFILE: 'cluster', EVERGREEN_CONSUMER_INSTANCES: '3' }).consumers.instances).toBe(3);
  });

  it('refuses an unknown profile, naming the variable', () => {
    expect(() => loadStackConfig({ EVERGREEN_STACK_PROFILE: 'galaxy' })).toThrow(/EVERGREEN_STACK_PROFILE.*single, cluster/);
  });

  it.each([
    [{ EVERGREEN_TOPIC_REPLICATION_FACTOR: '2' }, 'EVERGREEN_TOPIC_REPLICATION_FACTOR', 'at most the number of Kafka nodes (1)'],
    [{ EVERGREEN_STACK_PROFILE: 'cluster', EVERGREEN_TOPIC_MIN_INSYNC_REPLICAS: '4' }, 'EVERGREEN_TOPIC_MIN_INSYNC_REPLICAS', 'at most EVERGREEN_TOPIC_REPLICATION_FACTOR (3)'],
    [{ EVERGREEN_KAFKA_PORTS: '19192,19292' }, 'EVERGREEN_KAFKA_CONTROLLER_PORTS', 'one controller port per broker port (2)'],
    [{ EVERGREEN_KAFKA_PORTS: '19192,x' }, 'EVERGREEN_KAFKA_PORTS', 'list of TCP ports'],
    [{ EVERGREEN_REDIS_NODES: '127.0.0.1' }, 'EVERGREEN_REDIS_NODES', 'list of host:port'],
    [{ EVERGREEN_STACK_PROFILE: 'cluster', EVERGREEN_REDIS_DB: '1' }, 'EVERGREEN_REDIS_DB', 'must be 0 on a Redis Cluster'],
  ])('refuses the topology %j, naming %s', (environment, variable, problem) => {
    const error = refusal(environment);

    expect(error.variable).toBe(variable);
    expect(error.message).toContain(problem);
  });

  it.each([
    ['EVERGREEN_API_PORT', '70000', 'must be a TCP port'],
    ['EVERGREEN_API_PORT', 'three thousand', 'must be a TCP port'],
    ['EVERGREEN_READ_YOUR_WRITES_TIMEOUT_MS', '0', 'must be a positive integer'],
    ['EVERGREEN_READ_YOUR_WRITES_TIMEOUT_MS', '0.5', 'must be a positive integer'],
    ['EVERGREEN_IDEMPOTENCY_TTL_HOURS', '0', 'must be a positive integer'],
    ['EVERGREEN_IDEMPOTENCY_TTL_HOURS', '1.5', 'must be a positive integer'],
    ['EVERGREEN_IDEMPOTENCY_TTL_HOURS', '8761', 'must be at most 8760 hours'],
    ['EVERGREEN_ACTIVITY_LOG_PORT', '   ', 'is not set'],
    ['EVERGREEN_KAFKA_HEAP', '1 gigabyte', 'must be a JVM heap size'],
    ['EVERGREEN_REDIS_DB', '16', 'must be a Redis database number (0-15)'],
    ['EVERGREEN_REDIS_DB', '-1', 'must be a Redis database number (0-15)'],
    ['EVERGREEN_REDIS_APPENDFSYNC', 'sometimes', 'must be one of everysec, always'],
    ['EVERGREEN_SLOT_NAME', 'evergreen-outbox', 'must be a replication slot name'],
    ['EVERGREEN_REGISTRY_TIMEOUT_MS', '0', 'must be a positive integer'],
    ['EVERGREEN_REDIS_COMMAND_TIMEOUT_MS', '5s', 'must be a positive integer'],
    ['EVERGREEN_CONSUMER_STUCK_AFTER_MS', '0', 'must be a positive integer'],
    ['EVERGREEN_CONSOLE_ALLOWED_HOSTS', 'localhost,*', 'without ports or wildcards, got "*"'],
    ['EVERGREEN_CONSOLE_ALLOWED_HOSTS', '*.example.com', 'without ports or wildcards'],
    ['EVERGREEN_CONSOLE_ALLOWED_HOSTS', '127.0.0.1:3006', 'without ports or wildcards'],
    ['EVERGREEN_CONSOLE_ALLOWED_HOSTS', 'localhost,,console', 'without ports or wildcards, got ""'],
  ])('refuses %s=%j, naming the variable', (variable, value, problem) => {
    const error = refusal({ [variable]: value });

    expect(error.variable).toBe(variable);
    expect(error.message).toContain(variable);
    expect(error.message).toContain(problem);
  });

  it("leaves the console's allowed hosts to its default unless EVERGREEN_CONSOLE_ALLOWED_HOSTS lists them, lower-cased, IPv6 without brackets", () => {
    expect(loadStackConfig({}).console.allowedHosts).toBeUndefined();
    expect(loadStackConfig({ EVERGREEN_CONSOLE_ALLOWED_HOSTS: ' Console.Example.com , 127.0.0.1,[::1],operator-console ' }).console.allowedHosts).toEqual(['console.example.com', '127.0.0.1', '::1', 'operator-console']);
  });

  it('gives consumers 60 s of retrying the same records before /ready fails, unless EVERGREEN_CONSUMER_STUCK_AFTER_MS says otherwise', () => {
    expect(loadStackConfig({}).consumers.stuckAfterMs).toBe(60_000);
    expect(loadStackConfig({ EVERGREEN_CONSUMER_STUCK_AFTER_MS: '5000' }).consumers.stuckAfterMs).toBe(5_000);
  });

  it('leaves the registry and Redis timeouts to their clients unless EVERGREEN_REGISTRY_TIMEOUT_MS and EVERGREEN_REDIS_COMMAND_TIMEOUT_MS say otherwise', () => {
    const defaults = loadStackConfig({});
    expect(defaults.registry.timeoutMs).toBeUndefined();
    expect(defaults.redis.commandTimeoutMs).toBeUndefined();
    const set = loadStackConfig({ EVERGREEN_REGISTRY_TIMEOUT_MS: '8000', EVERGREEN_REDIS_COMMAND_TIMEOUT_MS: '1500' });
    expect(set.registry.timeoutMs).toBe(8_000);
    expect(set.redis.commandTimeoutMs).toBe(1_500);
  });
});
