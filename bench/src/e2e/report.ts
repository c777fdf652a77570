import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findRepoRoot } from '@evergreen/platform';
import { KEEPS_UP_WITHIN_MS, type StepResult } from './measure.ts';
import { latencyPlot } from './plot.ts';
import type { BenchResults } from './results.ts';
import type { Distribution } from './stats.ts';

const PLOT_FILE = 'performance-latency.svg';

const ms = (value: number) => (Number.isFinite(value) ? (value < 10 ? value.toFixed(1) : value.toFixed(0)) : '–');
const rate = (value: number) => value.toFixed(0);
const ratio = (value: number) => `${value.toFixed(2)}×`;
const mib = (value: number | undefined) => (value === undefined ? '–' : `${value.toFixed(0)} MiB`);
const p50p99 = (d: Distribution) => `${ms(d.p50)} / ${ms(d.p99)}`;

function latencyRow(label: string, step: StepResult): string {
  return `| ${label} | ${step.path} | ${rate(step.offeredPerSecond)} | ${rate(step.achievedPerSecond)} | ${p50p99(step.commitToKafka)} | ${p50p99(step.kafkaToCache)} | ${ms(step.commitToCache.p50)} | ${ms(step.commitToCache.p95)} | ${ms(step.commitToCache.p99)} |`;
}

const LATENCY_HEADER = ['| load | path | offered/s | achieved/s | commit → Kafka p50 / p99 (ms) | Kafka → cache p50 / p99 (ms) | commit → cache p50 | p95 | p99 |', '|---|---|---:|---:|---:|---:|---:|---:|---:|'];

function saturationSteps(steps: readonly StepResult[]): string {
  return steps.map((step) => `${rate(step.offeredPerSecond)}/s ${step.sustained ? '✓' : '✗'}`).join(', ');
}

