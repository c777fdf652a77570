import { describe, expect, it } from 'vitest';
import type { AggregateHandlers, HandlersFor } from './consumer.ts';
import { sampleUserAggregate } from './test-fixtures.ts';

type SampleUser = typeof sampleUserAggregate;

// What the compiler holds a consumer's handler map to; `npm run typecheck` fails where an
// expectation below does not hold (each @ts-expect-error must meet an error).
describe('a handler map checked against the descriptor', () => {
  it('takes one handler per event type, each given its own payload type', () => {
    const handlers: AggregateHandlers<SampleUser, string> = {
      UserRegistered: (event) => event.payload.email,
      UserProfileUpdated: (event) => String(event.payload.updatedAt),
      UserDeleted: (event) => `deleted ${event.aggregateId} (${String(event.payload)})`,
    };
    const byAggregate: HandlersFor<SampleUser, string> = { user: handlers };

    expect(Object.keys(byAggregate.user).sort()).toEqual(['UserDeleted', 'UserProfileUpdated', 'UserRegistered']);
  });

  it('does not compile without a handler for every event type, or with a payload field the event lacks', () => {
    // @ts-expect-error UserDeleted has no handler
    const missing: AggregateHandlers<SampleUser, string> = { UserRegistered: () => 'r', UserProfileUpdated: () => 'u' };
    const wrongField: AggregateHandlers<SampleUser, string> = {
      // @ts-expect-error UserRegistered carries no updatedAt
      UserRegistered: (event) => String(event.payload.updatedAt),
      UserProfileUpdated: () => 'u',
      UserDeleted: () => 'd',
    };

    expect([missing, wrongField]).toHaveLength(2);
  });
});
