import type pg from 'pg';
import { advisoryLockKey, checkOutClient, describeAdvisoryLock, lockForTransaction, tryLockSession, unlockSession, withTransaction, type AdvisoryLockKey } from '@evergreen/platform';
import { forgetInbox } from '../sinks/postgres-inbox.ts';
import { GenerationConflictError, GenerationRetiredError, RebuildLockedError, storedGeneration, type GenerationStore } from './store.ts';

/** What one generation of a PostgreSQL projection calls its things. */
export interface PostgresGenerationNames {
  /**
   * Each table readers know, by that name, mapped to this generation's own table. A generation
   * may own the readers' names themselves (generation 1, named before generations existed); any
   * other owns tables of its own, and the readers' names become views of the active generation's.
   */
  tables: Record<string, string>;
  /** The `consumer` its events are recorded under in consumer_inbox. */
  inboxName: string;
}

export interface PostgresGenerationOptions {
  /** Its row in projection_generation, and its name in messages. */
  projection: string;
  names(generation: number): PostgresGenerationNames;
  /** Inbox rows (and fences) deleted per statement when a generation is dropped (default 5,000). */
  inboxDeleteBatch?: number;
  /** How long the switch waits for locks (readers, in-flight batches) before it gives up (default 30 s). */
  switchLockTimeoutMs?: number;
}

/** Quotes a name this module built; refuses anything but a plain lower-case identifier. */
function ident(name: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`not a plain table name: ${JSON.stringify(name)}`);
  return `"${name}"`;
}

type Queryable = Pick<pg.Pool, 'query'> | Pick<pg.PoolClient, 'query'>;

/** 'r' table, 'v' view, 'p' partitioned table, undefined: nothing by that name on the search path. */
async function relationKind(db: Queryable, name: string): Promise<string | undefined> {
  const { rows } = await db.query<{ relkind: string }>('SELECT relkind FROM pg_class WHERE oid = to_regclass($1::text)', [name]);
  return rows[0]?.relkind;
}

/**
 * Generations of a PostgreSQL projection written through PostgresInboxSink: each generation in
 * tables of its own with an inbox name of its own (so a new generation re-applies every event),
 * the active one recorded in projection_generation, readers reading views named as generation 1's
 * tables were. The switch is one transaction: the pointer moves, the views are pointed at the new
 * tables, the old tables go. Writers call fence() first in each batch's transaction, so no
 * consumer of a retired generation writes after the switch, and the switch waits for batches in flight.
 */
export class PostgresGenerationStore implements GenerationStore {
  readonly projection: string;
  /** Held (session) by a rebuild for its whole run. */
  private readonly rebuildLock: AdvisoryLockKey;
  /**
   * Held shared (transaction) by every batch of every generation's writers, exclusively by the
   * switch. The lock manager queues requests in order, so the switch waits for the batches in
   * flight and new batches wait for the switch; no writer starves it, and no row is written to lock.
   */
  private readonly switchLock: AdvisoryLockKey;

  constructor(
    private readonly pool: pg.Pool,
    private readonly options: PostgresGenerationOptions,
  ) {
    this.projection = options.projection;
    this.rebuildLock = advisoryLockKey('projectionRebuild', options.projection);
    this.switchLock = advisoryLockKey('generationSwitch', options.projection);
  }

  /** Makes sure the projection has its row (at generation 1), for the switch to move. */
  async ensure(db: Queryable = this.pool): Promise<void> {
    await db.query('INSERT INTO projection_generation (projection, generation) VALUES ($1, 1) ON CONFLICT DO NOTHING', [this.projection]);
  }

  async readActive(): Promise<number> {
    const { rows } = await this.pool.query<{ generation: number }>('SELECT generation FROM projection_generation WHERE projection = $1', [this.projection]).catch((error: unknown) => {
      // undefined_table: the database predates generations.
      if ((error as { code?: string }).code === '42P01') throw new Error('the table projection_generation does not exist: apply the migrations first (npm run db:migrate)', { cause: error });
      throw error;
    });
    return storedGeneration(rows[0]?.generation);
  }

  /**
   * Run first in every transaction that writes `generation`'s tables: holds off the switch until
   * the transaction ends, and throws GenerationRetiredError when a newer generation is active.
   * Generations above the active one (being rebuilt) may write.
   */
  async fence(tx: pg.PoolClient, generation: number): Promise<void> {
    await lockForTransaction(tx, this.switchLock, 'shared');
    const { rows } = await tx.query<{ generation: number }>('SELECT generation FROM projection_generation WHERE projection = $1', [this.projection]);
    const active = storedGeneration(rows[0]?.generation);
    if (generation < active) throw new GenerationRetiredError(this.projection, generation, active);
  }

