import { readdirSync, readFileSync } from 'node:fs';

/** Resident memory now and its high-water mark since start, in KiB, summed over a process tree. */
export interface ProcessMemory {
  rssKiB: number;
  peakKiB: number;
  /**
   * Proportional set size: resident memory with each shared page divided among the processes that
   * map it, so PostgreSQL's shared buffers count once, not once per backend as in rssKiB.
   */
  pssKiB: number;
  processes: number;
}

function statusField(status: string, field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  return match ? Number(match[1]) : 0;
}

function parentOf(pid: number): number | undefined {
  try {
    // The command name may contain spaces and parentheses: the ppid is the 2nd field after the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

/** The process and all its descendants (PostgreSQL: the postmaster and its backends). */
export function descendantsOf(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    const parent = parentOf(pid);
    if (parent !== undefined) children.set(parent, [...(children.get(parent) ?? []), pid]);
  }
  const tree: number[] = [];
  const pending = [root];
  while (pending.length > 0) {
    const pid = pending.pop() as number;
    tree.push(pid);
    pending.push(...(children.get(pid) ?? []));
  }
  return tree;
}

/**
 * Reads /proc (Linux only). The peak is the sum of each process's own VmHWM, an upper bound of
 * the tree's true peak, since not every process peaks at the same moment.
 */
export function memoryOf(pid: number | undefined): ProcessMemory | undefined {
  if (pid === undefined) return undefined;
  const memory: ProcessMemory = { rssKiB: 0, peakKiB: 0, pssKiB: 0, processes: 0 };
  for (const member of descendantsOf(pid)) {
    try {
      const status = readFileSync(`/proc/${member}/status`, 'utf8');
      memory.rssKiB += statusField(status, 'VmRSS');
      memory.peakKiB += statusField(status, 'VmHWM');
      memory.pssKiB += statusField(readFileSync(`/proc/${member}/smaps_rollup`, 'utf8'), 'Pss');
      memory.processes += 1;
    } catch {
      // The process ended between the listing and the read.
    }
  }
  return memory;
}
