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

  it('keeps the demo namespace and a once-a-second fsync by default, and takes others from the environment', () => {
    const defaults = loadStackConfig({});
    expect(defaults.redis).toMatchObject({ db: 0, appendfsync: 'everysec' });
    expect(defaults.connect).toMatchObject({ connectorName: 'evergreen-outbox', slotName: 'evergreen_outbox' });

    const other = loadStackConfig({ EVERGREEN_REDIS_DB: '1', EVERGREEN_REDIS_APPENDFSYNC: 'always', EVERGREEN_CONNECTOR_NAME: 'other-outbox', EVERGREEN_SLOT_NAME: 'other_outbox' });
    expect(other.redis).toMatchObject({ db: 1, appendfsync: 'always' });
    expect(other.connect).toMatchObject({ connectorName: 'other-outbox', slotName: 'other_outbox' });
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
    ['EVERGREEN_CONSUMER_STUCK_AFTER_MS', '0', 'must be a positive integer'],
  ])('refuses %s=%j, naming the variable', (variable, value, problem) => {
    const error = refusal({ [variable]: value });

    expect(error.variable).toBe(variable);
    expect(error.message).toContain(variable);
    expect(error.message).toContain(problem);
  });

  it('gives consumers 60 s of retrying the same records before /ready fails, unless EVERGREEN_CONSUMER_STUCK_AFTER_MS says otherwise', () => {
    expect(loadStackConfig({}).consumers.stuckAfterMs).toBe(60_000);
    expect(loadStackConfig({ EVERGREEN_CONSUMER_STUCK_AFTER_MS: '5000' }).consumers.stuckAfterMs).toBe(5_000);
  });
});
