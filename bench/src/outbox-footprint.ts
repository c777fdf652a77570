import { AvroSerde } from '@evergreen/avro-serde';
import { createOutbox } from '@evergreen/outbox';
import { eventCatalog } from '@evergreen/schemas';
import { createPool, loadStackConfig } from '@evergreen/platform';
import { registerUser } from '@evergreen/registration-api';

// `npm run bench:outbox [-- <registrations>]`: what the outbox costs a writer at steady state —
// rows left in the table (expected: none, since each row is deleted in its own transaction) and
// registry calls per published event (expected: none after the first, since schema ids are cached).
const registrations = Number(process.argv[2] ?? 10_000);
const concurrency = 8;
const config = loadStackConfig();
const pool = createPool(config.postgres, { max: concurrency });
const serde = AvroSerde.forRegistry(config.registry);
const outbox = createOutbox({ serde, config, catalog: eventCatalog });
const run = `bench-${Date.now()}`;

const countRows = async () => Number((await pool.query<{ count: string }>('SELECT count(*) FROM outbox')).rows[0]?.count);
const register = (i: number) => registerUser(pool, outbox, { email: `${run}-${i}@example.com`, name: `Bench ${i}` });

try {
  const rowsBefore = await countRows();
  await register(-1); // warm-up: resolves and caches the schema id
  const callsAfterWarmUp = serde.registryCalls;
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < registrations) await register(next++);
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const rowsAfter = await countRows();
  const calls = serde.registryCalls - callsAfterWarmUp;
  console.log(`registrations            ${registrations} (concurrency ${concurrency}, ${(registrations / seconds).toFixed(0)}/s)`);
  console.log(`outbox rows before/after ${rowsBefore} / ${rowsAfter}`);
  console.log(`registry calls           ${calls} after warm-up = ${(calls / registrations).toFixed(4)} per published event (warm-up: ${callsAfterWarmUp})`);
} finally {
  await pool.end();
}
