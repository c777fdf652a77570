import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { mainTopicOf } from '@evergreen/event-catalog';
import { postgresStoreOf, readMigrations, withTransaction, type Migration, type StoreFacts } from '@evergreen/platform';
import type { ApplyOutcome, PendingOperation, Sink } from '../sink.ts';

/** A write into the projection's own tables, inside the transaction that also records the event in the inbox. */
export type InboxOperation = (tx: pg.PoolClient) => Promise<void>;

/**
 * Records the batch's event ids with their keys and versions, in record order; an id already
 * there is left as it is. Returns the ids it recorded: the events not seen before, or whose rows
 * were pruned (the fence tells those apart).
 */
const RECORD_EVENTS = `
  INSERT INTO consumer_inbox (consumer, event_id, topic, aggregate_id, aggregate_version)
  SELECT $1, e.event_id, e.topic, e.aggregate_id, e.aggregate_version
    FROM unnest($2::uuid[], $3::text[], $4::text[], $5::bigint[]) WITH ORDINALITY AS e(event_id, topic, aggregate_id, aggregate_version, n)
   ORDER BY e.n
  ON CONFLICT DO NOTHING
  RETURNING event_id`;

/**
 * The fences of the batch's keys. A separate statement after RECORD_EVENTS, on purpose: when
 * pruneInbox deletes an id while the batch inserts it, the insert waits for the prune's commit,
 * and only a statement begun after that commit sees the fence it raised.
 */
const READ_FENCES = `
  SELECT f.topic, f.aggregate_id, f.version FROM consumer_inbox_fence f
    JOIN unnest($2::text[], $3::text[]) AS k(topic, aggregate_id) ON f.topic = k.topic AND f.aggregate_id = k.aggregate_id
   WHERE f.consumer = $1`;

const keyOf = (topic: string, aggregateId: string) => `${topic}\u0000${aggregateId}`;

/**
 * A PostgreSQL projection with an inbox (the consumer-side twin of the outbox): one transaction
 * per batch records each event id and runs its write only if the event is new, so the rows and the
 * record of having written them commit together or not at all. An event is new when its id is not
 * in the inbox and its version is above its key's fence, which pruneInbox raises as it deletes
 * old rows: so the inbox can be pruned while each event is still applied once.
 */
export class PostgresInboxSink implements Sink<InboxOperation> {
  constructor(
    private readonly pool: pg.Pool,
    /** Tells this projection's inbox entries apart from other consumers' in the same table. */
    private readonly consumer: string,
    private readonly options: {
      /**
       * Runs first in every batch's transaction; a throw rolls the batch back, to be retried. A
       * projection with generations fences retired ones here (PostgresGenerationStore.fence).
       */
      fence?: (tx: pg.PoolClient) => Promise<void>;
    } = {},
  ) {}

  async apply(operations: ReadonlyArray<PendingOperation<InboxOperation>>): Promise<ApplyOutcome[]> {
    if (operations.length === 0) return [];
    return withTransaction(this.pool, async (tx) => {
      await this.options.fence?.(tx);
      const events = operations.map(({ event }) => ({ ...event, topic: mainTopicOf(event.topic) }));
      const { rows: recorded } = await tx.query<{ event_id: string }>(RECORD_EVENTS, [
        this.consumer,
        events.map((event) => event.eventId),
        events.map((event) => event.topic),
        events.map((event) => event.aggregateId),
        events.map((event) => event.aggregateVersion),
      ]);
      const fresh = new Set(recorded.map((row) => row.event_id.toLowerCase()));
      const fences = new Map<string, number>();
      if (fresh.size > 0) {
        const keys = events.filter((event) => fresh.has(event.eventId.toLowerCase()));
        const { rows } = await tx.query<{ topic: string; aggregate_id: string; version: string }>(READ_FENCES, [this.consumer, keys.map((event) => event.topic), keys.map((event) => event.aggregateId)]);
        for (const row of rows) fences.set(keyOf(row.topic, row.aggregate_id), Number(row.version));
      }
      const outcomes: ApplyOutcome[] = [];
      for (const [index, { op }] of operations.entries()) {
        const event = events[index] as (typeof events)[number];
        const id = event.eventId.toLowerCase();
        // The first copy of an id in the batch is the one recorded; a copy after it is a redelivery.
        const isNew = fresh.delete(id) && event.aggregateVersion > (fences.get(keyOf(event.topic, event.aggregateId)) ?? -1);
        if (isNew) await op(tx);
        outcomes.push(isNew ? 'applied' : 'stale');
      }
      return outcomes;
    });
  }

  async probe(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  get store(): StoreFacts {
    return postgresStoreOf(this.pool);
  }
}

/**
 * Deletes up to `limit` inbox rows of `consumer` processed more than `olderThanMs` ago, oldest
 * first, in one statement, and raises each of their keys' fence to the highest version deleted,
 * so that a later delivery of any of those events is still recognised as applied. Rows without a
 * key (written before the fence existed) are left alone. Resolves to how many rows it deleted.
 */
export async function pruneInbox(pool: Pick<pg.Pool, 'query'>, consumer: string, olderThanMs: number, limit: number): Promise<number> {
  const { rows } = await pool.query<{ pruned: string }>(
    `WITH doomed AS (
       SELECT event_id FROM consumer_inbox
        WHERE consumer = $1 AND processed_at < now() - make_interval(secs => $2::double precision / 1000) AND aggregate_id IS NOT NULL
        ORDER BY processed_at
        LIMIT $3
        FOR UPDATE SKIP LOCKED
     ), pruned AS (
       DELETE FROM consumer_inbox i USING doomed d
        WHERE i.consumer = $1 AND i.event_id = d.event_id
       RETURNING i.topic, i.aggregate_id, i.aggregate_version
     ), fenced AS (
       INSERT INTO consumer_inbox_fence (consumer, topic, aggregate_id, version)
       SELECT $1, topic, aggregate_id, max(aggregate_version) FROM pruned GROUP BY topic, aggregate_id
       ON CONFLICT (consumer, topic, aggregate_id)
       DO UPDATE SET version = GREATEST(consumer_inbox_fence.version, EXCLUDED.version), fenced_at = now()
     )
     SELECT count(*) AS pruned FROM pruned`,
    [consumer, olderThanMs, limit],
  );
  return Number(rows[0]?.pruned ?? 0);
}

/**
 * Deletes every inbox row and fence of `consumer` (a generation being dropped or prepared afresh),
 * `batchSize` rows per statement so no long transaction holds the inbox. Resolves to the inbox
 * rows deleted.
 */
export async function forgetInbox(pool: Pick<pg.Pool, 'query'>, consumer: string, batchSize = 5_000): Promise<number> {
  const inBatches = async (table: string): Promise<number> => {
    let deleted = 0;
    for (;;) {
      const { rowCount } = await pool.query(`DELETE FROM ${table} WHERE ctid = ANY(ARRAY(SELECT ctid FROM ${table} WHERE consumer = $1 LIMIT $2))`, [consumer, batchSize]);
      deleted += rowCount ?? 0;
      if (!rowCount) return deleted;
    }
  };
  await inBatches('consumer_inbox_fence');
  return inBatches('consumer_inbox');
}

export function inboxMigrations(): Migration[] {
  return readMigrations('consumer', join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'migrations'));
}
