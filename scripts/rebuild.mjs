// `npm run rebuild -- <consumer> [...]`: hands over to the `rebuild` script of the consumer's own
// workspace, which builds the projection's next generation and switches to it (docs/operations.md#rebuild).
import { spawn } from 'node:child_process';

const WORKSPACES = { 'cache-populator': '@evergreen/cache-populator', 'activity-log': '@evergreen/activity-log' };
const [consumer, ...rest] = process.argv.slice(2);
const workspace = Object.hasOwn(WORKSPACES, consumer ?? '') ? WORKSPACES[consumer] : undefined;
if (!workspace) {
  console.error(`[rebuild] ${consumer === undefined ? 'which consumer?' : `unknown consumer ${consumer}`}
usage: npm run rebuild -- <${Object.keys(WORKSPACES).join('|')}> [--switch-timeout <seconds>]
       npm run rebuild -- <${Object.keys(WORKSPACES).join('|')}> --status
       npm run rebuild -- <${Object.keys(WORKSPACES).join('|')}> --drop <generation>`);
  process.exit(2);
}
const child = spawn('npm', ['run', 'rebuild', '-w', workspace, '--silent', '--', ...rest], { stdio: 'inherit' });
// Ctrl-C reaches the child through the terminal's process group; a SIGTERM sent to this process only is passed on.
process.on('SIGTERM', () => child.kill('SIGTERM'));
process.on('SIGINT', () => undefined);
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
