export { parseEnvFile, findRepoRoot, loadStackEnv } from './config/env-file.ts';
export { renderTemplate } from './config/render-template.ts';
export { loadStackConfig, aggregateTopic, outboxRelays, instancePort, ConfigError, APPEND_FSYNC_POLICIES, hostList } from './config/stack-config.ts';
export type { OutboxRelay, StackConfig, PostgresSettings, RedisSettings, AppendFsync, PinnedVersions, HostPort, KafkaNode } from './config/stack-config.ts';
export { pollUntil, DeadlineExceededError } from './wait/poll-until.ts';
export type { PollOptions } from './wait/poll-until.ts';
export { createLogger, logFormat } from './logger/logger.ts';
export type { Logger, LogFormat } from './logger/logger.ts';
export { migrate, readMigrations } from './migrations/migrate.ts';
export { migrateFromCli } from './migrations/migrate-cli.ts';
export type { Migration } from './migrations/migrate.ts';
export { withTransaction, withClient, checkOutClient, createPool, createClient, postgresStoreOf, CheckedOutClient, DEFAULT_POOL_TIMEOUTS, LONG_RUNNING_TIMEOUTS } from './postgres/transaction.ts';
export type { PoolTimeouts } from './postgres/transaction.ts';
export {
  ADVISORY_LOCK_CLASSES,
  advisoryLockKey,
  describeAdvisoryLock,
  legacyNamespaceLock,
  lockForTransaction,
  lockSession,
  tryLockForTransaction,
  tryLockSession,
  unlockSession,
} from './postgres/advisory-locks.ts';
export type { AdvisoryLockKey, AdvisoryLockUse } from './postgres/advisory-locks.ts';
export { isPostgresUnavailable, isClientSideTimeout } from './postgres/errors.ts';
export { exitOnFatalErrors, FATAL_EXIT_CODE } from './process/fatal.ts';
export type { FatalHandlerOptions } from './process/fatal.ts';
export * from './tracing/index.ts';
export { startPeriodicJob } from './jobs/periodic.ts';
export type { PeriodicJob, PeriodicJobOptions } from './jobs/periodic.ts';
export { drainInBatches, startRetentionJob } from './jobs/retention.ts';
export type { DeleteBatch, DrainOptions, DrainResult, RetentionJobOptions } from './jobs/retention.ts';
export { startOpsServer } from './ops/ops-server.ts';
export { applyIdleTimeout, DEFAULT_HTTP_SERVER_TIMEOUTS, fastifyServerOptions, nodeServerOptions } from './http/server-timeouts.ts';
export type { HttpServerTimeouts } from './http/server-timeouts.ts';
export { processMetricsRegistry } from './ops/metrics-registry.ts';
export type { OpsServer, OpsServerOptions } from './ops/ops-server.ts';
export { createKafka, KAFKA_CLIENT_TIMEOUTS, PRODUCE_ACK_TIMEOUT_MS } from './kafka/client.ts';
export { createRedis, DEFAULT_REDIS_TIMEOUTS, isCluster, slotOf, groupBySlot, sendBatched, scanTargets, scanKeys } from './redis/client.ts';
export type { RedisClient, RedisClientSettings, BatchedCall } from './redis/client.ts';
export { STACK_PROFILES, stackProfileOf } from './config/env-file.ts';
export type { StackProfile } from './config/env-file.ts';
