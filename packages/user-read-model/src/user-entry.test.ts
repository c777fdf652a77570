import { describe, expect, it } from 'vitest';
import { entryFields, parseCachedUser, userKey, type UserEntry } from './user-entry.ts';

const ENTRY: UserEntry = {
  id: '7c9e6679-7425-40de-944b-e07fc1f90ae7',
  email: 'ada@example.com',
  name: 'Ada',
  avatarUrl: null,
  version: 4,
  registeredAt: 1_700_000_000_000,
  updatedAt: 1_700_000_500_000,
  eventId: 'b9a0b3f4-7d1a-4a55-9d64-0a1b2c3d4e5f',
};

/** What Redis hands back for a hash written with these fields. */
const asHash = (fields: string[], extra: Record<string, string> = {}) => {
  const hash: Record<string, string> = { ...extra };
  for (let i = 0; i < fields.length; i += 2) hash[fields[i] as string] = fields[i + 1] as string;
  return hash;
};

describe('the user entry format', () => {
  it('keys one hash per user under evergreen:user:', () => {
    expect(userKey(ENTRY.id)).toBe(`evergreen:user:${ENTRY.id}`);
  });

  it('reads back exactly what it writes, a missing avatar included', () => {
    expect(parseCachedUser(ENTRY.id, asHash(entryFields(ENTRY), { version: '4' }))).toEqual({ state: 'present', entry: ENTRY });
    const withAvatar = { ...ENTRY, avatarUrl: 'https://example.com/a.png' };
    expect(parseCachedUser(ENTRY.id, asHash(entryFields(withAvatar), { version: '4' }))).toEqual({ state: 'present', entry: withAvatar });
  });

  it('tells a deletion marker and an empty hash apart from an entry', () => {
    expect(parseCachedUser(ENTRY.id, { version: '5', deleted: '1', eventId: 'x' })).toEqual({ state: 'deleted', version: 5 });
    expect(parseCachedUser(ENTRY.id, {})).toEqual({ state: 'absent' });
  });
});
