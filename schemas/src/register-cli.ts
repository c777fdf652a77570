import { exitCodeOf } from '@evergreen/errors';
import { AvroSerde } from '@evergreen/avro-serde';
import { loadStackConfig } from '@evergreen/platform';
import { compatibilityFromEnv, registerAllSchemas } from './register-all.ts';

// `npm run schemas:register`, run by `npm start` and the end-to-end setup.
try {
  const config = loadStackConfig();
  const compatibility = compatibilityFromEnv();
  for (const { schema, id } of await registerAllSchemas(config, AvroSerde.forRegistry(config.registry), compatibility)) {
    console.log(`[schemas] ${schema.subject} -> id ${id} (${compatibility})`);
  }
} catch (error) {
  console.error(`[schemas] FAILED: ${(error as Error).message}`);
  process.exit(exitCodeOf(error));
}
