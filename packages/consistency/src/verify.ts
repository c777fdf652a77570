import { classify, DRIFT_KINDS, type DriftKind, type ProjectedState, type SourceState } from './drift.ts';

/** The source of truth: every aggregate, live or deleted, streamed in batches; and a fresh read of a few. */
export interface Source {
  stream(): AsyncIterable<SourceState[]>;
  read(ids: readonly string[]): Promise<Map<string, SourceState>>;
  /** Which of these ids it has now, live or deleted: read() without the content, for the orphan scan. */
  known(ids: readonly string[]): Promise<Set<string>>;
}

/**
 * A read model to check: what it holds for given ids, and every id it holds an entry for, in
 * batches (in any order: a Redis SCAN has none).
 */
export interface Projection {
  name: string;
  read(ids: readonly string[]): Promise<Map<string, ProjectedState>>;
  scan(): AsyncIterable<string[]>;
}

export interface Drift {
  id: string;
  kind: DriftKind;
  source: SourceState | undefined;
  projected: ProjectedState | undefined;
}

export interface VerifyReport {
  projection: string;
  /** Aggregates compared: every one in the source plus every orphan candidate. */
  checked: number;
  counts: Record<DriftKind, number>;
  /** Every drifted aggregate, for repair. */
  drifted: Drift[];
  seconds: number;
}

export interface VerifyOptions {
  /**
   * How long a difference may be in flight before it counts. A change committed just before the
   * check is still on its way to the read model; each first-pass difference is looked at again
   * after this long, and counts only if it is still there (a stale entry: if the read model has
   * not reached even the version the first pass saw).
   */
  graceMs: number;
  /** Ids read per round trip when re-reading or looking up orphan candidates. */
  batchSize?: number;
  wait?: (ms: number) => Promise<void>;
}

const zeroCounts = (): Record<DriftKind, number> => Object.fromEntries(DRIFT_KINDS.map((kind) => [kind, 0])) as Record<DriftKind, number>;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function chunks<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let start = 0; start < items.length; start += size) result.push(items.slice(start, start + size));
  return result;
}

interface Candidate {
  id: string;
  /** The source as the first pass saw it (undefined: it had no such aggregate). */
  seen: SourceState | undefined;
}

/**
 * Compares every read model with the source in one streaming pass over the source (each batch
 * looked up in every read model at once), then scans each read model for entries the source does
 * not know (each scanned batch looked up in the source), then re-checks what differed after the
 * grace period so that changes in flight are not counted. Memory: a batch on each side and the
 * differences, whatever the number of aggregates: no side is held whole.
 */
export async function verify(source: Source, projections: readonly Projection[], options: VerifyOptions): Promise<VerifyReport[]> {
  const started = performance.now();
  const batchSize = options.batchSize ?? 5_000;
  const candidates = projections.map(() => [] as Candidate[]);
  let sourceCount = 0;

  for await (const batch of source.stream()) {
    sourceCount += batch.length;
    const ids = batch.map((state) => state.id);
    const views = await Promise.all(projections.map((projection) => projection.read(ids)));
    views.forEach((view, index) => {
      for (const state of batch) if (classify(state, view.get(state.id))) candidates[index]?.push({ id: state.id, seen: state });
    });
  }

  const orphanChecked = projections.map(() => 0);
  await Promise.all(
    projections.map(async (projection, index) => {
      for await (const ids of projection.scan()) {
        // An id the source knows now was compared by the stream, or was created since (in flight).
        const known = await source.known(ids);
        const unknown = ids.filter((id) => !known.has(id));
        orphanChecked[index] = (orphanChecked[index] ?? 0) + unknown.length;
        for (const id of unknown) candidates[index]?.push({ id, seen: undefined });
      }
    }),
  );

  if (candidates.some((list) => list.length > 0)) await (options.wait ?? sleep)(options.graceMs);

  return Promise.all(
    projections.map(async (projection, index): Promise<VerifyReport> => {
      const counts = zeroCounts();
      const drifted: Drift[] = [];
      for (const group of chunks(candidates[index] ?? [], batchSize)) {
        const ids = group.map((candidate) => candidate.id);
        const [now, view] = await Promise.all([source.read(ids), projection.read(ids)]);
        for (const { id, seen } of group) {
          const current = now.get(id);
          const projected = view.get(id);
          const kind = classify(current, projected);
          if (!kind) continue;
          // Stale only if it did not reach even the version seen before the grace period: a user
          // who changed since is one whose newer events are simply on their way.
          if (kind === 'stale' && seen && projected && projected.version >= seen.version) continue;
          counts[kind] += 1;
          drifted.push({ id, kind, source: current, projected });
        }
      }
      return { projection: projection.name, checked: sourceCount + (orphanChecked[index] ?? 0), counts, drifted, seconds: (performance.now() - started) / 1000 };
    }),
  );
}

export const driftTotal = (report: Pick<VerifyReport, 'counts'>) => DRIFT_KINDS.reduce((sum, kind) => sum + report.counts[kind], 0);
