import type { AvroSerde, Compatibility } from '@evergreen/avro-serde';
import type { StackConfig } from '@evergreen/platform';
import type { TopicSchema } from '@evergreen/event-catalog';
import { allTopicSchemas } from './catalog.ts';

export interface RegisteredSchema {
  schema: TopicSchema;
  id: number;
}

/** Registers every schema of the catalog under its subject and sets the subject's compatibility. */
export async function registerAllSchemas(
  config: Pick<StackConfig, 'topics'>,
  serde: AvroSerde,
  compatibility: Compatibility,
): Promise<RegisteredSchema[]> {
  const registered: RegisteredSchema[] = [];
  for (const schema of allTopicSchemas(config)) registered.push({ schema, id: await serde.register(schema, compatibility) });
  return registered;
}

const COMPATIBILITY_LEVELS: readonly Compatibility[] = ['NONE', 'BACKWARD', 'BACKWARD_TRANSITIVE', 'FORWARD', 'FORWARD_TRANSITIVE', 'FULL', 'FULL_TRANSITIVE'];

/** Reads EVERGREEN_SCHEMA_COMPATIBILITY; a value the registry does not know stops the run naming the variable. */
export function compatibilityFromEnv(env: NodeJS.ProcessEnv = process.env): Compatibility {
  const value = env.EVERGREEN_SCHEMA_COMPATIBILITY ?? 'BACKWARD';
  const level = COMPATIBILITY_LEVELS.find((known) => known === value);
  if (!level) throw new Error(`EVERGREEN_SCHEMA_COMPATIBILITY=${value} is not one of ${COMPATIBILITY_LEVELS.join(', ')}`);
  return level;
}
