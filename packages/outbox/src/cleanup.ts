import type pg from 'pg';

export interface CleanupOptions {
  /** Rows older than this are deleted. The relay read them from the WAL long before. */
  olderThanMs: number;
  /** Rows deleted per statement, so a large backlog never holds one long lock or one huge WAL record. */
  batchSize?: number;
}

/**
 * For outboxes created with keepRows (audit trail): deletes rows older than the retention, in
 * batches, and returns how many went. Safe to run while writers and the relay work: Debezium
 * reads inserts from the WAL, never the table, and ignores deletes.
 */
export async function cleanupOutbox(pool: Pick<pg.Pool, 'query'>, { olderThanMs, batchSize = 5_000 }: CleanupOptions): Promise<number> {
  let deleted = 0;
  for (;;) {
    const { rowCount } = await pool.query(
      `DELETE FROM outbox WHERE id IN (
         SELECT id FROM outbox WHERE created_at < now() - make_interval(secs => $1::double precision / 1000) LIMIT $2
       )`,
      [olderThanMs, batchSize],
    );
    deleted += rowCount ?? 0;
    if ((rowCount ?? 0) < batchSize) return deleted;
  }
}
