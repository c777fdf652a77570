/** What the API acknowledged for one user: its last answered version, and whether that answer was a deletion. */
export interface Acknowledged {
  version: number;
  deleted: boolean;
  /** Every version an acknowledged write of this user returned: each must be in the activity log. */
  versions: number[];
}

/** What a read model shows for one user. */
export interface Shown {
  version: number;
  deleted: boolean;
}

export interface LedgerCounts {
  acknowledged: number;
  delivered: number;
  missing: number;
  stale: number;
  resurrected: number;
}

/**
 * The chaos suite's bookkeeping: every write the API acknowledged, by user. A write whose answer
 * never came (a timeout, a connection cut mid-request) may or may not have committed: its user is
 * `uncertain`, and only PostgreSQL can say what it is now; the checks hold it to that instead.
 */
export class Ledger {
  readonly users = new Map<string, Acknowledged>();
  readonly uncertain = new Set<string>();
  writes = 0;

  acknowledge(userId: string, version: number, deleted: boolean): void {
    const entry = this.users.get(userId) ?? { version: 0, deleted: false, versions: [] };
    entry.versions.push(version);
    if (version >= entry.version) {
      entry.version = version;
      entry.deleted = deleted;
    }
    this.users.set(userId, entry);
    this.writes += 1;
  }

  markUncertain(userId: string): void {
    this.uncertain.add(userId);
  }
}

/**
 * Compares what the cache shows with what was acknowledged (or, for an uncertain user, with
 * PostgreSQL): missing — a live acknowledged user the cache lacks; stale — the cache behind the
 * acknowledged version; resurrected — an acknowledged deletion the cache shows live.
 */
export function checkCache(ledger: Ledger, cache: ReadonlyMap<string, Shown>, database: ReadonlyMap<string, Shown>): LedgerCounts & { problems: string[] } {
  const counts = { acknowledged: ledger.writes, delivered: 0, missing: 0, stale: 0, resurrected: 0 };
  const problems: string[] = [];
  for (const [userId, acknowledged] of ledger.users) {
    const expected = ledger.uncertain.has(userId) ? database.get(userId) ?? { version: acknowledged.version, deleted: true } : acknowledged;
    const shown = cache.get(userId);
    if (expected.deleted) {
      if (shown && !shown.deleted) {
        counts.resurrected += 1;
        problems.push(`resurrected ${userId}: deleted at ${expected.version}, cache v${shown.version}`);
      } else counts.delivered += 1;
      continue;
    }
    if (!shown || shown.deleted) {
      counts.missing += 1;
      problems.push(`missing ${userId}: v${expected.version} not in the cache`);
    } else if (shown.version < expected.version) {
      counts.stale += 1;
      problems.push(`stale ${userId}: cache v${shown.version} < v${expected.version}`);
    } else counts.delivered += 1;
  }
  return { ...counts, problems };
}

/** Acknowledged versions the activity log has no row for. */
export function missingActivity(ledger: Ledger, logged: ReadonlyMap<string, ReadonlySet<number>>): string[] {
  const missing: string[] = [];
  for (const [userId, acknowledged] of ledger.users) {
    for (const version of acknowledged.versions) if (!logged.get(userId)?.has(version)) missing.push(`${userId}@${version}`);
  }
  return missing;
}
