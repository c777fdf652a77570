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

/**
 * CPU time the machine's processes have spent (all cores, user and system), in seconds. Interrupt
 * time is left out: the kernel's handling of the stack's own loopback traffic is charged there, to
 * no process.
 */
export function machineBusySeconds(): number {
  const [cpuLine = ''] = readFileSync('/proc/stat', 'utf8').split('\n');
  const [user = 0, nice = 0, system = 0] = cpuLine.trim().split(/\s+/).slice(1).map(Number);
  return (user + nice + system) / TICKS_PER_SECOND;
}

/**
 * Measures the CPU that processes other than the given ones (and this one) use meanwhile: a
 * benchmark's figures are only as good as the machine was quiet, so a run reports how busy it was.
 */
export function watchOtherLoad(processes: ReadonlyArray<{ pid: () => number | undefined }>): { stop(): { averageCores: number } } {
  const tracked = () => processes.reduce((total, process) => total + cpuSecondsOf(process.pid()), 0) + (process.cpuUsage().user + process.cpuUsage().system) / 1e6;
  const startedAt = performance.now();
  const busyBefore = machineBusySeconds();
  const trackedBefore = tracked();
  return {
    stop() {
      const others = machineBusySeconds() - busyBefore - (tracked() - trackedBefore);
      return { averageCores: Math.max(0, others) / ((performance.now() - startedAt) / 1000) };
    },
  };
}

/** CPU milliseconds per 1,000 events, per process, from CPU seconds spent on `events` events. */
export function cpuMsPerThousand(cpuSeconds: ReadonlyMap<string, number>, events: number): Map<string, number> {
  return new Map([...cpuSeconds].map(([name, seconds]) => [name, (seconds * 1000 * 1000) / events]));
}
