import { spawn, spawnSync } from 'node:child_process';

export class CommandError extends Error {
  constructor(
    readonly command: string,
    readonly exitCode: number | null,
    readonly output: string,
  ) {
    super(`\`${command}\` exited with ${exitCode}:\n${output.trim().split('\n').slice(-30).join('\n')}`);
    this.name = 'CommandError';
  }
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Run as this OS user (only when we are root); PostgreSQL refuses to run as root. */
  asUser?: string;
}

export const isRoot = () => process.getuid?.() === 0;

function withUser(command: string, args: string[], asUser: string | undefined): [string, string[]] {
  if (asUser && isRoot()) return ['runuser', ['-u', asUser, '--', command, ...args]];
  return [command, args];
}

/** Runs a command to completion and returns its combined output; a non-zero exit throws with that output. */
export function run(command: string, args: string[], options: RunOptions = {}): Promise<string> {
  const [file, argv] = withUser(command, args, options.asUser);
  return new Promise((resolve, reject) => {
    const child = spawn(file, argv, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', (error) => reject(new CommandError(`${command} ${args.join(' ')}`, null, error.message)));
    child.on('close', (code) => {
      if (code === 0) resolve(output);
      else reject(new CommandError(`${command} ${args.join(' ')}`, code, output));
    });
  });
}

/** True when `command` is on the PATH (or is an existing absolute path). */
export function commandExists(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v "${command}"`], { stdio: 'ignore' }).status === 0;
}
