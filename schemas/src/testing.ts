// Sample event contents for unit tests in any workspace, so each does not invent its own user.

export const SAMPLE_USER_ID = '4b1f6a52-3c1e-4f7a-9d2b-1e2f3a4b5c6d';
export const SAMPLE_EVENT_ID = '0e7c9a3d-8f51-4b2a-a6c4-2d9e8f7a6b5c';

/** A UserRegistered payload at version 3: every field set, so a lost field shows in a comparison. */
export const SAMPLE_USER = {
  userId: SAMPLE_USER_ID,
  version: 3,
  email: 'ada@example.com',
  name: 'Ada Lovelace',
  avatarUrl: 'https://example.com/ada.png',
  registeredAt: 1_700_000_000_000,
};
