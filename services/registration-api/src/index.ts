export { buildApp } from './app.ts';
export type { AppOptions } from './app.ts';
export { registrationMigrations } from './migrations.ts';
export { registerUser, registerUserIn, EmailTakenError } from './users/register-user.ts';
export type { User } from '@evergreen/user-aggregate';
export { IdempotencyStore, idempotencyLock, DEFAULT_IDEMPOTENCY_TTL_HOURS } from './idempotency/store.ts';
export { deleteOldUserDeletions, startApiRetention, DEFAULT_USER_DELETION_RETENTION_DAYS, DEFAULT_SWEEP_INTERVAL_MS } from './retention.ts';
export type { ApiRetention, ApiRetentionOptions } from './retention.ts';
export { requestFingerprint } from './idempotency/fingerprint.ts';
