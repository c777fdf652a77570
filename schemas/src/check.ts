import type { AvroSerde, Compatibility } from '@evergreen/avro-serde';
import type { StackConfig } from '@evergreen/platform';
import { compatibilityProblems, parseSchema, type CompatibilityProblem } from './compatibility.ts';
import { previousVersionInGit } from './git-history.ts';
import type { TopicSchema } from '@evergreen/event-catalog';
import { allTopicSchemas } from './catalog.ts';

/** One comparison of a schema in schemas/ with an earlier version of itself. */
export interface SchemaComparison {
  schema: TopicSchema;
  /** What it was compared with, e.g. "registry id 4" or "git 1a2b3c4d5e6f". */
  against: string;
  problems: CompatibilityProblem[];
}

/**
 * Compares every schema with the newest version registered under its subject and with its
 * previous version in git, under the given compatibility level. Run before deploying: the
 * registry would refuse the same change at registration time, but only once it is deployed.
 */
export async function checkSchemas(
  config: Pick<StackConfig, 'topics' | 'repoRoot'>,
  serde: AvroSerde,
  level: Compatibility,
  schemas: TopicSchema[] = allTopicSchemas(config),
): Promise<SchemaComparison[]> {
  const comparisons: SchemaComparison[] = [];
  for (const schema of schemas) {
    const registered = await serde.latestRegistered(schema.subject);
    if (registered) {
      comparisons.push({ schema, against: `registry id ${registered.id}`, problems: compatibilityProblems(registered.type, schema.type, level) });
    }
    const previous = previousVersionInGit(config.repoRoot, schema.path);
    if (previous) {
      let problems: CompatibilityProblem[];
      try {
        problems = compatibilityProblems(parseSchema(previous.definition), schema.type, level);
      } catch (error) {
        problems = [{ direction: 'new reader, old data', reason: `the previous version does not parse: ${(error as Error).message}` }];
      }
      comparisons.push({ schema, against: `git ${previous.ref}`, problems });
    }
  }
  return comparisons;
}

/** A readable report: one line per comparison, and for each problem which way it breaks and why. */
export function describeComparisons(comparisons: SchemaComparison[], level: Compatibility): string {
  return comparisons
    .map(({ schema, against, problems }) => {
      const head = `${problems.length === 0 ? 'ok  ' : 'FAIL'} ${schema.subject} vs ${against} (${level})`;
      const details = problems.map(
        (problem) => `       ${problem.direction === 'new reader, old data' ? 'consumers on the new schema cannot read events already written' : 'consumers still on the old schema cannot read the new events'}: ${problem.reason}`,
      );
      return [head, ...details].join('\n');
    })
    .join('\n');
}
