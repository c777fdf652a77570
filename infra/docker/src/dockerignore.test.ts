import { describe, expect, it } from 'vitest';
import { isIgnored, parseDockerignore } from './dockerignore.ts';

describe('isIgnored', () => {
  const rules = parseDockerignore(['# comment', '**/node_modules', '/.stack', 'docs', '**/*.env', '!infra/stack.env', '**/*.log'].join('\n'));

  it('leaves out a folder and everything under it, at any depth for **/', () => {
    expect(isIgnored(rules, 'node_modules/ajv/package.json')).toBe(true);
    expect(isIgnored(rules, 'services/relay-monitor/node_modules')).toBe(true);
    expect(isIgnored(rules, '.stack/data')).toBe(true);
    expect(isIgnored(rules, 'docs/api.md')).toBe(true);
    expect(isIgnored(rules, 'infra/local/logs/kafka.log')).toBe(true);
  });

  it('matches * within one segment, and lets a later ! take a path back in', () => {
    expect(isIgnored(rules, 'secrets.env')).toBe(true);
    expect(isIgnored(rules, 'infra/versions.env')).toBe(true);
    expect(isIgnored(rules, 'infra/stack.env')).toBe(false);
    expect(isIgnored(rules, 'services/relay-monitor/src/main.ts')).toBe(false);
    expect(isIgnored(rules, 'documentation/x')).toBe(false);
  });
});
