import { describe, expect, it } from 'vitest';
import { stableEventId } from './stable-event-id.ts';

describe('stableEventId', () => {
  it('is a version 5 UUID of the RFC variant', () => {
    expect(stableEventId('user', 'a', 1, 'snapshot')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('is the same for the same aggregate, version and purpose', () => {
    expect(stableEventId('user', 'a', 3, 'snapshot')).toBe(stableEventId('user', 'a', 3, 'snapshot'));
  });

  it('differs when any part differs, including where one part ends and the next begins', () => {
    const ids = new Set([
      stableEventId('user', 'a', 3, 'snapshot'),
      stableEventId('user', 'a', 4, 'snapshot'),
      stableEventId('user', 'b', 3, 'snapshot'),
      stableEventId('order', 'a', 3, 'snapshot'),
      stableEventId('user', 'a', 3, 'deletion'),
      stableEventId('use', 'ra', 3, 'snapshot'),
    ]);
    expect(ids.size).toBe(6);
  });
});