/** The generated part of docs/performance.md: every figure of the run, and the targets as ratios. */
export function resultsMarkdown(results: BenchResults): string {
  const { ceiling, saturation, latency, catchUp, memory } = results;
  const half = latency.find((entry) => entry.fraction === 0.5);
  const lines: string[] = [];
  const row = (...cells: string[]) => lines.push(`| ${cells.join(' | ')} |`);
  lines.push(
    `Run of ${results.startedAt.slice(0, 16).replace('T', ' ')} UTC on ${results.machine.cpus} cores (${results.machine.cpuModel}), ${results.machine.memoryGiB} GiB; ` +
      `${Object.entries(results.versions).map(([name, version]) => `${name} ${version}`).join(', ')}; ${results.partitions} partitions; every component on this one machine, as \`npm start\` runs them (the registration API, the cache populator and the activity log as built JavaScript).`,
    '',
    `Relay settings (connect-config/outbox-connector.json): ${Object.entries(results.relaySettings).map(([name, value]) => `\`${name}\` ${value}`).join(', ')}.`,
    '',
    `Processes outside the stack, its services and the benchmark kept ${results.otherLoadCores.toFixed(2)} of ${results.machine.cpus} cores busy on average during the run${results.otherLoadCores > 0.1 ? ': the machine was not quiet, and the figures are lower than it can do' : ''}.`,
    '',
    '### Targets',
    '',
    '| target | measured | met |',
    '|---|---|---|',
  );
  if (half) {
    row('commit → cache p50 < 50 ms at 50 % load', `${ms(half.relay.commitToCache.p50)} ms at ${rate(half.relay.offeredPerSecond)}/s`, half.relay.commitToCache.p50 < 50 ? 'yes' : 'no');
    row('commit → cache p99 < 200 ms at 50 % load', `${ms(half.relay.commitToCache.p99)} ms`, half.relay.commitToCache.p99 < 200 ? 'yes' : 'no');
  }
  const sustainedRatio = saturation.library.sustainedPerSecond / ceiling.transactionsPerSecond;
  row('sustained end to end ≥ 0.5× the raw transaction rate (outbox library)', `${rate(saturation.library.sustainedPerSecond)}/s of ${rate(ceiling.transactionsPerSecond)}/s = ${ratio(sustainedRatio)}`, sustainedRatio >= 0.5 ? 'yes' : 'no');
  row('catch-up ≥ 20,000 events/s', `${rate(catchUp.endToEndPerSecond)} events/s end to end (relay ${rate(catchUp.relayPerSecond)}/s, cache ${rate(catchUp.cachePerSecond)}/s)`, catchUp.endToEndPerSecond >= 20_000 ? 'yes' : 'no');
  const better = latency.every((entry) => entry.relay.commitToCache.p50 < entry.pollingPublisher.commitToCache.p50 && entry.relay.commitToCache.p99 < entry.pollingPublisher.commitToCache.p99);
  row(
    'better latency than the polling publisher at every load (p50 and p99)',
    latency.map((entry) => `${entry.fraction * 100} %: ${ms(entry.relay.commitToCache.p50)}/${ms(entry.relay.commitToCache.p99)} vs ${ms(entry.pollingPublisher.commitToCache.p50)}/${ms(entry.pollingPublisher.commitToCache.p99)} ms`).join('; '),
    better ? 'yes' : 'no',
  );
  lines.push(
    '',
    '### Ceiling and saturation',
    '',
    `A rate is sustained when the writers keep it (≥ 95 % acknowledged, none failed) and the cache holds every write within ${KEEPS_UP_WITHIN_MS / 1000} s of the last commit (bounded lag). Each step writes for ${results.stepSeconds} s.`,
    '',
    '| path | writes/s | × ceiling | steps (✓ kept up) |',
    '|---|---:|---:|---|',
  );
  row(`ceiling: pgbench, the same transaction, ${ceiling.clients} connections, ${ceiling.seconds} s`, rate(ceiling.transactionsPerSecond), ratio(1), '–');
  row('outbox library → Debezium → Kafka → cache populator → Redis', rate(saturation.library.sustainedPerSecond), ratio(sustainedRatio), saturationSteps(saturation.library.steps));
  row('POST /users → … → Redis', rate(saturation.api.sustainedPerSecond), ratio(saturation.api.sustainedPerSecond / ceiling.transactionsPerSecond), saturationSteps(saturation.api.steps));
  row(
    `polling publisher (baseline) → Kafka → … → Redis`,
    rate(saturation.pollingPublisher.sustainedPerSecond),
    ratio(saturation.pollingPublisher.sustainedPerSecond / ceiling.transactionsPerSecond),
    saturationSteps(saturation.pollingPublisher.steps),
  );
  lines.push(
    '',
    '### Latency under load',
    '',
    `Open-loop writes through the outbox library at 25, 50 and 75 % of its sustained rate. Commit is when the transaction's COMMIT was acknowledged to the writer; Kafka is the broker's LogAppendTime; cache is Redis' keyspace notification of the entry's write. One host clock. The polling publisher polls every ${results.pollingPublisher.pollIntervalMs} ms when it finds nothing, and at once again when it found rows (up to ${results.pollingPublisher.batchSize}).`,
    '',
    ...LATENCY_HEADER,
  );
  for (const entry of latency) {
    lines.push(latencyRow(`${entry.fraction * 100} %`, entry.relay));
    lines.push(latencyRow(`${entry.fraction * 100} %`, entry.pollingPublisher));
  }
  lines.push('', `![commit → cache latency against load](${PLOT_FILE})`, '', '### POST /users at fixed rates', '', 'The way the first measurement was taken (issue #12): open-loop POST /users, commit acknowledged by the 201.', '', ...LATENCY_HEADER);
  for (const step of results.apiFixedRates) lines.push(latencyRow(`${rate(step.offeredPerSecond)}/s`, step));
  lines.push(
    '',
    '### Catch-up',
    '',
    `${catchUp.events.toLocaleString('en')} registrations committed with the connector stopped (${catchUp.writeSeconds.toFixed(1)} s to write), then the connector resumed.`,
    '',
    '| stage | events/s | seconds |',
    '|---|---:|---:|',
  );
  row('connector task start (resume → first append)', '–', catchUp.relayStartSeconds.toFixed(1));
  row('relay: first → last append', rate(catchUp.relayPerSecond), (catchUp.events / catchUp.relayPerSecond).toFixed(1));
  row('cache: first → last entry', rate(catchUp.cachePerSecond), (catchUp.events / catchUp.cachePerSecond).toFixed(1));
  row('end to end: resume → last entry', rate(catchUp.endToEndPerSecond), catchUp.endToEndSeconds.toFixed(1));
  const cpuTotal = [...results.cpuMsPerThousand.byComponent.values()].reduce((total, value) => total + value, 0);
  lines.push(
    '',
    '### Where the CPU goes',
    '',
    `CPU time each process spent per 1,000 registrations during the ${rate(results.cpuMsPerThousand.rate)}/s latency step (user + system, all threads; PostgreSQL with its backends). At ${(cpuTotal / 1000).toFixed(2)} CPU seconds per 1,000, ${results.machine.cpus} cores can carry at most about ${rate((results.machine.cpus * 1000 * 1000) / cpuTotal)} registrations/s end to end.`,
    '',
    '| process | CPU ms per 1,000 registrations | share |',
    '|---|---:|---:|',
  );
  for (const [name, value] of [...results.cpuMsPerThousand.byComponent].sort(([, a], [, b]) => b - a)) row(name, value.toFixed(0), `${((value / cpuTotal) * 100).toFixed(0)} %`);
  row('**total**', `**${cpuTotal.toFixed(0)}**`, '100 %');
  lines.push('', '### Memory', '', 'Memory of each process tree (PSS: resident memory with shared pages divided among the processes that map them, so PostgreSQL\'s shared buffers count once), at rest (services started, no load) and the highest seen during the run.', '', '| component | at rest | peak under load |', '|---|---:|---:|');
  let restTotal = 0;
  let peakTotal = 0;
  for (const [name, atRest] of memory.atRest) {
    restTotal += atRest;
    peakTotal += memory.peak.get(name) ?? 0;
    row(name, mib(atRest), mib(memory.peak.get(name)));
  }
  row('**total**', `**${mib(restTotal)}**`, `**${mib(peakTotal)}**`);
  return lines.join('\n');
}

/** The latency plot: the relay and the polling publisher, p50 and p99, against offered load. */
export function resultsPlot(results: BenchResults): string {
  const points = (pick: (entry: BenchResults['latency'][number]) => StepResult, quantile: 'p50' | 'p99'): Array<[number, number]> =>
    results.latency.map((entry) => [pick(entry).offeredPerSecond, pick(entry).commitToCache[quantile]]);
  return latencyPlot(`Commit → cache, ${results.machine.cpus} cores, ${results.startedAt.slice(0, 10)}`, [
    { label: 'Debezium relay p50', color: '#1b7f3b', points: points((entry) => entry.relay, 'p50') },
    { label: 'Debezium relay p99', color: '#1b7f3b', dashed: true, points: points((entry) => entry.relay, 'p99') },
    { label: 'polling publisher p50', color: '#b5452b', points: points((entry) => entry.pollingPublisher, 'p50') },
    { label: 'polling publisher p99', color: '#b5452b', dashed: true, points: points((entry) => entry.pollingPublisher, 'p99') },
  ]);
}

/** Prints the results; with `docs`, replaces the generated part of docs/performance.md and the plot. */
export function writeReport(results: BenchResults, options: { docs: boolean; say: (line: string) => void }): void {
  const markdown = resultsMarkdown(results);
  console.log(`\n${markdown}\n`);
  if (!options.docs) return;
  replaceGeneratedSection('bench:e2e', markdown);
  writeFileSync(join(findRepoRoot(), 'docs', PLOT_FILE), resultsPlot(results));
  options.say(`wrote docs/performance.md and docs/${PLOT_FILE}`);
}

/**
 * Puts a benchmark's figures into docs/performance.md between its markers
 * (`<!-- <name> results begin … -->` and `<!-- <name> results end -->`), keeping the prose around them.
 */
export function replaceGeneratedSection(name: string, markdown: string): void {
  const path = join(findRepoRoot(), 'docs', 'performance.md');
  const current = readFileSync(path, 'utf8');
  const begin = current.indexOf(`<!-- ${name} results begin`);
  const beginEnd = current.indexOf('-->', begin);
  const end = current.indexOf(`<!-- ${name} results end -->`);
  if (begin === -1 || end === -1) throw new Error(`${path} lacks the <!-- ${name} results begin/end --> markers between which the figures go`);
  writeFileSync(path, `${current.slice(0, beginEnd + 3)}\n${markdown}\n${current.slice(end)}`);
}
