import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { postgresStoreOf, readMigrations, withTransaction, type Migration, type StoreFacts } from '@evergreen/platform';
import type { ApplyOutcome, PendingOperation, Sink } from '../sink.ts';

/** A write into the projection's own tables, inside the transaction that also records the event in the inbox. */
export type InboxOperation = (tx: pg.PoolClient) => Promise<void>;

/**
 * A PostgreSQL projection with an inbox (the consumer-side twin of the outbox): one transaction
 * per batch records each event id and runs its write only if the id was new, so the rows and the
 * record of having written them commit together or not at all.
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
      const outcomes: ApplyOutcome[] = [];
      for (const { op, event } of operations) {
        const { rowCount } = await tx.query('INSERT INTO consumer_inbox (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [this.consumer, event.eventId]);
        if (rowCount === 1) {
          await op(tx);
          outcomes.push('applied');
        } else {
          outcomes.push('stale');
        }
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

export function inboxMigrations(): Migration[] {
  return readMigrations('consumer', join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'migrations'));
}
