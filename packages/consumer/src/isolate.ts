import type { PoisonRecordError } from './poison.ts';
import type { StepResult } from './retry-policy.ts';

/**
 * Applies items (a slice's operations, in record order) through `attempt`, and when a write of
 * several fails in a way that is not transient, finds the items at fault by halving: each half is
 * written on its own, left before right, down to single items, whose failure is theirs alone. So
 * one bad record among a thousand costs about twenty writes, the others are applied in their
 * order, and only the bad one is given up. A record an operator parked is given up on its own.
 *
 * `attempt` retries transient failures itself and answers a failure only when retrying cannot help
 * (see runStep): for one item, the item's reason; for several, only that some item is at fault.
 */
export async function applyIsolating<T, R>(items: readonly T[], attempt: (items: readonly T[]) => Promise<StepResult<R[]>>): Promise<Array<R | PoisonRecordError>> {
  if (items.length === 0) return [];
  const result = await attempt(items);
  if (result.ok) return result.value;
  if (items.length === 1) return [result.error];
  // Parked: the operator named the first record of what was being retried, nothing more.
  if (result.error.code === 'PARKED') return [result.error, ...(await applyIsolating(items.slice(1), attempt))];
  const middle = Math.ceil(items.length / 2);
  const left = await applyIsolating(items.slice(0, middle), attempt);
  const right = await applyIsolating(items.slice(middle), attempt);
  return [...left, ...right];
}
