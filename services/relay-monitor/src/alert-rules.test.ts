import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { findRepoRoot } from '@evergreen/platform';
import { RELAY_METRIC_NAMES, RelayMetrics } from './metrics.ts';

const root = findRepoRoot();
const RULES_FILE = join(root, 'infra', 'prometheus', 'alerts.yml');

interface Rule {
  alert?: unknown;
  expr?: unknown;
  for?: unknown;
  labels?: { severity?: unknown } & Record<string, unknown>;
  annotations?: { summary?: unknown } & Record<string, unknown>;
  [key: string]: unknown;
}

/** The rule file as Prometheus loads it: groups of rules. */
function loadRules(): { groups: Array<{ name: unknown; rules: Rule[] }> } {
  // `yaml` refuses duplicate keys, as Prometheus does.
  const document: unknown = parse(readFileSync(RULES_FILE, 'utf8'));
  expect(document).toMatchObject({ groups: expect.any(Array) });
  return document as { groups: Array<{ name: unknown; rules: Rule[] }> };
}

/** The TypeScript sources (tests left out) of every workspace that exports metrics. */
function sourceText(): string {
  const texts: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      if (name === 'node_modules' || name === 'dist') continue;
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.ts') && !name.endsWith('.test.ts')) texts.push(readFileSync(path, 'utf8'));
    }
  };
  for (const top of ['packages', 'services']) {
    for (const workspace of readdirSync(join(root, top))) {
      const src = join(root, top, workspace, 'src');
      if (statSync(src, { throwIfNoEntry: false })?.isDirectory()) walk(src);
    }
  }
  return texts.join('\n');
}

const rules = () => loadRules().groups.flatMap((group) => group.rules);
const metricsIn = (expr: string) => [...new Set(expr.match(/\bevergreen_[a-z0-9_]+\b/g) ?? [])];

describe('the Prometheus alert rules (infra/prometheus/alerts.yml)', () => {
  it('are groups of rules, each with alert, expr, for, labels.severity and annotations.summary, and nothing Prometheus would refuse', () => {
    const { groups } = loadRules();
    expect(groups.length).toBeGreaterThan(0);
    const names = new Set<string>();
    for (const group of groups) {
      expect(typeof group.name).toBe('string');
      expect(group.rules.length).toBeGreaterThan(0);
      for (const rule of group.rules) {
        const where = `rule ${String(rule.alert)} in group ${String(group.name)}`;
        expect(typeof rule.alert, where).toBe('string');
        expect(rule.alert, where).toMatch(/^[A-Za-z_][A-Za-z0-9_]*$/);
        expect(names.has(String(rule.alert)), `${where}: the alert name is used twice`).toBe(false);
        names.add(String(rule.alert));
        expect(Object.keys(rule).filter((key) => !['alert', 'expr', 'for', 'keep_firing_for', 'labels', 'annotations'].includes(key)), where).toEqual([]);
        expect(typeof rule.expr === 'string' && rule.expr.trim().length > 0, `${where}: expr`).toBe(true);
        // A Prometheus duration: 0m, 2m, 1h30m.
        expect(rule.for, `${where}: for`).toMatch(/^(\d+(ms|s|m|h|d|w|y))+$/);
        expect(['warning', 'critical'], `${where}: labels.severity`).toContain(rule.labels?.severity);
        expect(typeof rule.annotations?.summary === 'string' && rule.annotations.summary.length > 0, `${where}: annotations.summary`).toBe(true);
        for (const value of [...Object.values(rule.labels ?? {}), ...Object.values(rule.annotations ?? {})]) expect(typeof value, `${where}: labels and annotations are strings`).toBe('string');
      }
    }
  });

  it('name only metrics the code exports', () => {
    const sources = sourceText();
    const referenced = [...new Set(rules().flatMap((rule) => metricsIn(String(rule.expr))))];
    expect(referenced.length).toBeGreaterThan(0);
    const unknown = referenced.filter((metric) => !new RegExp(`name: ['"\`]${metric}['"\`]`).test(sources));
    expect(unknown, 'metrics named in alerts.yml that no source file declares').toEqual([]);
  });

  it('cover the relay, the consumers and the read models', () => {
    const exprs = rules().map((rule) => String(rule.expr));
    const covered = (fragment: string) => exprs.some((expr) => expr.includes(fragment));
    for (const fragment of [
      'evergreen_relay_slot_lag_bytes',
      'evergreen_relay_slot_wal_status{status="unreserved"}',
      'evergreen_relay_slot_wal_status{status="lost"}',
      'evergreen_relay_connector_up',
      'evergreen_relay_heartbeat_age_seconds',
      'evergreen_consumer_lag_records',
      'evergreen_consumer_lag_age_seconds',
      'increase(evergreen_consumer_records_total{outcome="dead_lettered"}[10m]) > 0',
      'evergreen_drift_entries > 0',
      'time() - evergreen_drift_last_run_timestamp_seconds > 3 * 300',
    ]) {
      expect(covered(fragment), `no rule on ${fragment}`).toBe(true);
    }
    const connectorDown = rules().find((rule) => String(rule.expr).includes('evergreen_relay_connector_up == 0'));
    expect(connectorDown?.for).toBe('2m');
    for (const status of ['unreserved', 'lost']) expect(rules().find((rule) => String(rule.expr).includes(`status="${status}"`))?.labels?.severity).toBe('critical');
  });

  it('match what the relay monitor registers', async () => {
    const registry = new Registry();
    new RelayMetrics(registry);
    expect(registry.getMetricsAsArray().map((metric) => metric.name).sort()).toEqual([...RELAY_METRIC_NAMES].sort());
  });
});
