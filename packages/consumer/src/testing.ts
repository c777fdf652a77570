import { PoisonRecordError } from './poison.ts';

// Helpers for unit tests of the framework and of the handlers services build on it.

/**
 * Runs `action` (or awaits a promise) and returns the PoisonRecordError it fails with. Anything
 * else, including success, throws, so a test built on it fails when the poison is not detected.
 */
export async function poisonOf(action: (() => unknown) | Promise<unknown>): Promise<PoisonRecordError> {
  let failure: unknown;
  try {
    await (typeof action === 'function' ? action() : action);
  } catch (error) {
    failure = error;
  }
  if (failure instanceof PoisonRecordError) return failure;
  throw new Error(failure === undefined ? 'expected a PoisonRecordError, but nothing was thrown' : `expected a PoisonRecordError, got ${String(failure)}`);
}
