import type { Admin } from 'kafkajs';

/**
 * An operator's park of a record travels through Kafka, not through a port of the consumer: the
 * offset just past the record is committed for a group that never has members, named after the
 * consumer group (`<group>.park`). Every instance of the group that retries a record asks, while
 * it waits, whether that offset is parked, so whichever instance owns the partition sees it, on
 * one machine or many, under the same ACLs as the group itself.
 */
export const parkGroupOf = (groupId: string): string => `${groupId}.park`;

/** The park group's committed offset that parks the record at `offset`: the next one to read. */
export const parkOffsetOf = (offset: string): string => (BigInt(offset) + 1n).toString();

/** How often a retrying consumer asks for parks, at most: a park waits for nobody, so seconds are fine. */
export const PARK_POLL_MS = 2_000;

type ParkOffsets = Pick<Admin, 'fetchOffsets'>;

/**
 * What a retrying consumer asks: is the record it waits on parked? The park group's offsets are
 * read at most every PARK_POLL_MS per topic, and only while a record is being retried.
 */
export class ParkWatch {
  private readonly known = new Map<string, { readAt: number; offsets: Map<number, string> }>();

  constructor(
    private readonly groupId: string,
    /** Connected on first use; a retrying consumer is the only one that asks. */
    private readonly admin: () => Promise<ParkOffsets>,
    private readonly now: () => number = Date.now,
    private readonly pollMs = PARK_POLL_MS,
  ) {}

  async isParked(topic: string, partition: number, offset: string): Promise<boolean> {
    let entry = this.known.get(topic);
    if (!entry || this.now() - entry.readAt >= this.pollMs) {
      const admin = await this.admin();
      const [committed] = await admin.fetchOffsets({ groupId: parkGroupOf(this.groupId), topics: [topic] });
      entry = { readAt: this.now(), offsets: new Map((committed?.partitions ?? []).map((entry) => [entry.partition, entry.offset])) };
      this.known.set(topic, entry);
    }
    return entry.offsets.get(partition) === parkOffsetOf(offset);
  }

  clear(): void {
    this.known.clear();
  }
}
