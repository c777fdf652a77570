import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { DEFAULT_RESTART_POLICY, failuresAfterExit, restartDelayMs, type RestartPolicy } from './backoff.ts';

/** One long-running process to keep up. */
export interface ServiceSpec {
  name: string;
  cwd: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
}

export interface SupervisorOptions {
  services: ServiceSpec[];
  policy?: RestartPolicy;
  /** Where the services' lines and the supervisor's own go, each line prefixed with its source. */
  write(line: string): void;
  /** Colours the prefixes (a terminal). */
  colour?: boolean;
  /** How long stop() waits for a service to exit after SIGTERM before SIGKILL (the services drain within 30 s). */
  stopTimeoutMs?: number;
}

interface Running {
  spec: ServiceSpec;
  child: ChildProcess | undefined;
  startedAt: number;
  failures: number;
  restarts: number;
  timer: NodeJS.Timeout | undefined;
}

const COLOURS = [36, 35, 33, 32, 34, 31];

/**
 * Keeps every service running: one that exits (a crash, kill -9, an exit after a fatal error) is
 * started again after a backoff, and the others go on untouched. stop() sends SIGTERM to all, so
 * each drains and leaves its group, and waits for them.
 */
export class Supervisor {
  private readonly running: Running[];
  private readonly policy: RestartPolicy;
  private stopping = false;
  private readonly width: number;

  constructor(private readonly options: SupervisorOptions) {
    this.policy = options.policy ?? DEFAULT_RESTART_POLICY;
    this.running = options.services.map((spec) => ({ spec, child: undefined, startedAt: 0, failures: 0, restarts: 0, timer: undefined }));
    this.width = Math.max('supervisor'.length, ...options.services.map((spec) => spec.name.length));
  }

  start(): void {
    for (const entry of this.running) this.launch(entry);
  }

  /** Restarts so far, per service: what a test or a status line reads. */
  restarts(): Record<string, number> {
    return Object.fromEntries(this.running.map((entry) => [entry.spec.name, entry.restarts]));
  }

  pids(): Record<string, number | undefined> {
    return Object.fromEntries(this.running.map((entry) => [entry.spec.name, entry.child?.pid]));
  }

  async stop(): Promise<void> {
    this.stopping = true;
    const exits = this.running.map((entry) => {
      if (entry.timer) clearTimeout(entry.timer);
      const child = entry.child;
      if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const kill = setTimeout(() => {
          this.say(`${entry.spec.name} did not stop within ${this.options.stopTimeoutMs ?? 35_000} ms; killing it`);
          child.kill('SIGKILL');
        }, this.options.stopTimeoutMs ?? 35_000);
        // 'close', not 'exit': its last lines are written out before stop() returns.
        child.once('close', () => {
          clearTimeout(kill);
          resolve();
        });
        child.kill('SIGTERM');
      });
    });
    await Promise.all(exits);
  }

  private prefix(name: string, index: number): string {
    const label = name.padEnd(this.width);
    return this.options.colour ? `\u001b[${COLOURS[index % COLOURS.length]}m${label}\u001b[0m | ` : `${label} | `;
  }

  private say(message: string): void {
    this.options.write(`${this.prefix('supervisor', COLOURS.length - 1)}${message}`);
  }

  private launch(entry: Running): void {
    const index = this.running.indexOf(entry);
    const { spec } = entry;
    const child = spawn(spec.command, spec.args, { cwd: spec.cwd, env: { ...process.env, ...spec.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    entry.child = child;
    entry.startedAt = Date.now();
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => this.options.write(`${this.prefix(spec.name, index)}${line}`));
    }
    child.on('error', (error) => this.say(`${spec.name} could not be started: ${error.message}`));
    // 'close' comes after the output is read to the end, so a crash's last words precede the restart line.
    child.on('close', (code, signal) => {
      if (this.stopping) return;
      const ranForMs = Date.now() - entry.startedAt;
      entry.failures = failuresAfterExit(this.policy, entry.failures, ranForMs);
      const delay = restartDelayMs(this.policy, entry.failures);
      this.say(`${spec.name} exited (${signal ?? `code ${code}`}) after ${(ranForMs / 1000).toFixed(1)} s; restarting in ${delay} ms (failure ${entry.failures} in a row)`);
      entry.timer = setTimeout(() => {
        entry.timer = undefined;
        if (this.stopping) return;
        entry.restarts += 1;
        this.launch(entry);
      }, delay);
    });
  }
}
