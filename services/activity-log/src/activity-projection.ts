import type { AggregateHandlers, ConsumedEvent, Handler, InboxOperation } from '@evergreen/consumer';
import type { UserAggregate } from '@evergreen/schemas';
import { traceIdOf } from '@evergreen/platform';
import { activityLogNamespace, type ActivityLogNamespace } from '@evergreen/user-read-model';

/** What the activity log records of one event; it reads metadata only, never the payload. */
export interface ActivityEntry {
  eventId: string;
  userId: string;
  eventType: string;
  version: number;
  /** Commit-side time of the event, epoch ms. */
  occurredAt: number;
  traceId: string | undefined;
}

export function activityEntry(event: ConsumedEvent): ActivityEntry {
  return {
    eventId: event.eventId,
    userId: event.aggregateId,
    eventType: event.eventType,
    version: event.aggregateVersion,
    occurredAt: event.occurredAt,
    traceId: traceIdOf(event.headers.traceparent),
  };
}

/** The tables of generation 1: user_activity, user_activity_daily. */
const FIRST_GENERATION_TABLES = activityLogNamespace().tables;

/**
 * The row and the day's count of one event, in one generation's tables (generation 1's by
 * default). Both run in the sink's transaction, after the inbox accepted the event id, so each
 * happens once per event however often the event is delivered.
 */
export function recordActivity(entry: ActivityEntry, tables: ActivityLogNamespace['tables'] = FIRST_GENERATION_TABLES): InboxOperation {
  return async (tx) => {
    await tx.query(
      `INSERT INTO ${tables.activity} (event_id, user_id, event_type, version, occurred_at, trace_id)
       VALUES ($1, $2, $3, $4, to_timestamp($5 / 1000.0), $6)`,
      [entry.eventId, entry.userId, entry.eventType, entry.version, entry.occurredAt, entry.traceId ?? null],
    );
    await tx.query(
      `INSERT INTO ${tables.daily} (day, event_type, events)
       VALUES ((to_timestamp($1 / 1000.0) AT TIME ZONE 'UTC')::date, $2, 1)
       ON CONFLICT (day, event_type) DO UPDATE SET events = ${tables.daily}.events + 1`,
      [entry.occurredAt, entry.eventType],
    );
  };
}

/**
 * Every user event type is logged the same way, into one generation's tables; the payload was
 * still decoded and validated. A UserSnapshot (backfill, repair) is logged too: it is how a user
 * that predates the pipeline enters the log, and its id is derived from user and version, so
 * re-emitting it logs nothing twice.
 */
export function activityHandlersFor(tables: ActivityLogNamespace['tables']): AggregateHandlers<UserAggregate, InboxOperation> {
  const logActivity: Handler<InboxOperation> = (event) => recordActivity(activityEntry(event), tables);
  return {
    UserRegistered: logActivity,
    UserProfileUpdated: logActivity,
    UserSnapshot: logActivity,
    UserDeleted: logActivity,
  };
}

/** The activity log's handlers for generation 1 (tables user_activity, user_activity_daily). */
export const activityHandlers: AggregateHandlers<UserAggregate, InboxOperation> = activityHandlersFor(FIRST_GENERATION_TABLES);
