import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findRepoRoot } from '../config/env-file.ts';
import { ADVISORY_LOCK_CLASSES, advisoryLockKey, describeAdvisoryLock, lockForTransaction, tryLockForTransaction, tryLockSession, unlockSession } from './advisory-locks.ts';

const REGISTRY = 'packages/platform/src/postgres/advisory-locks.ts';
const SKIPPED = new Set(['node_modules', 'dist', '.stack', '.git', 'test-results', '.turbo']);

/** Every source file of the checkout that could take a lock: code, SQL and scripts, tests excluded. */
function sourceFiles(dir: string, root: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (SKIPPED.has(entry.name)) return [];
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path, root);
    return /\.(ts|mts|js|mjs|sql|sh)$/.test(entry.name) && !/\.test\.ts$/.test(entry.name) ? [relative(root, path)] : [];
  });
}

/** A statement recorder standing in for a client. */
function recorder(answer: boolean) {
  const statements: Array<{ sql: string; values: unknown[] }> = [];
  const db = {
    query: async (sql: string, values: unknown[]) => {
      statements.push({ sql, values });
      return { rows: [{ locked: answer }] };
    },
  };
  return { db: db as unknown as Parameters<typeof lockForTransaction>[0], statements };
}

describe('the registry of advisory locks', () => {
  it('gives every use a class of its own', () => {
    const classes = Object.values(ADVISORY_LOCK_CLASSES);
    expect(new Set(classes).size).toBe(classes.length);
    for (const id of classes) expect(Number.isInteger(id) && id > 0 && id < 2 ** 31).toBe(true);
  });

  it('is the only place that writes pg_advisory SQL', () => {
    const root = findRepoRoot();
    const offenders = ['packages', 'services', 'infra', 'tests', 'bench', 'scripts', 'schemas', 'connect-config']
      .flatMap((top) => sourceFiles(join(root, top), root))
      // A call (the name and its parenthesis): a comment may name the functions.
      .filter((file) => file !== REGISTRY && /pg_(try_)?advisory_\w*\s*\(/.test(readFileSync(join(root, file), 'utf8')));
    expect(offenders).toEqual([]);
  });

  it('locks in the two-key form: the use\'s class and hashtext of the name', async () => {
    const { db, statements } = recorder(true);
    const key = advisoryLockKey('idempotencyKey', 'activity-log');

    expect(await tryLockForTransaction(db, key)).toBe(true);
    await lockForTransaction(db, advisoryLockKey('generationSwitch', 'activity-log'), 'shared');
    await tryLockSession(db, advisoryLockKey('projectionRebuild', 'activity-log'));
    await unlockSession(db, advisoryLockKey('projectionRebuild', 'activity-log'));

    expect(statements).toEqual([
      { sql: 'SELECT pg_try_advisory_xact_lock($1, hashtext($2)) AS locked', values: [ADVISORY_LOCK_CLASSES.idempotencyKey, 'activity-log'] },
      { sql: 'SELECT pg_advisory_xact_lock_shared($1, hashtext($2))', values: [ADVISORY_LOCK_CLASSES.generationSwitch, 'activity-log'] },
      { sql: 'SELECT pg_try_advisory_lock($1, hashtext($2)) AS locked', values: [ADVISORY_LOCK_CLASSES.projectionRebuild, 'activity-log'] },
      { sql: 'SELECT pg_advisory_unlock($1, hashtext($2)) AS locked', values: [ADVISORY_LOCK_CLASSES.projectionRebuild, 'activity-log'] },
    ]);
    // The same name under two uses: two locks.
    expect(statements[0]?.values[0]).not.toBe(statements[1]?.values[0]);
  });

  it('names a lock by its use, class and name', () => {
    expect(describeAdvisoryLock(advisoryLockKey('generationSwitch', 'activity-log'))).toBe(`generationSwitch (${ADVISORY_LOCK_CLASSES.generationSwitch}, hashtext("activity-log"))`);
  });
});
