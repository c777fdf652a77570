import type { AvroSerde } from '@evergreen/avro-serde';
import { allEventSchemas } from '@evergreen/schemas';
import type avro from 'avsc';
import { isPoisonDecodeFailure, PoisonRecordError } from './poison.ts';
import type { UserEntry } from './user-cache.ts';

/** The fields of UserRegistered and UserProfileUpdated this consumer reads (reader schemas: schemas/user/*.avsc). */
interface UserState {
  userId: string;
  version: number;
  email: string;
  name: string;
  avatarUrl: string | null;
  registeredAt: number;
}

/** What a record's headers and key say about the event, before its payload is decoded. */
export interface EventMetadata {
  eventId: string;
  eventType: string;
  aggregateId: string;
  aggregateVersion: number;
}

// kafkajs types header values as Buffer | string | array, but a header written with a null value
// (the relay does that for a null outbox column, e.g. no trace context) arrives as null.
type HeaderValue = Buffer | string | null | (Buffer | string | null)[] | undefined;

function header(headers: Record<string, HeaderValue> | undefined, name: string): string | undefined {
  const value = headers?.[name];
  const single = Array.isArray(value) ? value[0] : value;
  return single === undefined || single === null ? undefined : single.toString();
}

export function eventMetadata(key: Buffer | null, headers: Record<string, HeaderValue> | undefined): EventMetadata {
  const eventId = header(headers, 'id');
  const eventType = header(headers, 'eventType');
  const rawVersion = header(headers, 'aggregateVersion');
  // Digits only: Number() would read '' or ' ' as 0 and accept '1e3', '0x1f' or '-1'.
  const version = rawVersion !== undefined && /^\d+$/.test(rawVersion) ? Number(rawVersion) : Number.NaN;
  const aggregateId = key?.toString();
  if (!eventId || !eventType || !aggregateId || !Number.isSafeInteger(version)) {
    throw new PoisonRecordError('missing-metadata', `record lacks its key or the id/eventType/aggregateVersion headers`);
  }
  return { eventId, eventType, aggregateId, aggregateVersion: version };
}

/** Events that carry the user's whole state; each one alone rebuilds the entry. */
const STATE_EVENTS = new Set(['UserRegistered', 'UserProfileUpdated']);

export type UserChange =
  | { kind: 'upsert'; entry: UserEntry }
  | { kind: 'delete'; userId: string; version: number; eventId: string };

/** Decodes a user event's payload through the registry into this consumer's reader schemas. */
export class UserEventDecoder {
  private readonly readers: avro.Type[] = allEventSchemas()
    .filter((schema) => schema.aggregateType === 'user')
    .map((schema) => schema.type);

  constructor(private readonly serde: AvroSerde) {}

  /** What the record asks of the cache: write the user's state, or forget the user. */
  async toChange(metadata: EventMetadata, value: Buffer | null): Promise<UserChange> {
    if (metadata.eventType === 'UserDeleted') {
      if (value !== null) throw new PoisonRecordError('rejected', 'UserDeleted with a payload; a deletion is a tombstone');
      return { kind: 'delete', userId: metadata.aggregateId, version: metadata.aggregateVersion, eventId: metadata.eventId };
    }
    if (!STATE_EVENTS.has(metadata.eventType)) {
      throw new PoisonRecordError('unknown-event-type', `no handler for event type ${metadata.eventType}`);
    }
    if (value === null) throw new PoisonRecordError('rejected', `${metadata.eventType} without a payload`);
    let event: UserState;
    try {
      event = (await this.serde.decode<UserState>(value, this.readers)).value;
    } catch (error) {
      // A registry that is away is transient: rethrow so the record is retried, not dead-lettered.
      if (isPoisonDecodeFailure(error)) throw new PoisonRecordError('undecodable', error.message, { cause: error });
      throw error;
    }
    if (event.userId !== metadata.aggregateId) {
      throw new PoisonRecordError('rejected', `payload userId ${event.userId} differs from the record key ${metadata.aggregateId}`);
    }
    return {
      kind: 'upsert',
      entry: {
        id: event.userId,
        email: event.email,
        name: event.name,
        avatarUrl: event.avatarUrl,
        version: event.version,
        registeredAt: event.registeredAt,
        eventId: metadata.eventId,
      },
    };
  }
}
