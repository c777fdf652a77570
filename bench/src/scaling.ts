import { spawnSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { localStack, stackUp } from '@evergreen/local-stack';
import { findRepoRoot, loadStackConfig, type StackProfile } from '@evergreen/platform';
import type { ScalingFigures } from './scaling-profile.ts';

// `npm run bench:scaling [-- --no-docs]`: the single-node and the cluster profile side by side, on
// this machine, in one run: each profile's stack is brought up if it is down (and left up), then
// measured one after the other (never both at once) by scaling-profile.ts in the benchmark's
// namespace. Writes the table between the markers of docs/scaling.md.

const PROFILES: StackProfile[] = ['single', 'cluster'];
const root = findRepoRoot();
const say = (line: string) => console.error(`[bench:scaling] ${line}`);

const figures: ScalingFigures[] = [];
for (const profile of PROFILES) {
  const environment = { ...process.env, EVERGREEN_STACK_PROFILE: profile };
  await stackUp(localStack(loadStackConfig(environment)), (line) => say(`${profile}: ${line}`));
  say(`measuring the ${profile} profile …`);
  const child = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'bench', 'src', 'scaling-profile.ts')], { env: environment, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  if (child.status !== 0) throw new Error(`the ${profile} profile's measurement exited with ${child.status}`);
  const line = child.stdout.trim().split('\n').pop() ?? '';
  figures.push(JSON.parse(line) as ScalingFigures);
}

const ms = (value: number) => (Number.isFinite(value) ? `${value.toFixed(0)} ms` : '—');
const table = [
  '| profile | Kafka brokers (RF / min ISR) | Redis nodes | highest sustained rate | commit → cache p50 / p95 / p99 at a fixed rate | other load on the machine |',
  '|---|---|---:|---:|---|---:|',
  ...figures.map(
    (figure) =>
      `| ${figure.profile} | ${figure.brokers} (${figure.replicationFactor} / ${figure.minInsyncReplicas}) | ${figure.redisNodes} | ${figure.sustainedPerSecond}/s | ${ms(figure.commitToCacheMs.p50)} / ${ms(figure.commitToCacheMs.p95)} / ${ms(figure.commitToCacheMs.p99)} at ${figure.fixedRatePerSecond}/s (achieved ${figure.achievedPerSecond.toFixed(0)}/s) | ${figure.otherLoadCores.toFixed(2)} cores |`,
  ),
].join('\n');
const stamp = `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), ${Math.round(totalmem() / 2 ** 30)} GiB, by \`npm run bench:scaling\`.`;
console.log(`${stamp}\n\n${table}`);
// The split at the broker's append (commit → Kafka, Kafka → cache) is printed, not written: on the
// cluster profile the topic's LogAppendTime did not hold in the run of docs/scaling.md, so it read 0.
for (const figure of figures) say(`${figure.profile}: commit → Kafka p50 ${ms(figure.commitToKafkaP50Ms)}, Kafka → cache p50 ${ms(figure.kafkaToCacheP50Ms)}`);

if (!process.argv.includes('--no-docs')) {
  const path = join(root, 'docs', 'scaling.md');
  const [before, rest] = readFileSync(path, 'utf8').split('<!-- bench:scaling -->');
  const after = rest?.split('<!-- /bench:scaling -->')[1];
  if (before === undefined || after === undefined) throw new Error(`${path} lacks the <!-- bench:scaling --> … <!-- /bench:scaling --> markers`);
  writeFileSync(path, `${before}<!-- bench:scaling -->\n${stamp}\n\n${table}\n<!-- /bench:scaling -->${after}`);
  say(`wrote the figures into ${path}`);
}
