// `npm run services` (and so `npm start`): every built service under the supervisor, until Ctrl-C.
import { findRepoRoot, loadStackConfig, logFormat } from '@evergreen/platform';
import { withConsumerInstances } from './instances.ts';
import { builtServices } from './services.ts';
import { Supervisor } from './supervisor.ts';

const terminal = process.stdout.isTTY === true;
// The services write into pipes; they format for whoever reads this process's output.
const format = logFormat(process.env, terminal);
// Each consumer service as many times as the profile says (the cluster profile: two per group).
const services = withConsumerInstances(builtServices(findRepoRoot()), loadStackConfig()).map((spec) => ({ ...spec, env: { ...spec.env, EVERGREEN_LOG_FORMAT: format } }));
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
