import type pg from 'pg';
import { AvroSerde } from '@evergreen/avro-serde';
import { createOutbox, type Outbox, type OutboxOptions } from '@evergreen/outbox';
import { createPool, createRedis, type RedisClient, type StackConfig } from '@evergreen/platform';
import { activityLogProjection, userCacheProjection, userSource } from './users.ts';
import type { Projection, Source } from './verify.ts';

/** What verify and repair work on: the stack's database, cache and outbox, and the user read models. */
export interface ConsistencyContext {
  config: StackConfig;
  pool: pg.Pool;
  redis: RedisClient;
  outbox: Outbox;
  source: Source;
  projections: Projection[];
  close(): Promise<void>;
}

/**
 * The connections of `npm run verify`/`repair` and of the operator console's drift actions. The
 * event catalog is the caller's (a service's): a package may not import @evergreen/schemas.
 */
export function consistencyContext(config: StackConfig, catalog: OutboxOptions['catalog']): ConsistencyContext {
  const pool = createPool(config.postgres, { max: 4 });
  const redis = createRedis(config.redis, { maxRetriesPerRequest: 2 });
  const outbox = createOutbox({ serde: AvroSerde.forRegistry(config.registry), config, catalog });
  return {
    config,
    pool,
    redis,
    outbox,
    source: userSource(pool),
    projections: [userCacheProjection(redis), activityLogProjection(pool)],
    async close() {
      redis.disconnect();
      await pool.end();
    },
  };
}
