import { PoisonRecordError } from './poison.ts';

// Helpers for unit tests of the framework and of the handlers services build on it.

export const SAMPLE_USER_ID = '4b1f6a52-3c1e-4f7a-9d2b-1e2f3a4b5c6d';
export const SAMPLE_EVENT_ID = '0e7c9a3d-8f51-4b2a-a6c4-2d9e8f7a6b5c';

/** A UserRegistered payload with every field set. */
export const SAMPLE_USER = {
  userId: SAMPLE_USER_ID,
  version: 3,
  email: 'ada@example.com',
  name: 'Ada Lovelace',
  avatarUrl: 'https://example.com/ada.png',
  registeredAt: 1_700_000_000_000,
};

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
