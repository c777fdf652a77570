/**
 * Where a projection keeps its generations: each generation in a namespace of its own in the
 * projection's store (Redis keys under a prefix, PostgreSQL tables), and the active generation —
 * the one readers read and the services write — recorded in that same store, so it switches
 * atomically with respect to the data. A rebuild (rebuildProjection) prepares the next generation,
 * fills it from offset 0 under a new consumer group, flips the pointer and drops the old one.
 */
export interface GenerationStore {
  /** The projection's name, for messages. */
  readonly projection: string;
  /** The active generation (1 when none was ever recorded). */
  readActive(): Promise<number>;
  /**
   * Takes the projection's rebuild lock, held until the returned function is called (or the
   * process dies). Throws RebuildLockedError when another rebuild holds it.
   */
  lock(): Promise<() => Promise<void>>;
  /** Makes an empty namespace for `generation` (above the active one), dropping what an interrupted rebuild left there. */
  prepare(generation: number): Promise<void>;
  /**
   * Makes `to` the active generation, atomically, if `from` still is (GenerationConflictError
   * otherwise). Readers read `to` from then on; writers of older generations are fenced where
   * the store can do that (PostgreSQL), or write into a namespace that is about to be dropped (Redis).
   */
  flip(from: number, to: number): Promise<void>;
  /** Deletes a generation's namespace (never the active one); says what went, for the report. */
  drop(generation: number): Promise<string>;
  /** Where a generation lives, for progress lines ("keys evergreen:user.g2:*"). */
  describe(generation: number): string;
}

/** Another rebuild of the projection holds its lock. */
export class RebuildLockedError extends Error {
  constructor(projection: string, detail: string) {
    super(`another rebuild of ${projection} is running (${detail}); wait for it or, if it died, for its lock to lapse`);
    this.name = 'RebuildLockedError';
  }
}

/** The active generation is not the one an operation expected: someone else switched it. */
export class GenerationConflictError extends Error {
  constructor(projection: string, expected: number, found: number) {
    super(`the active generation of ${projection} is ${found}, not ${expected}: another rebuild switched it`);
    this.name = 'GenerationConflictError';
  }
}

/**
 * A writer of a generation that is no longer active: it must not write (its namespace is being
 * dropped, or its table names now lead elsewhere). Thrown inside the sink's transaction, so the
 * framework retries the batch, uncommitted, until the service switches to the active generation.
 */
export class GenerationRetiredError extends Error {
  constructor(projection: string, generation: number, active: number) {
    super(`generation ${generation} of ${projection} is retired (generation ${active} is active); waiting for the switch`);
    this.name = 'GenerationRetiredError';
  }
}

/** A stored generation: absent is the first; anything else must be a positive integer. */
export function storedGeneration(raw: string | number | null | undefined): number {
  if (raw === null || raw === undefined) return 1;
  const value = typeof raw === 'number' ? raw : /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`a stored generation must be an integer >= 1, got ${JSON.stringify(raw)}`);
  return value;
}
