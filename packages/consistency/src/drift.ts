/**
 * How a read model can differ from PostgreSQL for one aggregate:
 * - missing: the aggregate is live, the read model has nothing for it;
 * - stale: the read model holds an older version;
 * - mismatch: the read model holds the same or a newer version with other content (corruption);
 * - orphan: the read model holds an aggregate PostgreSQL never had;
 * - resurrected: PostgreSQL deleted it, the read model still holds it live.
 */
export type DriftKind = 'missing' | 'stale' | 'mismatch' | 'orphan' | 'resurrected';

export const DRIFT_KINDS: readonly DriftKind[] = ['missing', 'stale', 'mismatch', 'orphan', 'resurrected'];

/** An aggregate as the source of truth has it. */
export interface SourceState {
  id: string;
  version: number;
  deleted: boolean;
  /** The content a read model must show, in a form both sides compute alike; absent for deletions. */
  fingerprint?: string;
}

/** An aggregate as a read model holds it; a deletion marker is `deleted`. */
export interface ProjectedState {
  version: number;
  deleted: boolean;
  /** Absent when the read model keeps no content to compare (only versions). */
  fingerprint?: string;
}

/** The drift of one aggregate, or undefined when the read model agrees with the source. */
export function classify(source: SourceState | undefined, projected: ProjectedState | undefined): DriftKind | undefined {
  const projectedLive = projected !== undefined && !projected.deleted;
  if (source === undefined) return projectedLive ? 'orphan' : undefined;
  // A deleted aggregate may have no entry at all, or a deletion marker (which expires).
  if (source.deleted) return projectedLive ? 'resurrected' : undefined;
  if (projected === undefined) return 'missing';
  if (projected.version < source.version) return 'stale';
  if (projected.deleted || projected.version > source.version) return 'mismatch';
  if (projected.fingerprint !== undefined && source.fingerprint !== undefined && projected.fingerprint !== source.fingerprint) return 'mismatch';
  return undefined;
}
