import { formatPosition, type DlqPosition } from './stored.ts';

/** The offsets a partition holds: from `low` (the earliest kept) up to, not including, `high`. */
export interface PartitionOffsets {
  partition: number;
  low: string;
  high: string;
}

/** A range of one partition to read: from `from` up to, not including, `to`. */
export interface PartitionRange {
  partition: number;
  from: string;
  to: string;
}

const POSITION = /^(\d{1,9}):(\d{1,19})$/;

export function parsePosition(text: string): DlqPosition | undefined {
  const match = POSITION.exec(text);
  if (!match) return undefined;
  return { partition: Number(match[1]), offset: BigInt(match[2] as string).toString() };
}

/** Why each position cannot hold a record of the topic: a partition it lacks, or an offset outside what it keeps. */
export function positionProblems(topic: string, positions: readonly DlqPosition[], offsets: readonly PartitionOffsets[]): string[] {
  return positions.flatMap((position) => {
    const partition = offsets.find((entry) => entry.partition === position.partition);
    const where = `${topic} ${formatPosition(position)}`;
    if (!partition) return [`${where}: the topic has no partition ${position.partition} (it has ${offsets.length})`];
    const offset = BigInt(position.offset);
    if (offset >= BigInt(partition.high)) return [`${where}: past the end of the partition (its next offset is ${partition.high})`];
    if (offset < BigInt(partition.low)) return [`${where}: no longer kept (the partition starts at offset ${partition.low})`];
    return [];
  });
}

/** Every record a partition holds. */
export const wholePartitions = (offsets: readonly PartitionOffsets[]): PartitionRange[] => offsets.map(({ partition, low, high }) => ({ partition, from: low, to: high }));

/** The smallest range per partition that covers the positions. */
export function rangesCovering(positions: readonly DlqPosition[]): PartitionRange[] {
  const ranges = new Map<number, { from: bigint; to: bigint }>();
  for (const { partition, offset } of positions) {
    const at = BigInt(offset);
    const range = ranges.get(partition);
    ranges.set(partition, range ? { from: at < range.from ? at : range.from, to: at + 1n > range.to ? at + 1n : range.to } : { from: at, to: at + 1n });
  }
  return [...ranges].map(([partition, { from, to }]) => ({ partition, from: from.toString(), to: to.toString() }));
}
