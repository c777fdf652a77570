// `npm run services` (and so `npm start`): every built service under the supervisor, until Ctrl-C.
import { findRepoRoot, logFormat } from '@evergreen/platform';
import { builtServices } from './services.ts';
import { Supervisor } from './supervisor.ts';

const terminal = process.stdout.isTTY === true;
// The services write into pipes; they format for whoever reads this process's output.
const format = logFormat(process.env, terminal);
const services = builtServices(findRepoRoot()).map((spec) => ({ ...spec, env: { EVERGREEN_LOG_FORMAT: format } }));
const supervisor = new Supervisor({ services, colour: terminal, write: (line) => process.stdout.write(`${line}\n`) });

let stopping = false;
const stop = (signal: string) => {
  if (stopping) return;
  stopping = true;
  process.stdout.write(`supervisor | ${signal}: stopping ${services.map((spec) => spec.name).join(', ')}\n`);
  void supervisor.stop().then(() => process.exit(0));
};
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
supervisor.start();
