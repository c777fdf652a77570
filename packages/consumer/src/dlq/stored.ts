import type { KafkaMessage } from 'kafkajs';

/** One record as it sits on a dead-letter topic, with its own place there. */
export interface StoredDeadLetter {
  /** The dead-letter topic, e.g. evergreen.user.dlq. */
  topic: string;
  partition: number;
  message: KafkaMessage;
}

/** Where a dead letter sits on its topic: how the CLI names it (`<partition>:<offset>`). */
export interface DlqPosition {
  partition: number;
  offset: string;
}

export const formatPosition = (position: DlqPosition) => `${position.partition}:${position.offset}`;

export const positionOf = (letter: StoredDeadLetter): DlqPosition => ({ partition: letter.partition, offset: letter.message.offset });

/** Partition, then offset: a key's dead letters share a partition, so this is their dead-letter order. */
export function comparePositions(a: DlqPosition, b: DlqPosition): number {
  if (a.partition !== b.partition) return a.partition - b.partition;
  const difference = BigInt(a.offset) - BigInt(b.offset);
  return difference === 0n ? 0 : difference < 0n ? -1 : 1;
}