  async lock(): Promise<() => Promise<void>> {
    // A session lock on a connection of its own: it lapses by itself if the rebuild dies. Guarded
    // while it is out of the pool (for the whole rebuild): a connection that dies is recorded, not
    // an uncaught 'error' event, and the client is destroyed on release.
    const checkedOut = await checkOutClient(this.pool);
    const client = checkedOut.client;
    try {
      if (!(await tryLockSession(client, this.rebuildLock))) throw new RebuildLockedError(this.projection, `PostgreSQL advisory lock ${describeAdvisoryLock(this.rebuildLock)} is held`);
    } catch (error) {
      checkedOut.release();
      throw error;
    }
    return async () => {
      try {
        await unlockSession(client, this.rebuildLock);
      } catch (error) {
        checkedOut.discard(error as Error);
      } finally {
        checkedOut.release();
      }
    };
  }

  async prepare(generation: number): Promise<void> {
    await this.ensure();
    await withTransaction(this.pool, async (tx) => {
      // No switch while the new tables are copied from the active generation's.
      await lockForTransaction(tx, this.switchLock, 'shared');
      const { rows } = await tx.query<{ generation: number }>('SELECT generation FROM projection_generation WHERE projection = $1', [this.projection]);
      const active = storedGeneration(rows[0]?.generation);
      if (generation <= active) throw new RangeError(`generation ${generation} of ${this.projection} cannot be prepared: generation ${active} is active`);
      const target = this.options.names(generation).tables;
      const source = this.options.names(active).tables;
      for (const [reader, table] of Object.entries(target)) {
        if (table === reader) throw new Error(`generation ${generation} of ${this.projection} must not own the readers' name ${reader}`);
        const from = source[reader];
        if (from === undefined) throw new Error(`generation ${active} of ${this.projection} has no table for ${reader}`);
        // Same columns, defaults, constraints and indexes as the active generation's, whatever migrations did to it.
        await tx.query(`DROP TABLE IF EXISTS ${ident(table)}`);
        await tx.query(`CREATE TABLE ${ident(table)} (LIKE ${ident(from)} INCLUDING ALL)`);
      }
    });
    // What an interrupted rebuild of this generation recorded would make it skip events.
    await this.deleteInbox(this.options.names(generation).inboxName);
  }

  async flip(from: number, to: number): Promise<void> {
    await this.ensure();
    const previous = this.options.names(from).tables;
    const next = this.options.names(to).tables;
    await withTransaction(this.pool, async (tx) => {
      await tx.query(`SET LOCAL lock_timeout = ${Math.max(1, Math.round(this.options.switchLockTimeoutMs ?? 30_000))}`);
      // Waits for every batch in flight (they hold it shared) and holds off new ones until the commit.
      await lockForTransaction(tx, this.switchLock);
      const { rows } = await tx.query<{ generation: number }>('SELECT generation FROM projection_generation WHERE projection = $1 FOR UPDATE', [this.projection]);
      const active = storedGeneration(rows[0]?.generation);
      if (active !== from) throw new GenerationConflictError(this.projection, from, active);
      await tx.query('UPDATE projection_generation SET generation = $2, switched_at = now() WHERE projection = $1', [this.projection, to]);
      for (const [reader, table] of Object.entries(next)) {
        const kind = await relationKind(tx, reader);
        if (kind === 'v') {
          await tx.query(`DROP VIEW ${ident(reader)}`);
        } else if (kind !== undefined) {
          // Only a generation named before generations existed owns the readers' name as a table.
          if (previous[reader] !== reader) throw new Error(`${reader} is a table, but generation ${from} of ${this.projection} does not own it`);
          await tx.query(`DROP TABLE ${ident(reader)}`);
        }
        await tx.query(`CREATE VIEW ${ident(reader)} AS SELECT * FROM ${ident(table)}`);
      }
      // Fenced from now on, so nothing writes them again.
      for (const [reader, table] of Object.entries(previous)) {
        if (table !== reader) await tx.query(`DROP TABLE IF EXISTS ${ident(table)}`);
      }
    });
  }

  async drop(generation: number): Promise<string> {
    if (generation === (await this.readActive())) throw new RangeError(`generation ${generation} of ${this.projection} is active; it cannot be dropped`);
    const names = this.options.names(generation);
    const dropped: string[] = [];
    for (const [reader, table] of Object.entries(names.tables)) {
      // The readers' names belong to the views of the active generation by now.
      if (table === reader || (await relationKind(this.pool, table)) !== 'r') continue;
      await this.pool.query(`DROP TABLE IF EXISTS ${ident(table)}`);
      dropped.push(table);
    }
    const entries = await this.deleteInbox(names.inboxName);
    return `${dropped.length > 0 ? `dropped ${dropped.join(', ')}; ` : ''}deleted ${entries} inbox entr${entries === 1 ? 'y' : 'ies'} of ${names.inboxName}`;
  }

  describe(generation: number): string {
    const names = this.options.names(generation);
    return `tables ${Object.values(names.tables).join(', ')}, inbox ${names.inboxName}`;
  }

  /** Its inbox rows and fences, in short statements, so no long transaction holds the inbox. */
  private deleteInbox(inboxName: string): Promise<number> {
    return forgetInbox(this.pool, inboxName, this.options.inboxDeleteBatch);
  }
}
