import type { ConsumedEvent } from './event.ts';
import type { StoreFacts } from '@evergreen/platform';

/** What the store did with one operation: wrote it, or found it already had that version or newer. */
export type ApplyOutcome = 'applied' | 'stale';

export interface PendingOperation<Op> {
  op: Op;
  event: ConsumedEvent;
}

/**
 * Where a projection is written. The framework hands it one partition's operations in record
 * order and commits their offsets only once apply resolves. It must be idempotent: after a crash
 * or a retry the same operations come again, and must leave the store as it was.
 * A throw means "nothing is known to be written": the framework retries the whole batch.
 */
export interface Sink<Op> {
  apply(operations: ReadonlyArray<PendingOperation<Op>>): Promise<ApplyOutcome[]>;
  /** Throws when the store cannot be reached (for /ready). */
  probe(): Promise<void>;
  /**
   * How long the store remembers a deletion, in seconds, when it forgets at all (a Redis deletion
   * marker expires; an inbox does not). The consumer checks its compacted topics against it.
   */
  readonly deletionMemorySeconds?: number;
  /** The store, as the span of each write names it (db.system.name, db.namespace); see docs/tracing.md. */
  readonly store?: StoreFacts;
}
