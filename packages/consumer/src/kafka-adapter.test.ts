import { EventEmitter } from 'node:events';
import type { Consumer } from 'kafkajs';
import { createLogger } from '@evergreen/platform';
import { describe, expect, it } from 'vitest';
import { watchGroup } from './kafka-adapter.ts';

/** A member that emits kafkajs' group events on demand. */
function fakeMember() {
  const emitter = new EventEmitter();
  const events = { GROUP_JOIN: 'consumer.group_join', CRASH: 'consumer.crash' } as Consumer['events'];
  const member = { events, on: (event: string, listener: (payload: unknown) => void) => emitter.on(event, listener) } as unknown as Pick<Consumer, 'on' | 'events'>;
  return { member, emit: (event: string, payload: unknown) => emitter.emit(event, { payload }) };
}

describe('watchGroup', () => {
  it('hands each join its assignment, and only a crash kafkajs will not restart from as final', () => {
    const { member, emit } = fakeMember();
    const joins: unknown[] = [];
    const finals: Error[] = [];
    watchGroup(member, createLogger('test', 'silent'), { joined: (assignment) => void joins.push(assignment), crashedForGood: (error) => void finals.push(error) });

    emit('consumer.group_join', { memberAssignment: { 'evergreen.user': [0, 3] } });
    emit('consumer.crash', { error: new Error('rebalancing'), restart: true });
    const fatal = new Error('The coordinator is not aware of this member');
    emit('consumer.crash', { error: fatal, restart: false });

    expect(joins).toEqual([{ 'evergreen.user': [0, 3] }]);
    expect(finals).toEqual([fatal]);
  });
});
