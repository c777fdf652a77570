import { execFile } from 'node:child_process';
import { findRepoRoot } from '@evergreen/platform';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `npm run dlq -- <args>` from the repository root, exactly as an operator types it. */
export function runDlqCli(args: readonly string[], timeoutMs = 90_000): Promise<CliRun> {
  return runNpmScript('dlq', args, timeoutMs);
}

/** Runs `npm run <script> -- <args>` from the repository root, in the test's environment (its namespace). */
export function runNpmScript(script: string, args: readonly string[], timeoutMs = 90_000): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    execFile('npm', ['run', '--silent', script, '--', ...args], { cwd: findRepoRoot(), timeout: timeoutMs }, (error, stdout, stderr) => {
      // A non-zero exit is an answer the test looks at; only a CLI that could not run or was killed is a failure here.
      if (error && typeof error.code !== 'number') reject(error);
      else resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
    });
  });
}
