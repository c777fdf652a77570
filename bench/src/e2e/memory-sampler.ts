import { memoryOf, type LocalStack } from '@evergreen/local-stack';

export interface Process {
  name: string;
  pid: () => number | undefined;
}

/** Proportional memory (PSS, MiB) of each process tree (PostgreSQL: the postmaster and its backends). */
export type MemoryReading = Map<string, number>;

export function stackProcesses(stack: LocalStack, services: ReadonlyArray<{ name: string; pid: number }>): Process[] {
  return [...stack.components.map((component) => ({ name: component.name, pid: () => component.pid() })), ...services.map((service) => ({ name: service.name, pid: () => service.pid }))];
}

export function readMemory(processes: readonly Process[]): MemoryReading {
  return new Map(processes.map((process) => [process.name, (memoryOf(process.pid())?.pssKiB ?? 0) / 1024]));
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
