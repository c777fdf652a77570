import type { RedisClient } from '@evergreen/platform';
import type pg from 'pg';
import { knownUserIds, liveFields, readUserStates, streamUserStates, type UserState } from '@evergreen/user-aggregate';
import { readCachedUserStates, scanCachedUserIds, userFingerprint } from '@evergreen/user-read-model';
import type { ProjectedState, SourceState } from './drift.ts';
import type { Projection, Source } from './verify.ts';

const sourceStateOf = (state: UserState): SourceState =>
  state.deleted ? { id: state.id, version: state.version, deleted: true } : { id: state.id, version: state.version, deleted: false, fingerprint: userFingerprint(liveFields(state.user)) };

/** The users table and the deletions record: the source of truth for every user read model. */
export function userSource(pool: pg.Pool, batchSize = 5_000): Source {
  return {
    async *stream() {
      for await (const batch of streamUserStates(pool, batchSize)) yield batch.map(sourceStateOf);
    },
    async read(ids) {
      const states = await readUserStates(pool, ids);
      return new Map([...states].map(([id, state]) => [id, sourceStateOf(state)]));
    },
    known: (ids) => knownUserIds(pool, ids),
  };
}

/** The user cache in Redis (docs/cache.md): versions and content. */
export function userCacheProjection(redis: RedisClient): Projection {
  return { name: 'user-cache', read: (ids) => readCachedUserStates(redis, ids), scan: () => scanCachedUserIds(redis) };
}

/**
 * The activity log (services/activity-log): it keeps no user content, only which versions it
 * logged; its state of a user is its newest entry, and a UserDeleted there means "deleted".
 */
export function activityLogProjection(pool: pg.Pool, batchSize = 5_000): Projection {
  return {
    name: 'activity-log',
    async read(ids) {
      const { rows } = await pool.query<{ user_id: string; version: string; event_type: string }>(
        `SELECT DISTINCT ON (user_id) user_id, version, event_type FROM user_activity
          WHERE user_id = ANY($1::text[]) ORDER BY user_id, version DESC, (event_type = 'UserDeleted') DESC`,
        [ids],
      );
      return new Map(rows.map((row): [string, ProjectedState] => [row.user_id, { version: Number(row.version), deleted: row.event_type === 'UserDeleted' }]));
    },
    async *scan() {
      let after = '';
      for (;;) {
        const { rows } = await pool.query<{ user_id: string }>('SELECT DISTINCT user_id FROM user_activity WHERE user_id > $1 ORDER BY user_id LIMIT $2', [after, batchSize]);
        if (rows.length === 0) return;
        yield rows.map((row) => row.user_id);
        after = (rows[rows.length - 1] as { user_id: string }).user_id;
      }
    },
  };
}
