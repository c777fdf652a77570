import type { ConsumedEvent, Handler, InboxOperation } from '@evergreen/consumer';
import { traceIdOf } from '@evergreen/platform';

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

/**
 * The row and the day's count of one event. Both run in the sink's transaction, after the inbox
 * accepted the event id, so each happens once per event however often the event is delivered.
 */
export function recordActivity(entry: ActivityEntry): InboxOperation {
  return async (tx) => {
    await tx.query(
      `INSERT INTO user_activity (event_id, user_id, event_type, version, occurred_at, trace_id)
       VALUES ($1, $2, $3, $4, to_timestamp($5 / 1000.0), $6)`,
      [entry.eventId, entry.userId, entry.eventType, entry.version, entry.occurredAt, entry.traceId ?? null],
    );
    await tx.query(
      `INSERT INTO user_activity_daily (day, event_type, events)
       VALUES ((to_timestamp($1 / 1000.0) AT TIME ZONE 'UTC')::date, $2, 1)
       ON CONFLICT (day, event_type) DO UPDATE SET events = user_activity_daily.events + 1`,
      [entry.occurredAt, entry.eventType],
    );
  };
}

const logActivity: Handler<InboxOperation> = (event) => recordActivity(activityEntry(event));

/** Every user event type is logged the same way; the payload was still decoded and validated. */
export const activityHandlers: Record<string, Handler<InboxOperation>> = {
  UserRegistered: logActivity,
  UserProfileUpdated: logActivity,
  UserDeleted: logActivity,
};
