import { AvroSerde, type Compatibility } from '@evergreen/avro-serde';
import { loadStackConfig } from '@evergreen/platform';
import { allTopicSchemas } from './registered.ts';

// Registers every schema in schemas/ under its subject. Run by `npm start` and the e2e setup.
const config = loadStackConfig();
const compatibility = (process.env.EVERGREEN_SCHEMA_COMPATIBILITY ?? 'BACKWARD') as Compatibility;
const serde = AvroSerde.forUrl(config.registry.ccompatUrl);
try {
  for (const schema of allTopicSchemas(config)) {
    const id = await serde.register(schema, compatibility);
    console.log(`[schemas] ${schema.subject} -> id ${id} (${compatibility})`);
  }
} catch (error) {
  console.error(`[schemas] FAILED: ${(error as Error).message}`);
  process.exit(1);
}
