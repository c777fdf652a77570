import type { SlotReading } from './read.ts';

/** A healthy, active replication slot as read from pg_replication_slots: the starting point of tests that vary one field. */
export const ACTIVE_SLOT: Extract<SlotReading, { kind: 'found' }> = {
  kind: 'found',
  name: 'evergreen_outbox',
  database: 'evergreen',
  active: true,
  activePid: 4242,
  walStatus: 'reserved',
  lagBytes: 824,
  retainedWalBytes: 4_520,
  safeWalSizeBytes: 4 * 1024 ** 3,
};
