import avro from 'avsc';
import type { Compatibility } from '@evergreen/avro-serde';

export interface CompatibilityProblem {
  /** Which way the data cannot be read. */
  direction: 'new reader, old data' | 'old reader, new data';
  reason: string;
}

/** Whether a reader of `reader` can read data written with `writer`: avsc builds a resolver or says why not. */
function cannotRead(reader: avro.Type, writer: avro.Type): string | undefined {
  try {
    reader.createResolver(writer);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/**
 * Checks a new version of a schema against an older one under a registry compatibility level,
 * the way the registry would for a single previous version. BACKWARD: consumers on the new schema
 * read events written with the old one. FORWARD: consumers still on the old schema read events
 * written with the new one. FULL: both.
 */
export function compatibilityProblems(previous: avro.Type, next: avro.Type, level: Compatibility): CompatibilityProblem[] {
  const problems: CompatibilityProblem[] = [];
  const backward = level.startsWith('BACKWARD') || level.startsWith('FULL');
  const forward = level.startsWith('FORWARD') || level.startsWith('FULL');
  const newReadsOld = backward ? cannotRead(next, previous) : undefined;
  if (newReadsOld) problems.push({ direction: 'new reader, old data', reason: newReadsOld });
  const oldReadsNew = forward ? cannotRead(previous, next) : undefined;
  if (oldReadsNew) problems.push({ direction: 'old reader, new data', reason: oldReadsNew });
  return problems;
}

export const parseSchema = (definition: string): avro.Type => avro.Type.forSchema(JSON.parse(definition) as avro.Schema);
