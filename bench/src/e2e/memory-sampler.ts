import { readFileSync } from 'node:fs';
import { descendantsOf, type LocalStack } from '@evergreen/local-stack';

export interface Process {
  name: string;
  pid: () => number | undefined;
}

/** Proportional memory (PSS, MiB) of each process tree (PostgreSQL: the postmaster and its backends). */
export type MemoryReading = Map<string, number>;

/**
 * The tree's proportional set size: resident memory, with each shared page divided among the
 * processes that map it. An RSS sum would count PostgreSQL's shared buffers once per backend.
 */
function pssMiB(pid: number | undefined): number {
  if (pid === undefined) return 0;
  let kib = 0;
  for (const member of descendantsOf(pid)) {
    try {
      const match = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${member}/smaps_rollup`, 'utf8'));
      kib += Number(match?.[1] ?? 0);
    } catch {
      // The process ended between the listing and the read.
    }
  }
  return kib / 1024;
}

export function stackProcesses(stack: LocalStack, services: ReadonlyArray<{ name: string; pid: number }>): Process[] {
  return [...stack.components.map((component) => ({ name: component.name, pid: () => component.pid() })), ...services.map((service) => ({ name: service.name, pid: () => service.pid }))];
}

export function readMemory(processes: readonly Process[]): MemoryReading {
  return new Map(processes.map((process) => [process.name, pssMiB(process.pid())]));
}

/** The highest memory (PSS) seen per process tree while it runs, read every `intervalMs`. */
export function sampleMemory(processes: readonly Process[], intervalMs = 500): { stop(): MemoryReading } {
  const peak: MemoryReading = new Map();
  const read = () => {
    for (const [name, mib] of readMemory(processes)) peak.set(name, Math.max(peak.get(name) ?? 0, mib));
  };
  read();
  const timer = setInterval(read, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      read();
      return peak;
    },
  };
}
