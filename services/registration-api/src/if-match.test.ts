import { describe, expect, it } from 'vitest';
import type { UserRow } from '@evergreen/user-aggregate';
import { canonicalIfMatch, IF_MATCH_PATTERN, versionCondition } from './http/if-match.ts';
import { ALICE, CREATED_AT, setup } from './test-support.ts';

const USER_ID = '7c9e6679-7425-40de-944b-e07fc1f90ae7';

describe('If-Match, read as RFC 9110 §13.1.1 writes it', () => {
  it.each<[string, 'any' | number[]]>([
    ['*', 'any'],
    [' * ', 'any'],
    ['"3"', [3]],
    ['3', [3]],
    ['"3", "4"', [3, 4]],
    ['"3",\t"4"', [3, 4]],
    [', "3" ,, W/"4",', [3]],
    ['W/"3"', []],
    ['"03"', []],
    ['"0"', []],
    ['"abc", "7"', [7]],
    ['""', []],
    ['"a,b"', []],
  ])('%j asks for %j', (header, condition) => {
    expect(new RegExp(IF_MATCH_PATTERN).test(header.trim())).toBe(true);
    expect(versionCondition(header)).toEqual(condition);
  });

  it.each(['', ',', '"3', '3"', "1' OR 1=1", 'W/3', 'w/"3"', '"3" "4"', '*, "3"', '"a"b"', 'W/ "3"', '"\u0000"'])('refuses %j as no If-Match at all', (header) => {
    expect(new RegExp(IF_MATCH_PATTERN).test(header.trim())).toBe(false);
    expect(() => versionCondition(header)).toThrow(/should have refused it/);
  });

  it('writes one header one way whatever its spelling, so a retry with the same key is the same request', () => {
    expect(canonicalIfMatch(' "4",  "3" ')).toBe(canonicalIfMatch('"3", "4"'));
    expect(canonicalIfMatch('3')).toBe(canonicalIfMatch('"3"'));
    expect(canonicalIfMatch(', "3",')).toBe('"3"');
    expect(canonicalIfMatch('W/"3"')).not.toBe(canonicalIfMatch('"3"'));
    expect(canonicalIfMatch('"03"')).not.toBe(canonicalIfMatch('"3"'));
  });
});

/** The app on fakes with one user at `version`, whose row FOR UPDATE and UPDATE answer as PostgreSQL would. */
async function withUserAt(version: number) {
  const row = { id: USER_ID, email: ALICE.email, name: ALICE.name, avatar_url: ALICE.avatarUrl, version: String(version), created_at: CREATED_AT, updated_at: CREATED_AT } as unknown as UserRow;
  return setup({
    respond: (sql, params) => {
      if (/FROM users WHERE id = \$1 FOR UPDATE$/.test(sql.trim())) return { rows: [row] };
      if (sql.trim().startsWith('UPDATE users')) return { rows: [{ ...row, name: String(params[1]), version: String(version + 1) }] };
      if (sql.trim().startsWith('DELETE FROM users') || sql.trim().startsWith('INSERT INTO user_deletions')) return { rows: [], rowCount: 1 };
      return undefined;
    },
  });
}

describe('PATCH and DELETE /users/:id with If-Match', () => {
  const patch = (ifMatch: string) => ({ method: 'PATCH' as const, url: `/users/${USER_ID}`, headers: { 'if-match': ifMatch }, payload: { name: 'Ada' } });
  const remove = (ifMatch: string) => ({ method: 'DELETE' as const, url: `/users/${USER_ID}`, headers: { 'if-match': ifMatch } });

  it.each(['*', '"3"', '3', '"2", "3"', 'W/"3", "3"'])('applies a change whose If-Match %j names the current version, or any', async (ifMatch) => {
    const { app } = await withUserAt(3);

    const changed = await app.inject(patch(ifMatch));
    const deleted = await app.inject(remove(ifMatch));

    expect(changed.statusCode, changed.body).toBe(200);
    expect(changed.headers.etag).toBe('"4"');
    expect(deleted.statusCode, deleted.body).toBe(204);
  });

  it.each(['W/"3"', '"03"', '"2"', '"2", W/"3"', '"abc"'])('refuses %j with 412 and the current ETag: a weak tag never matches, nor a stale or foreign one', async (ifMatch) => {
    const { app, db } = await withUserAt(3);

    for (const request of [patch(ifMatch), remove(ifMatch)]) {
      const response = await app.inject(request);

      expect(response.statusCode, response.body).toBe(412);
      expect(response.headers.etag).toBe('"3"');
      expect(response.json()).toMatchObject({ type: 'https://evergreen.dev/problems/version-mismatch' });
    }
    expect(db.log.filter((line) => /^(UPDATE|DELETE|INSERT)/.test(line))).toEqual([]);
  });

  it.each(['"3', "1' OR 1=1", '*, "3"', 'w/"3"'])('refuses the malformed %j with 400 naming if-match, before any statement', async (ifMatch) => {
    const { app, db } = await withUserAt(3);

    for (const request of [patch(ifMatch), remove(ifMatch)]) {
      const response = await app.inject(request);

      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({ type: 'https://evergreen.dev/problems/validation', errors: [{ field: 'if-match', message: expect.stringContaining('entity tags') }] });
    }
    expect(db.log).toEqual([]);
  });
});
