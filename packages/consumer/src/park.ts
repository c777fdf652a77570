import type { StuckPartition } from './stuck.ts';

/** The record an operator wants moved aside: where it is. */
export interface ParkTarget {
  topic: string;
  partition: number;
  offset: string;
}

export type ParkAnswer = { accepted: true } | { accepted: false; reason: string };

const keyOf = (topic: string, partition: number) => `${topic}\u0000${partition}`;

/**
 * The parks operators asked for, one per partition at most. A park is accepted only for the
 * record a partition is retrying at that moment, so it can never skip a record nobody looked at;
 * it is forgotten once the partition moves on, by the park or by the record passing.
 */
export class ParkRequests {
  private readonly requested = new Map<string, string>();

  /** Accepts the park if `retrying` (the partitions retrying now) shows the target's partition stuck on exactly that record. */
  request(target: ParkTarget, retrying: readonly StuckPartition[]): ParkAnswer {
    const stuck = retrying.find((candidate) => candidate.topic === target.topic && candidate.partition === target.partition);
    if (!stuck) return { accepted: false, reason: `${target.topic}/${target.partition} is not retrying any record in this process` };
    if (stuck.offset !== target.offset) return { accepted: false, reason: `${target.topic}/${target.partition} is retrying offset ${stuck.offset}, not ${target.offset}` };
    if (stuck.step === 'dead_letter') {
      return { accepted: false, reason: `${target.topic}/${target.partition}@${target.offset} is already being dead-lettered and its send is failing (${stuck.error}); parking cannot help: check the dead-letter topic` };
    }
    this.requested.set(keyOf(target.topic, target.partition), target.offset);
    return { accepted: true };
  }

  isParked(topic: string, partition: number, offset: string): boolean {
    return this.requested.get(keyOf(topic, partition)) === offset;
  }

  /** The partition moved past the record (or is no longer worked on here). */
  forget(topic: string, partition: number): void {
    this.requested.delete(keyOf(topic, partition));
  }

  clear(): void {
    this.requested.clear();
  }
}
