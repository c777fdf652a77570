import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { ConfigError, outboxRelays } from '@evergreen/platform';
import { checkRelay, describeRelay, relayProblems } from '@evergreen/relay-health';
import { logFile } from './layout.ts';
import { ensureDatabase, localStack, stackDown, stackReset, stackStatus, stackUp } from './stack.ts';
import { banner } from './banner.ts';
import { tailOf } from './processes.ts';

const usage = 'usage: stack <up|down|status|logs <component> [--follow]|reset|banner|databases>';

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const stack = localStack();
  const log = (line: string) => console.log(`[stack] ${line}`);
  switch (command) {
    case 'up': {
      const started = Date.now();
      await stackUp(stack, log);
      log(`ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      return 0;
    }
    case 'down':
      await stackDown(stack, log);
      return 0;
    case 'reset':
      await stackReset(stack, log);
      return 0;
    case 'status': {
      const statuses = await stackStatus(stack);
      for (const status of statuses) {
        const state = status.healthy ? 'healthy' : status.running ? 'running, NOT healthy' : 'stopped';
        const mib = (kib: number) => `${Math.round(kib / 1024)} MiB`;
        const memory = status.memory ? `rss ${mib(status.memory.rssKiB)}, peak ${mib(status.memory.peakKiB)}` : '';
        console.log(`${status.name.padEnd(9)} ${state.padEnd(21)} ${status.endpoint.padEnd(48)} ${memory.padEnd(28)} ${status.log}`);
      }
      // Each outbox's relay (one connector per database), read as the relay monitor reads it (packages/relay-health).
      for (const { database, connectorName, slotName } of outboxRelays(stack.config)) {
        const relay = await checkRelay({ connect: { ...stack.config.connect, connectorName, slotName }, postgres: { ...stack.config.postgres, database } });
        const problems = relayProblems(relay, { slotDownForMs: 0, slotGraceMs: 0, detail: 'full' });
        console.log(`${'relay'.padEnd(9)} ${(problems.length === 0 ? 'relaying' : 'NOT relaying').padEnd(21)} ${describeRelay(relay)}`);
        for (const problem of problems) console.log(`${''.padEnd(9)} ! ${problem}`);
      }
      return statuses.every((status) => status.healthy) ? 0 : 3;
    }
    case 'logs': {
      const [name, flag] = rest;
      const names = stack.components.map((component) => component.name);
      if (!name || !names.includes(name)) {
        console.error(`logs of which component? one of: ${names.join(', ')}`);
        return 2;
      }
      const path = logFile(stack.layout, name);
      if (flag === '--follow' || flag === '-f') {
        if (!existsSync(path)) throw new Error(`no log yet at ${path}`);
        const tail = spawn('tail', ['-n', '100', '-F', path], { stdio: 'inherit' });
        return new Promise((resolve) => tail.on('close', (code) => resolve(code ?? 0)));
      }
      console.log(tailOf(path, 200));
      return 0;
    }
    case 'databases':
      // A database per service: the ones a stack made before a service joined are created here (npm run db:migrate).
      for (const { database } of outboxRelays(stack.config)) if (await ensureDatabase(stack, database)) log(`created database ${database}`);
      return 0;
    case 'banner':
      console.log(banner(stack));
      return 0;
    default:
      console.error(usage);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    const message = error instanceof ConfigError ? `configuration error: ${error.message}` : error instanceof Error ? error.message : String(error);
    console.error(`[stack] FAILED: ${message}`);
    process.exit(1);
  },
);
