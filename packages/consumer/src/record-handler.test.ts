import type { KafkaMessage } from 'kafkajs';
import { createLogger } from '@evergreen/platform';
import { describe, expect, it } from 'vitest';
import type { ConsumedEvent } from './event.ts';
import type { Handler } from './options.ts';
import { PoisonRecordError } from './poison.ts';
import { RecordHandler, type RecordHandlerOptions } from './record-handler.ts';
import { poisonOf, SAMPLE_EVENT_ID, SAMPLE_USER_ID } from './testing.ts';

const TOPIC = 'evergreen.user';

function message(headers: Record<string, string> = {}): KafkaMessage {
  return { key: Buffer.from(SAMPLE_USER_ID), value: Buffer.from('payload'), timestamp: '1', attributes: 0, offset: '7', headers } as KafkaMessage;
}

/** A decoder that reads the event type from the header and decodes nothing, or fails with `failure`. */
const decoder = (failure?: unknown) => ({
  decode: async (_aggregateType: string, topic: string, partition: number, record: KafkaMessage): Promise<ConsumedEvent> => {
    if (failure !== undefined) throw failure;
    const eventType = record.headers?.eventType?.toString() ?? 'UserRegistered';
    return { eventId: SAMPLE_EVENT_ID, eventType, aggregateId: SAMPLE_USER_ID, aggregateVersion: 1, payload: {}, headers: {}, topic, partition, offset: record.offset, occurredAt: 1 };
  },
});

function handlerOf(options: { handlers?: Record<string, Handler<string>>; failure?: unknown; unhandled?: 'dead-letter' | 'skip' } = {}): RecordHandler<string> {
  const settings: RecordHandlerOptions<string> = {
    groupId: 'evergreen-cache-populator',
    aggregateOfTopic: new Map([[TOPIC, 'user']]),
    retryTopics: new Set([`${TOPIC}.retry`]),
    decoder: decoder(options.failure),
    handlers: { user: options.handlers ?? { UserRegistered: (event) => `set ${event.aggregateId}` } },
    unhandledEventTypes: options.unhandled ?? 'dead-letter',
    logger: createLogger('test', 'silent'),
  };
  return new RecordHandler(settings);
}

describe('RecordHandler', () => {
  it("maps a record through its event type's handler into an operation", async () => {
    const handled = await handlerOf().handle(TOPIC, 0, message({ eventType: 'UserRegistered' }));
    expect(handled).toMatchObject({ kind: 'operation', operation: { op: `set ${SAMPLE_USER_ID}`, event: { eventType: 'UserRegistered', offset: '7' } } });
  });

  it.each(['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf', 'isPrototypeOf'])(
    "never takes a member every object has (%s) for a handler: the record is refused, not applied",
    async (eventType) => {
      const poison = await poisonOf(handlerOf().handle(TOPIC, 0, message({ eventType })));
      expect(poison.reason).toBe('unknown-event-type');
    },
  );

  it('skips an event type without a handler when told to, and refuses it otherwise', async () => {
    expect(await handlerOf({ unhandled: 'skip' }).handle(TOPIC, 0, message({ eventType: 'UserDeleted' }))).toEqual({ kind: 'skip', eventType: 'UserDeleted' });
    expect((await poisonOf(handlerOf().handle(TOPIC, 0, message({ eventType: 'UserDeleted' })))).reason).toBe('unknown-event-type');
  });

  it('skips an event type the catalog does not declare yet when told to skip what it has no handler for', async () => {
    const unknown = new PoisonRecordError('UNKNOWN_EVENT_TYPE', '"UserRenamed" is not an event type of aggregate user');
    expect(await handlerOf({ failure: unknown, unhandled: 'skip' }).handle(TOPIC, 0, message({ eventType: 'UserRenamed' }))).toEqual({ kind: 'skip', eventType: 'UserRenamed' });
    expect(await poisonOf(handlerOf({ failure: unknown }).handle(TOPIC, 0, message({ eventType: 'UserRenamed' })))).toBe(unknown);
  });

  it('skips a record whose handler returns nothing', async () => {
    const handled = await handlerOf({ handlers: { UserRegistered: () => undefined } }).handle(TOPIC, 0, message({ eventType: 'UserRegistered' }));
    expect(handled).toEqual({ kind: 'skip', eventType: 'UserRegistered' });
  });

  it("refuses what a handler throws as handler-rejected, keeping a handler's own poison code", async () => {
    const throwing = handlerOf({
      handlers: {
        UserRegistered: () => {
          throw new TypeError("cannot read properties of undefined (reading 'email')");
        },
        UserProfileUpdated: () => {
          throw new PoisonRecordError('PAYLOAD_MISMATCH', 'userId differs from the record key');
        },
      },
    });

    const rejected = await poisonOf(throwing.handle(TOPIC, 0, message({ eventType: 'UserRegistered' })));
    expect(rejected).toMatchObject({ reason: 'handler-rejected' });
    expect(rejected.cause).toBeInstanceOf(TypeError);
    expect((await poisonOf(throwing.handle(TOPIC, 0, message({ eventType: 'UserProfileUpdated' })))).reason).toBe('payload-mismatch');
  });

  it('passes a decoding failure through for the caller to classify (the registry away is not poison)', async () => {
    const away = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    await expect(handlerOf({ failure: away }).handle(TOPIC, 0, message())).rejects.toBe(away);
  });

  it('reads past a replayed record addressed to another group, and applies one addressed to its own', async () => {
    const handler = handlerOf();
    expect(await handler.handle(`${TOPIC}.retry`, 0, message({ eventType: 'UserRegistered', 'retry.group': 'evergreen-activity-log' }))).toEqual({ kind: 'foreign' });
    expect(await handler.handle(`${TOPIC}.retry`, 0, message({ eventType: 'UserRegistered' }))).toEqual({ kind: 'foreign' });
    expect((await handler.handle(`${TOPIC}.retry`, 0, message({ eventType: 'UserRegistered', 'retry.group': 'evergreen-cache-populator' }))).kind).toBe('operation');
  });
});
