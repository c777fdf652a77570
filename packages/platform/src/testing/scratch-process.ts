import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';

/**
 * A process a test starts for itself, to freeze on cue: SIGSTOP leaves its listening socket open,
 * so the kernel still accepts connections and takes the bytes sent, and nothing ever answers. That
 * is a dependency that "accepts the connection and never answers", without touching the shared stack.
 */
export class ScratchProcess {
  private readonly paused = new Set<number>();
  private readonly exited: Promise<void>;
  private output = '';

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    child.stdout?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error(`${this.name} did not start`);
    return this.child.pid;
  }

  /** What it printed so far, for a failure message. */
  get log(): string {
    return this.output;
  }

  /** SIGSTOP to this process (or another of its family, a PostgreSQL backend say), remembered for resume(). */
  pause(pid = this.pid): void {
    process.kill(pid, 'SIGSTOP');
    this.paused.add(pid);
  }

  /** SIGCONT to everything paused. */
  resume(): void {
    for (const pid of this.paused) {
      try {
        process.kill(pid, 'SIGCONT');
      } catch {
        // Already gone.
      }
    }
    this.paused.clear();
  }

  /** Runs `work` with the process (or `pid`) stopped, and always lets it go on afterwards. */
  async whilePaused<T>(work: () => Promise<T>, pid = this.pid): Promise<T> {
    this.pause(pid);
    try {
      return await work();
    } finally {
      this.resume();
    }
  }

  /** Resumes, then ends it: `signal` first, SIGKILL after 5 s. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    this.resume();
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill(signal);
    const killer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    await this.exited;
    clearTimeout(killer);
  }
}

/** Spawns a scratch process with its output kept for failure messages. */
export function spawnScratch(name: string, command: string, args: readonly string[], options: SpawnOptions = {}): ScratchProcess {
  return new ScratchProcess(name, spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options }));
}

/** A TCP port nothing listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * How long `work` took to settle, and how: what the timeout tests measure. With
 * EVERGREEN_PRINT_TIMINGS=1 each measurement that has a `label` is printed, for the table of
 * measured bounds in docs/operations.md.
 */
export async function timed<T>(work: () => Promise<T>, label?: string): Promise<{ ms: number; result?: T; error?: unknown }> {
  const started = performance.now();
  const done = (outcome: { result?: T; error?: unknown }) => {
    const ms = performance.now() - started;
    if (label !== undefined && process.env.EVERGREEN_PRINT_TIMINGS === '1') console.info(`[timing] ${label}: ${Math.round(ms)} ms`);
    return { ms, ...outcome };
  };
  try {
    return done({ result: await work() });
  } catch (error) {
    return done({ error });
  }
}
