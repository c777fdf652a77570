import { mkdirSync } from 'node:fs';
import { pollUntil } from '@evergreen/platform';
import type { Component, StackContext } from '../component.ts';
import { logFile, pidFile } from '../layout.ts';
import { runningPid, startDaemon, stopDaemon, tailOf } from '../processes.ts';

export interface JvmDaemonSpec {
  name: string;
  endpoint: string;
  heap: string;
  /** Everything after the JVM's own options: `-cp … Main args` or `-jar app.jar`. */
  javaArgs: string[];
  cwd: string;
  /** Writes config files, formats storage: whatever must happen before each start. */
  prepare?: () => Promise<void>;
  isHealthy: () => Promise<boolean>;
  startupTimeoutMs: number;
  jvmOptions?: string[];
}

/** A Java process of the stack: started detached, logged to .stack/logs, waited for by its health check. */
export function jvmDaemon(context: StackContext, spec: JvmDaemonSpec): Component {
  const pidPath = pidFile(context.layout, spec.name);
  const logPath = logFile(context.layout, spec.name);
  return {
    name: spec.name,
    endpoint: spec.endpoint,
    pid: () => runningPid(pidPath),
    isHealthy: spec.isHealthy,
    async start() {
      mkdirSync(context.layout.run, { recursive: true });
      await spec.prepare?.();
      startDaemon({
        command: 'java',
        args: [...jvmMemoryOptions(context.config.jvm.initialHeap, spec.heap), '-XX:+UseG1GC', '-XX:+ExitOnOutOfMemoryError', '-Djava.awt.headless=true', ...(spec.jvmOptions ?? []), ...spec.javaArgs],
        cwd: spec.cwd,
        logPath,
        pidPath,
      });
      try {
        const outcome = await pollUntil(
          async () => (runningPid(pidPath) === undefined ? 'exited' : (await spec.isHealthy()) && 'healthy'),
          { description: `${spec.name} to become healthy`, timeoutMs: spec.startupTimeoutMs, intervalMs: 500 },
        );
        if (outcome === 'exited') throw new Error(`${spec.name} exited during start-up`);
      } catch (error) {
        // A process that exited says why in its log; one still running after the deadline is stopped.
        await stopDaemon(pidPath, 10_000).catch(() => undefined);
        throw new Error(`${(error as Error).message}\n--- last lines of ${logPath} ---\n${tailOf(logPath)}`);
      }
    },
    stop: async () => {
      await stopDaemon(pidPath);
    },
  };
}

/** GET a URL and report whether it answered 2xx, without throwing. */
export async function httpOk(url: string, timeoutMs = 3_000): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    return response.ok;
  } catch {
    return false;
  }
}

/**
 * A JVM's heap options: it starts at `initialHeap` and may grow to `maxHeap` under load, and G1
 * returns heap it no longer uses after a minute idle (periodic collections), so the three JVMs of
 * the stack do not each hold their whole maximum while the stack is at rest. The same options are
 * in infra/docker-compose.yml.
 */
export function jvmMemoryOptions(initialHeap: string, maxHeap: string): string[] {
  return [`-Xms${initialHeap}`, `-Xmx${maxHeap}`, '-XX:G1PeriodicGCInterval=60000'];
}
