import type { Consumer } from 'kafkajs';
import { createLogger, pollUntil } from '@evergreen/platform';
import { afterEach, describe, expect, it } from 'vitest';
import type { ProjectionConsumer } from '../consumer.ts';
import { createGenerationalConsumer, type GenerationalConsumer } from './generational-consumer.ts';

/** A consumer that records what happened to it. */
function fakeConsumer(generation: number, journal: string[], options: { failStart?: boolean } = {}): ProjectionConsumer {
  let running = false;
  return {
    async start() {
      journal.push(`start ${generation}`);
      if (options.failStart) throw new Error('broker away');
      running = true;
    },
    async stop() {
      journal.push(`stop ${generation}`);
      running = false;
    },
    isReady: () => running,
    probeSink: async () => undefined,
    lagProblem: () => undefined,
    failure: () => undefined,
    stuckProblem: () => undefined,
    consumer: { generation } as unknown as Consumer,
  };
}

const logger = createLogger('test', 'silent');
const running: GenerationalConsumer[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((consumer) => consumer.stop()));
});

function generational(active: { value: number | Error }, journal: string[], failStartOf: Set<number> = new Set()) {
  const consumer = createGenerationalConsumer({
    readActive: async () => {
      if (active.value instanceof Error) throw active.value;
      return active.value;
    },
    build: (generation) => fakeConsumer(generation, journal, { failStart: failStartOf.has(generation) }),
    logger,
    pollIntervalMs: 5,
  });
  running.push(consumer);
  return consumer;
}

const until = (probe: () => boolean, description: string) => pollUntil(probe, { description, timeoutMs: 2_000, intervalMs: 5 });

describe('createGenerationalConsumer', () => {
  it('starts on the active generation', async () => {
    const journal: string[] = [];
    const consumer = generational({ value: 3 }, journal);

    await consumer.start();

    expect(consumer.generation()).toBe(3);
    expect(consumer.isReady()).toBe(true);
    expect((consumer.consumer as unknown as { generation: number }).generation).toBe(3);
    expect(journal).toEqual(['start 3']);
  });

  it('waits for a store that does not answer at start, retrying', async () => {
    const journal: string[] = [];
    let failures = 3;
    const consumer = createGenerationalConsumer({
      readActive: async () => {
        if (failures-- > 0) throw new Error('redis loading');
        return 2;
      },
      build: (generation) => fakeConsumer(generation, journal),
      logger,
      pollIntervalMs: 5,
      retry: { initialMs: 1, maxMs: 5 },
    });
    running.push(consumer);

    await consumer.start();

    expect(consumer.generation()).toBe(2);
    expect(journal).toEqual(['start 2']);
  });

  it('stops the old generation before it starts the new one when the pointer moves', async () => {
    const journal: string[] = [];
    const active = { value: 1 as number | Error };
    const consumer = generational(active, journal);
    await consumer.start();

    active.value = 2;
    await until(() => consumer.generation() === 2, 'the switch to generation 2');

    expect(journal).toEqual(['start 1', 'stop 1', 'start 2']);
    expect(consumer.isReady()).toBe(true);
  });

  it('keeps consuming its generation while the pointer cannot be read', async () => {
    const journal: string[] = [];
    const active = { value: 1 as number | Error };
    const consumer = generational(active, journal);
    await consumer.start();

    active.value = new Error('redis away');
    await new Promise((resolve) => setTimeout(resolve, 50));

    expect(consumer.generation()).toBe(1);
    expect(consumer.isReady()).toBe(true);
    expect(journal).toEqual(['start 1']);
  });

  it('is not ready while the new generation cannot start, and retries it', async () => {
    const journal: string[] = [];
    const active = { value: 1 as number | Error };
    const failing = new Set([2]);
    const consumer = generational(active, journal, failing);
    await consumer.start();

    active.value = 2;
    await until(() => journal.filter((line) => line === 'start 2').length >= 2, 'a retried start of generation 2');
    expect(consumer.isReady()).toBe(false);
    expect(() => consumer.consumer).toThrow(/switching/);

    failing.clear();
    await until(() => consumer.isReady(), 'generation 2 to run');
    expect(consumer.generation()).toBe(2);
  });

  it('stops whatever generation it runs, and follows nothing after', async () => {
    const journal: string[] = [];
    const active = { value: 1 as number | Error };
    const consumer = generational(active, journal);
    await consumer.start();

    await consumer.stop();
    active.value = 2;
    await new Promise((resolve) => setTimeout(resolve, 50));

    expect(journal).toEqual(['start 1', 'stop 1']);
    expect(consumer.isReady()).toBe(false);
  });
});
