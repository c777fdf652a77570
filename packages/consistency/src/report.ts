import { DRIFT_KINDS } from './drift.ts';
import { driftTotal, type VerifyReport } from './verify.ts';

/** One small table per run: drift counts per read model and kind, a few example ids each, and the speed. */
export function formatReports(reports: readonly VerifyReport[], examplesPerKind = 3): string {
  const lines: string[] = [];
  const width = Math.max(...reports.map((report) => report.projection.length), 'read model'.length);
  lines.push(`${'read model'.padEnd(width)}  ${DRIFT_KINDS.map((kind) => kind.padStart(11)).join(' ')}  ${'checked'.padStart(9)}  rows/s`);
  for (const report of reports) {
    const rate = report.seconds > 0 ? Math.round(report.checked / report.seconds) : report.checked;
    lines.push(`${report.projection.padEnd(width)}  ${DRIFT_KINDS.map((kind) => String(report.counts[kind]).padStart(11)).join(' ')}  ${String(report.checked).padStart(9)}  ${rate}`);
  }
  for (const report of reports) {
    for (const kind of DRIFT_KINDS) {
      const examples = report.drifted.filter((drift) => drift.kind === kind).slice(0, examplesPerKind);
      if (examples.length === 0) continue;
      const described = examples.map(({ id, source, projected }) => `${id} (source ${source ? (source.deleted ? `deleted@${source.version}` : `v${source.version}`) : 'none'}, read model ${projected ? (projected.deleted ? `deleted@${projected.version}` : `v${projected.version}`) : 'none'})`);
      lines.push(`  ${report.projection} ${kind}: ${described.join(', ')}${report.counts[kind] > examples.length ? ', …' : ''}`);
    }
  }
  const total = reports.reduce((sum, report) => sum + driftTotal(report), 0);
  lines.push(total === 0 ? 'no drift' : `${total} drifted entries`);
  return lines.join('\n');
}
