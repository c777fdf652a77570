import type pg from 'pg';
import { AvroSerde } from '@evergreen/avro-serde';
import { createOutbox } from '@evergreen/outbox';
import { eventCatalog } from '@evergreen/schemas';
import { createPool, withTransaction, type StackConfig } from '@evergreen/platform';
import { registerUser, registerUserIn } from '@evergreen/registration-api';
import { epochMs } from './clock.ts';

/** One acknowledged write: the user it registered and when its commit was acknowledged. */
export interface Commit {
  userId: string;
  committedAt: number;
}

/** Registers one user; resolves once the transaction committed. */
export interface Writer {
  readonly name: string;
  write(): Promise<Commit>;
  close(): Promise<void>;
}

let sequence = 0;
const registration = (run: string) => ({ email: `${run}-${(sequence += 1)}@example.com`, name: 'Bench User', avatarUrl: 'https://example.com/bench.png' });

export interface LibraryWriterOptions {
  config: StackConfig;
  run: string;
  /** Connections; the many clients of a real deployment share a database through a pool of about this size. */
  poolSize: number;
  /** Keep outbox rows after the insert: for the polling publisher, which reads and deletes them itself. */
  keepRows?: boolean;
}

/** The outbox library directly: the users row and the outbox row in one transaction (registerUser). */
export function libraryWriter({ config, run, poolSize, keepRows }: LibraryWriterOptions): Writer & { pool: pg.Pool; writeBatch(size: number): Promise<string[]> } {
  const pool = createPool(config.postgres, { max: poolSize, statement_timeout: 30_000, query_timeout: 35_000 });
  const outbox = createOutbox({ serde: AvroSerde.forRegistry(config.registry), config, catalog: eventCatalog, keepRows });
  return {
    name: 'outbox library',
    pool,
    async write() {
      const user = await registerUser(pool, outbox, registration(run));
      return { userId: user.id, committedAt: epochMs() };
    },
    /** `size` registrations in one transaction: how the catch-up backlog is written quickly, through the same code. */
    writeBatch: (size) =>
      withTransaction(pool, async (tx) => {
        const ids: string[] = [];
        for (let index = 0; index < size; index += 1) ids.push((await registerUserIn(tx, outbox, registration(run))).id);
        return ids;
      }),
    close: () => pool.end(),
  };
}

/** POST /users on the registration API; the acknowledgement (201) comes after the commit. */
export function apiWriter(baseUrl: string, run: string): Writer {
  return {
    name: 'POST /users',
    async write() {
      const response = await fetch(`${baseUrl}/users`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(registration(run)),
        signal: AbortSignal.timeout(30_000),
      });
      const committedAt = epochMs();
      if (response.status !== 201) throw new Error(`POST /users answered ${response.status}: ${(await response.text()).slice(0, 200)}`);
      const { id } = (await response.json()) as { id: string };
      return { userId: id, committedAt };
    },
    close: async () => undefined,
  };
}
