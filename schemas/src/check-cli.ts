import { AvroSerde } from '@evergreen/avro-serde';
import { loadStackConfig } from '@evergreen/platform';
import { checkSchemas, describeComparisons } from './check.ts';
import { compatibilityFromEnv } from './register-all.ts';

// `npm run schemas:check`: fails when a schema in schemas/ breaks compatibility with what is registered or committed.
try {
  const config = loadStackConfig();
  const level = compatibilityFromEnv();
  const comparisons = await checkSchemas(config, AvroSerde.forRegistry(config.registry), level);
  console.log(comparisons.length > 0 ? describeComparisons(comparisons, level) : '[schemas] nothing to compare with yet: no schema is registered or has an earlier committed version');
  const failed = comparisons.filter((comparison) => comparison.problems.length > 0);
  if (failed.length > 0) {
    console.error(`[schemas] ${failed.length} incompatible change(s); see above. Add a default to new fields, or keep removed ones, instead.`);
    process.exit(1);
  }
} catch (error) {
  console.error(`[schemas] FAILED: ${(error as Error).message}`);
  process.exit(1);
}
