/**
 * The end-to-end tests' namespace on the shared stack: the same PostgreSQL, Redis, Kafka, Connect
 * and registry processes as the demo (`npm start`), but a database, topics, a connector with its
 * replication slot, a Redis database, service ports and consumer groups of their own. So a test
 * run leaves nothing in `evergreen`, `evergreen.user`, `evergreen.user.dlq` or Redis db 0.
 *
 * The one definition: vitest.config.ts gives it to the e2e workers (`test.env`, which wins over
 * the environment), and the global setup puts it in its own process.env before it loads config.
 * Kept free of imports, because vitest.config.ts loads it.
 */
export const E2E_NAMESPACE = {
  EVERGREEN_PG_DATABASE: 'evergreen_e2e',
  EVERGREEN_TOPIC_PREFIX: 'evergreen-e2e',
  EVERGREEN_REDIS_DB: '1',
  EVERGREEN_CONNECTOR_NAME: 'evergreen-e2e-outbox',
  EVERGREEN_SLOT_NAME: 'evergreen_e2e_outbox',
  // The order service's own database, connector and slot (a database per service).
  EVERGREEN_ORDERS_PG_DATABASE: 'evergreen_e2e_orders',
  EVERGREEN_ORDERS_CONNECTOR_NAME: 'evergreen-e2e-orders-outbox',
  EVERGREEN_ORDERS_SLOT_NAME: 'evergreen_e2e_orders_outbox',
  // The tests' connectors stay registered between runs (their slots must keep advancing), and at
  // the product's 10 ms each idle connector costs Kafka Connect a tenth of a core (docs/performance.md).
  // The tests assert what reaches the cache, not how fast: 100 ms is plenty.
  EVERGREEN_DEBEZIUM_POLL_INTERVAL_MS: '100',
  // Services a test starts as processes listen and join groups apart from a running demo.
  EVERGREEN_API_PORT: '3100',
  EVERGREEN_POPULATOR_PORT: '3101',
  EVERGREEN_ACTIVITY_LOG_PORT: '3102',
  EVERGREEN_ORDER_SERVICE_PORT: '3103',
  EVERGREEN_ORDER_CACHE_PORT: '3104',
  EVERGREEN_CONSOLE_PORT: '3106',
  EVERGREEN_POPULATOR_GROUP: 'evergreen-e2e-cache-populator',
  EVERGREEN_ACTIVITY_LOG_GROUP: 'evergreen-e2e-activity-log',
  EVERGREEN_ORDER_USERS_GROUP: 'evergreen-e2e-order-service-users',
  EVERGREEN_ORDER_CACHE_GROUP: 'evergreen-e2e-order-cache',
} as const satisfies Record<string, string>;

/**
 * On the cluster profile (EVERGREEN_STACK_PROFILE=cluster): a Redis Cluster has only db 0, so the
 * namespace keeps apart by key prefix; its services listen on ports of their own (each consumer's
 * second instance at +100), apart from a run of the suites on the single-node stack beside it.
 */
export const E2E_CLUSTER_NAMESPACE = {
  EVERGREEN_REDIS_DB: '0',
  EVERGREEN_REDIS_KEY_PREFIX: 'evergreen-e2e/',
  EVERGREEN_API_PORT: '3140',
  EVERGREEN_POPULATOR_PORT: '3141',
  EVERGREEN_ACTIVITY_LOG_PORT: '3142',
  EVERGREEN_ORDER_SERVICE_PORT: '3143',
  EVERGREEN_ORDER_CACHE_PORT: '3144',
} as const satisfies Record<string, string>;

/** The namespace of the profile the environment names. */
export function e2eNamespace(environment: NodeJS.ProcessEnv): Record<string, string> {
  return environment.EVERGREEN_STACK_PROFILE === 'cluster' ? { ...E2E_NAMESPACE, ...E2E_CLUSTER_NAMESPACE } : E2E_NAMESPACE;
}

/** Lays the namespace over an environment (process.env in the global setup); the namespace wins. */
export function enterE2eNamespace(environment: NodeJS.ProcessEnv): void {
  Object.assign(environment, e2eNamespace(environment));
}

/**
 * Redis databases in use on the shared stack: 0 the demo, 1 the tests' namespace (above), 12 the
 * end-to-end benchmark's namespace (bench/src/e2e), 13 and 14 the other benchmarks (bench/), 15 a suite that flips the cache's active generation
 * (rebuild.e2e.test.ts), which must not happen where other suites read.
 */
export const REBUILD_SCRATCH_REDIS_DB = 15;
