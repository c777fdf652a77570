import { createHash } from 'node:crypto';

// A fixed namespace for Evergreen's name-based event ids (any UUID works; this one is ours alone).
const NAMESPACE = Buffer.from('5f0c2f9e8a1d4c6b9e3a7b1d2c4e6f80', 'hex');

/**
 * A name-based (version 5, RFC 9562) UUID for an event that re-states what an aggregate already
 * is, rather than something that happened: the same aggregate, version and purpose always give the
 * same id. Consumers deduplicate on the event id, so a backfill or repair that runs twice (or
 * resumes after a crash) delivers each re-statement once to an inbox-based projection.
 */
export function stableEventId(aggregateType: string, aggregateId: string, aggregateVersion: number, purpose: string): string {
  const hash = createHash('sha1').update(NAMESPACE).update(`${aggregateType}\u0000${aggregateId}\u0000${aggregateVersion}\u0000${purpose}`).digest();
  const bytes = hash.subarray(0, 16);
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x50;
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
