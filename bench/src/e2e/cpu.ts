import { readFileSync } from 'node:fs';
import { descendantsOf } from '@evergreen/local-stack';

/** Linux's USER_HZ: /proc reports CPU time in these ticks. */
const TICKS_PER_SECOND = 100;

/** CPU time (user + system, all threads) a process has used so far, in seconds; 0 when it is gone. */
function ownCpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/**
 * CPU time of a process and its live descendants, in seconds. A backend that exited in between
 * takes its time with it: PostgreSQL's figure is a lower bound when connections come and go, exact
 * for the pooled connections the benchmark holds.
 */
export function cpuSecondsOf(pid: number | undefined): number {
  return pid === undefined ? 0 : descendantsOf(pid).reduce((total, member) => total + ownCpuSeconds(member), 0);
}

/** CPU seconds each named process uses while `work` runs. */
export async function cpuDuring<T>(processes: ReadonlyArray<{ name: string; pid: () => number | undefined }>, work: () => Promise<T>): Promise<{ result: T; cpuSeconds: Map<string, number> }> {
  const before = new Map(processes.map((process) => [process.name, cpuSecondsOf(process.pid())]));
  const result = await work();
  return { result, cpuSeconds: new Map(processes.map((process) => [process.name, cpuSecondsOf(process.pid()) - (before.get(process.name) ?? 0)])) };
}
