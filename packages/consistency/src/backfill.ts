import type pg from 'pg';
import type { Outbox } from '@evergreen/outbox';
import { withTransaction } from '@evergreen/platform';
import { USER_AGGREGATE, USER_COLUMNS, userFromRow, userSnapshot, type UserRow } from '@evergreen/user-aggregate';

export interface BackfillProgress {
  emitted: number;
  /** Rows in the table when this run started (what the ETA counts against). */
  total: number;
  /** Emitted by this run, and the seconds it has taken. */
  emittedThisRun: number;
  seconds: number;
  resumed: boolean;
}

export interface BackfillOptions {
  pool: pg.Pool;
  outbox: Outbox;
  batchSize?: number;
  /** At most this many rows a second (the relay and every consumer feel a backfill); unlimited when absent. */
  ratePerSecond?: number;
  /** Start from the first row even if an earlier run stopped half-way or finished. */
  restart?: boolean;
  onProgress?(progress: BackfillProgress): void;
  /** Stop after the current batch (a signal); the checkpoint keeps where it stopped. */
  shouldStop?(): boolean;
}

interface Checkpoint {
  last_id: string | null;
  emitted: string;
  finished_at: Date | null;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Emits a UserSnapshot for every user, for rows that predate the pipeline (or a new consumer that
 * needs every user on the compacted topic). Batches run in id order, each in one transaction that
 * locks its rows FOR SHARE (a concurrent change commits after the snapshot, so the topic ends at
 * the newest version), writes their outbox rows and moves the checkpoint. Resumes from the
 * checkpoint; a finished backfill run again re-emits the same events with the same ids (see
 * userSnapshot), so nothing a consumer keeps changes.
 */
export async function backfillUsers(options: BackfillOptions): Promise<BackfillProgress> {
  const { pool, outbox } = options;
  const batchSize = options.batchSize ?? 500;
  const { rows: existing } = await pool.query<Checkpoint>('SELECT last_id, emitted, finished_at FROM backfill_checkpoints WHERE aggregate_type = $1', [USER_AGGREGATE]);
  const previous = existing[0];
  const resumed = previous !== undefined && previous.finished_at === null && !options.restart;
  if (!resumed) {
    await pool.query(
      `INSERT INTO backfill_checkpoints (aggregate_type) VALUES ($1)
       ON CONFLICT (aggregate_type) DO UPDATE SET last_id = NULL, emitted = 0, started_at = now(), updated_at = now(), finished_at = NULL`,
      [USER_AGGREGATE],
    );
  }
  let lastId = resumed ? previous.last_id : null;
  let emitted = resumed ? Number(previous.emitted) : 0;
  const { rows: counted } = await pool.query<{ remaining: string }>('SELECT count(*) AS remaining FROM users WHERE $1::uuid IS NULL OR id > $1::uuid', [lastId]);
  const total = emitted + Number(counted[0]?.remaining ?? 0);
  const started = performance.now();
  let emittedThisRun = 0;
  const progress = (): BackfillProgress => ({ emitted, total, emittedThisRun, seconds: (performance.now() - started) / 1000, resumed });

  for (;;) {
    if (options.shouldStop?.()) return progress();
    const count = await withTransaction(pool, async (tx) => {
      const { rows } = await tx.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE $1::uuid IS NULL OR id > $1::uuid ORDER BY id LIMIT $2 FOR SHARE`, [lastId, batchSize]);
      for (const row of rows) await outbox.publish(tx, userSnapshot(userFromRow(row), 'BACKFILL'));
      const last = rows[rows.length - 1];
      if (last) {
        await tx.query('UPDATE backfill_checkpoints SET last_id = $2, emitted = emitted + $3, updated_at = now() WHERE aggregate_type = $1', [USER_AGGREGATE, last.id, rows.length]);
        lastId = last.id;
      } else {
        await tx.query('UPDATE backfill_checkpoints SET finished_at = now(), updated_at = now() WHERE aggregate_type = $1', [USER_AGGREGATE]);
      }
      return rows.length;
    });
    if (count === 0) return progress();
    emitted += count;
    emittedThisRun += count;
    options.onProgress?.(progress());
    if (options.ratePerSecond) {
      // Throttling, not waiting for a condition: stay at or under the rate asked for.
      const ahead = (emittedThisRun / options.ratePerSecond) * 1000 - (performance.now() - started);
      if (ahead > 0) await sleep(ahead);
    }
  }
}
